"""Reports people send on (issue 12 §2): PDF and XLSX open, hold the marts' figures, render
Chinese in an embedded CJK font, and go only to whom auth.authorize allows (§3)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from carbon.reports import data
from carbon.reports.render import chart_png, label, pdf_bytes, xlsx_bytes

REPO = Path(__file__).resolve().parents[2]
# a raw 18-digit ID-card number (region, birth date 19xx/20xx, sequence, check) and a mobile number,
# not inside a longer code (USCCs and pseudonyms are alphanumeric runs)
ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
PHONE = re.compile(r"(?<![0-9A-Za-z.])1[3-9]\d{9}(?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def con(home):
    c = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def users(home):
    cfg = json.loads((home / "console" / "users.json").read_text())
    return {u["username"]: u for u in cfg["users"]}


@pytest.fixture(scope="module")
def uscc(users):
    return users["enterprise"]["uscc"]


@pytest.fixture(scope="module")
def year(con, uscc):
    return con.execute(
        "select max(month) from ent_enterprise_emissions_monthly where uscc = ?", [uscc]
    ).fetchone()[0][:4]


@pytest.fixture(scope="module")
def month(con):
    return con.execute("select max(month) from gov_region_indicators").fetchone()[0]


@pytest.fixture(scope="module")
def ent_pdf(con, uscc, year):
    return pdf_bytes(data.enterprise(con, uscc, year))


@pytest.fixture(scope="module")
def monthly_pdf(con, month):
    return pdf_bytes(data.monthly(con, month))


def _text(pdf: bytes) -> str:
    # pypdf reads fpdf2's Identity CMap stream as two-byte codes with a NUL high byte
    pages = PdfReader(io.BytesIO(pdf)).pages
    return "\n".join(p.extract_text() or "" for p in pages).replace("\x00", "")


def _fonts(pdf: bytes) -> set[str]:
    out = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            out.add(str(f.get_object()["/BaseFont"]))
    return out


def _leakscan():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_privacy_leakscan_for_reports", REPO / "tests" / "privacy" / "leakscan.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def test_enterprise_pdf_has_chinese_uscc_and_mart_figures(ent_pdf, con, uscc, year):
    text = _text(ent_pdf)
    for heading in (
        "企业碳账户报告",
        "统一社会信用代码",
        "碳效等级规则",
        "排放因子版本",
        "行业对标",
        "生成时间",
    ):
        assert heading in text, heading
    assert uscc in text
    total = con.execute(
        "select sum(tco2e_total) from ent_enterprise_emissions_monthly where uscc = ? and month like ? || '%'",
        [uscc, year],
    ).fetchone()[0]
    m = re.search(r"Total emissions \(tCO2e\)\s*([\d,]+\.\d{3})", text)
    assert m, text[:2000]
    assert _num(m.group(1)) == pytest.approx(total, abs=5e-4)
    reg = data._table(con, "int_enterprises__current")
    name, industry = con.execute(
        f"select name, industry_code from {reg} where uscc = ?", [uscc]
    ).fetchone()
    assert industry in text and name.replace(" ", "") in text.replace(" ", "")
    grade = con.execute(
        "select grade from ent_carbon_efficiency where uscc = ? and period like ? || '%' "
        "order by period desc limit 1",
        [uscc, year],
    ).fetchone()[0]
    assert re.search(rf"Grade \({year}-\d\d\)\s*{grade} \(K =", text)
    for (fv,) in con.execute(
        "select distinct factor_version from ledger_entries where ledger = 'enterprise' "
        "and account_id = ? and period like ? || '%' and factor_version is not null",
        [uscc, year],
    ).fetchall():
        assert fv in text, fv


def test_monthly_pdf_covers_districts_budget_changes_alerts_status(monthly_pdf, con, month):
    text = _text(monthly_pdf)
    for heading in (
        "月度碳排放简报",
        "区县与预算",
        "行业",
        "区县变化",
        "企业最大变化",
        "未处理预警",
        "月份状态",
    ):
        assert heading in text, heading
    prov = con.execute(
        "select bool_or(is_provisional) from ledger_entries where ledger in ('government', 'enterprise') "
        "and period like ? || '%'",
        [month],
    ).fetchone()[0]
    assert ("快报(未结账)" if prov else "已结账") in text
    ytd = con.execute(
        "select tco2e_scope1_ytd from gov_region_indicators where region_code = '320900' and month = ?",
        [month],
    ).fetchone()[0]
    m = re.search(r"Scope 1 YTD \(tCO2e\)\s*([\d,]+\.\d{3})", text)
    assert m and _num(m.group(1)) == pytest.approx(ytd, abs=5e-4)


def test_pdfs_embed_a_cjk_font_only(ent_pdf, monthly_pdf):
    for pdf in (ent_pdf, monthly_pdf):
        fonts = _fonts(pdf)
        assert fonts and all("NotoSansCJK" in f for f in fonts), fonts


def test_chart_png_draws_chinese_without_missing_glyphs(con, uscc, year):
    rep = data.enterprise(con, uscc, year)
    from matplotlib import font_manager

    from carbon.reports.fonts import matplotlib_cjk

    name = matplotlib_cjk()
    assert "CJK" in name
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert "NotoSansCJK" in path, path  # not DejaVu (which draws 汉字 as boxes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart_png(rep.charts[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [w for w in caught if "missing from" in str(w.message)]


def test_chart_png_fails_loudly_on_a_font_without_chinese(con, uscc, year, monkeypatch):
    """The guard that makes the test above meaningful: with DejaVu only, glyphs are missing."""
    import matplotlib

    from carbon.reports import render

    rep = data.enterprise(con, uscc, year)
    monkeypatch.setattr(render, "matplotlib_cjk", lambda: None)
    monkeypatch.setitem(matplotlib.rcParams, "font.sans-serif", ["DejaVu Sans"])
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    with pytest.raises(RuntimeError, match="glyph"):
        render.chart_png(rep.charts[0])


def test_enterprise_xlsx_holds_the_figures_with_bilingual_headers(con, uscc, year):
    wb = load_workbook(io.BytesIO(xlsx_bytes(data.enterprise(con, uscc, year))))
    assert "概要 Summary" in wb.sheetnames
    facts = {r[0]: r[1] for r in wb["概要 Summary"].iter_rows(values_only=True) if r and r[0]}
    assert facts["统一社会信用代码 USCC (GB 32100)"] == uscc
    ws = wb["月度 Monthly"]
    head = [c.value for c in ws[1]]
    assert head[0] == label("month") and re.search(r"[\u4e00-\u9fff]", head[0])
    ti = head.index(label("tco2e_total"))
    got = {r[0]: r[ti] for r in ws.iter_rows(min_row=2, values_only=True)}
    want = dict(
        con.execute(
            "select month, tco2e_total from ent_enterprise_emissions_monthly where uscc = ? and month like ? || '%'",
            [uscc, year],
        ).fetchall()
    )
    assert got == pytest.approx(want, rel=1e-15)  # 16 significant digits, same as the mart
    fv = {r[2] for r in wb["因子 Factors"].iter_rows(min_row=2, values_only=True)}
    assert fv == {
        r[0]
        for r in con.execute(
            "select distinct factor_version from ledger_entries where ledger = 'enterprise' "
            "and account_id = ? and period like ? || '%'",
            [uscc, year],
        ).fetchall()
    }


def test_monthly_xlsx_districts_equal_the_mart(con, month):
    wb = load_workbook(io.BytesIO(xlsx_bytes(data.monthly(con, month))))
    ws = wb["区县 Districts"]
    head = [c.value for c in ws[1]]
    ri, yi = head.index(label("region_code")), head.index(label("tco2e_scope1_ytd"))
    got = {r[ri]: r[yi] for r in ws.iter_rows(min_row=2, values_only=True)}
    want = dict(
        con.execute(
            "select region_code, tco2e_scope1_ytd from gov_region_indicators where month = ? "
            "and region_code like '3209__' and region_code <> '320900'",
            [month],
        ).fetchall()
    )
    # openpyxl writes numbers with 16 significant digits ("%.16g"; Excel shows 15)
    assert got == pytest.approx(want, rel=1e-15) and len(want) == 9


def test_no_raw_identifier_in_any_report(
    con, uscc, year, month, ent_pdf, monthly_pdf, built_warehouse
):
    texts = [_text(ent_pdf), _text(monthly_pdf)]
    for rep in (data.enterprise(con, uscc, year), data.monthly(con, month)):
        wb = load_workbook(io.BytesIO(xlsx_bytes(rep)))
        texts.append(
            "\n".join(
                str(v)
                for ws in wb
                for r in ws.iter_rows(values_only=True)
                for v in r
                if v is not None
            )
        )
    for t in texts:
        assert not ID_CARD.search(t), ID_CARD.search(t)
        assert not PHONE.search(t), PHONE.search(t)
    # and none of the raw identifiers delivered in landing (the privacy tests' scanner)
    landing = built_warehouse.parents[1] / "landing"
    assert landing.is_dir(), landing
    raw = _leakscan().raw_identifiers(landing)
    assert raw  # the demo delivers raw ID-card and phone numbers
    probe = next(v for v in sorted(raw) if v.isdigit())
    assert _leakscan()._hits_in_text(f"电话 {probe} ", raw, "probe")  # the scan would see one
    for i, t in enumerate(texts):
        assert not _leakscan()._hits_in_text(t, raw, f"report {i}"), i
    assert ID_CARD.search("持证人 320902199001011234 ") and PHONE.search("电话 13912345678")


# ---- the console route: same authorize point as the pages


def test_console_report_route_serves_pdf_and_xlsx(client_for, uscc, year, month):
    c = client_for("city")
    r = c.get(f"/report/enterprise/{uscc}.pdf?period={year}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert uscc in _text(r.content)
    r = c.get(f"/report/monthly/{month}.xlsx")
    assert (
        r.status_code == 200
        and load_workbook(io.BytesIO(r.content)).sheetnames[0] == "概要 Summary"
    )
    assert f"/report/monthly/{month}.pdf" in c.get("/").text
    assert f"/report/enterprise/{uscc}.pdf" in c.get(f"/enterprise/{uscc}").text


def test_district_gets_403_for_another_district(client_for, users, con, month):
    own = users["district"]["region_code"]
    c = client_for("district")
    inside, outside = (
        con.execute(
            f"select uscc from ent_enterprise_emissions_monthly where region_code {op} ? limit 1",
            [own],
        ).fetchone()[0]
        for op in ("=", "<>")
    )
    assert c.get(f"/report/enterprise/{inside}.pdf").status_code == 200
    assert c.get(f"/report/enterprise/{outside}.pdf").status_code == 403
    assert c.get(f"/report/enterprise/{outside}.xlsx").status_code == 403
    assert c.get(f"/report/monthly/{month}.pdf").status_code == 403  # the city-wide brief
    other = "320981" if own != "320981" else "320902"
    r = c.get(f"/report/monthly/{month}.xlsx?region={own}")  # the district's own brief
    assert r.status_code == 200
    regions = {
        row[1]
        for row in load_workbook(io.BytesIO(r.content))["区县 Districts"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert regions == {own}
    assert c.get(f"/report/monthly/{month}.pdf?region={other}").status_code == 403
    assert c.get(f"/report/monthly/{month}.xlsx?region={other}").status_code == 403


def test_enterprise_user_changing_uscc_gets_403(client_for, home, uscc):
    other = (home / "console" / "bank_consents.csv").read_text().splitlines()[2].split(",")[1]
    c = client_for("enterprise")
    assert c.get(f"/report/enterprise/{uscc}.xlsx").status_code == 200
    assert c.get(f"/report/enterprise/{other}.pdf").status_code == 403
    assert c.get(f"/report/enterprise/{other}.xlsx").status_code == 403


def test_bank_gets_403_after_consent_ended(client_for, home):
    _, active, ended = (home / "console" / "bank_consents.csv").read_text().splitlines()
    active, ended = active.split(","), ended.split(",")
    assert ended[3]  # an end date in the past
    c = client_for("bank")
    assert c.get(f"/report/enterprise/{active[1]}.pdf").status_code == 200
    assert c.get(f"/report/enterprise/{ended[1]}.pdf").status_code == 403
    assert c.get(f"/report/enterprise/{ended[1]}.xlsx").status_code == 403


def test_console_report_bad_input(client_for, uscc, app):
    from fastapi.testclient import TestClient

    assert (
        TestClient(app).get(f"/report/enterprise/{uscc}.pdf", follow_redirects=False).status_code
        == 303
    )
    c = client_for("city")
    assert c.get("/report/enterprise/not-a-uscc.pdf").status_code == 400
    assert c.get(f"/report/enterprise/{uscc}.doc").status_code == 400
    assert c.get(f"/report/enterprise/{uscc}.pdf?period=20x6").status_code == 400
    assert c.get(f"/report/enterprise/{uscc}.pdf?period=1999").status_code == 404
    assert c.get(f"/report/enterprise/{'9' * 17}X.pdf").status_code == 404
    assert c.get("/report/monthly/2026-13.pdf").status_code == 400
    assert c.get("/report/monthly/1999-01.xlsx").status_code == 404
    assert c.get("/report/weekly/2026-10.pdf").status_code == 404
    assert c.get("/report/monthly/2026-10.pdf?region=32090x").status_code == 400
    assert c.get("/report/monthly/2026-10.pdf?region=320999").status_code == 404


# ---- the CLI (bureau operator, city scope)


def _carbon(home, *argv):
    import os

    return subprocess.run(
        [sys.executable, "-m", "carbon.cli", "--home", str(home), "report", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "CARBON_HOME": str(home)},
    )


def test_cli_writes_reports_atomically_into_home_reports(home, uscc, year, month):
    r = _carbon(home, "enterprise", uscc, "--period", year, "--format", "xlsx")
    assert r.returncode == 0, r.stderr
    p = Path(r.stdout.strip())
    assert p == home / "reports" / f"carbon-report-enterprise-{uscc}-{year}.xlsx"
    assert load_workbook(p)["概要 Summary"]["A1"].value.startswith("企业碳账户报告")
    r = _carbon(home, "monthly", month, "--format", "pdf")
    assert r.returncode == 0, r.stderr
    assert "月度碳排放简报" in _text(Path(r.stdout.strip()).read_bytes())
    assert not list((home / "reports").glob(".*.tmp"))


@pytest.mark.parametrize(
    "argv",
    [
        ["enterprise", "not-a-uscc", "--period", "2026"],
        ["enterprise", "9" * 17 + "X", "--period", "2026"],
        ["enterprise", "USCC", "--period", "2026-13"],
        ["enterprise", "USCC", "--period", "1999"],
        ["monthly", "2026-13"],
        ["monthly", "1999-01"],
        ["monthly", "2026-10", "--format", "doc"],
        ["monthly", "2026-10", "--region", "3209"],
        ["monthly", "2026-10", "--region", "320999"],
    ],
)
def test_cli_bad_input_exit_2_one_line(home, uscc, argv, monkeypatch, capsys):
    from carbon.cli import main

    monkeypatch.setenv("CARBON_HOME", str(home))  # main() sets it from --home; restored after
    argv = [uscc if a == "USCC" else a for a in argv]
    try:
        code = main(["--home", str(home), "report", *argv])
    except SystemExit as exc:  # argparse's own errors (--format doc)
        code = exc.code
    out = capsys.readouterr()
    assert code == 2, (out.out, out.err)
    err = out.err.strip().splitlines()
    assert err and "Traceback" not in out.err and not out.out
    if "--format" not in argv:
        assert len(err) == 1 and err[0].startswith("carbon report: error: "), err


def test_no_cjk_font_fails_with_a_clear_message(monkeypatch):
    from carbon.reports import fonts

    monkeypatch.setattr(fonts, "KNOWN", ())
    monkeypatch.setattr(fonts, "_fc_match", lambda: None)
    monkeypatch.delenv("CARBON_CJK_FONT", raising=False)
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.NoCJKFont, match="fonts-noto-cjk"):
            fonts.cjk_font()
        monkeypatch.setenv("CARBON_CJK_FONT", "/nonexistent/font.ttc")
        with pytest.raises(fonts.NoCJKFont, match="no such file"):
            fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()
    monkeypatch.undo()
    assert "NotoSansCJK" in fonts.cjk_font().path.name  # the installed font is found again
