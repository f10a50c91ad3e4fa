"""The demo city's product footprints end to end (issue 14 §2): generator → ``carbon nightly``
under real Airflow (ingest with pandera and quarantine, dbt build on real DuckDB) → the pcf marts
→ the declaration (PDF and JSON) and its CLI. Reconciled independently: what the mart allocates
adds back to the enterprise ledger and to purchases × library factor computed here from the lake."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader

from carbon.config import REPO_ROOT
from carbon.demo.pcf import UNKNOWN_MATERIAL, UNKNOWN_UNIT
from carbon.domain import pcf
from carbon.pipeline.lake import read_dataset
from carbon.reports.pcf import write_pcf_declaration


@pytest.fixture(scope="module")
def con(demo_build):
    c = duckdb.connect(str(demo_build.warehouse), read_only=True)
    yield c
    c.close()


def _df(con, sql, params=None):
    return con.execute(sql, params or []).df()


def _cement_works(con) -> list[str]:
    return sorted(
        _df(
            con,
            "select distinct uscc from pcf_product_footprints where product_code = 'cement'",
        )["uscc"]
    )


def test_nightly_builds_the_footprints(demo_build, con):
    fp = _df(con, "select * from pcf_product_footprints")
    assert len(fp) > 0 and {"month", "year"} == set(fp["period_type"])
    assert set(fp["allocation_method"]) <= {"physical", "economic", "economic / physical"}
    # a CHP plant's MWh + GJ cannot be allocated physically: economic, and the row says why
    note = fp["allocation_note"].fillna("").str.contains("physical allocation not possible")
    mixed = fp[note & (fp["period_type"] == "month")]
    assert len(mixed) and (mixed["allocation_method"] == "economic").all()
    assert set(mixed["product_code"]) == {"electricity", "heat"}
    assert {"clinker", "cement", "crude_steel", "steel_products", "pig_iron"} <= set(
        fp["product_code"]
    )
    assert _cement_works(con)


def test_allocated_parts_add_back_to_the_ledger_and_to_purchases(demo_build, con):
    month = _df(con, "select * from pcf_product_footprints where period_type = 'month'")
    ent = _df(
        con,
        "select uscc, month, scope1_combustion + scope1_process as s1, "
        "tco2e_total - scope1_combustion - scope1_process as s2 from ent_enterprise_emissions_monthly",
    ).set_index(["uscc", "month"])
    g = month.groupby(["uscc", "period"])[["own_direct_kgco2e", "own_energy_kgco2e"]].sum()
    for (u, m), row in g.iterrows():
        assert abs(row["own_direct_kgco2e"] - ent.at[(u, m), "s1"] * 1000) <= 1e-6 * max(
            1.0, abs(row["own_direct_kgco2e"])
        )
        assert abs(row["own_energy_kgco2e"] - ent.at[(u, m), "s2"] * 1000) <= 1e-6 * max(
            1.0, abs(row["own_energy_kgco2e"])
        )
    # upstream and transport from the lake and the Python library, independently of the SQL
    lake = read_dataset("material_purchases", demo_build.home)
    mats = pcf.materials().set_index("material_code")
    lib = pcf.load_factors().set_index("pcf_factor_id")

    def kg(code):
        fid = mats.at[code, "pcf_factor_id"] if code in mats.index else ""
        return lib.at[fid, "kgco2e_per_unit"] if fid and lib.at[fid, "fit_for_pcf"] else None

    lake["up"] = [q * kg(c) if kg(c) is not None else None for q, c in zip(lake.quantity, lake.material_code, strict=True)]  # fmt: skip
    lake["tr"] = [
        q * km * kg(mode) if isinstance(mode, str) and kg(mode) is not None else None
        for q, km, mode in zip(lake.quantity, lake.transport_km, lake.transport_mode, strict=True)
    ]
    want = lake.groupby(["uscc", "month"])[["up", "tr", "quantity"]].sum(min_count=1)
    got = month.groupby(["uscc", "period"]).agg(
        up=("upstream_kgco2e", lambda s: s.sum(min_count=1)),
        tr=("transport_kgco2e", lambda s: s.sum(min_count=1)),
        input_t=("input_t", "first"),
    )
    common = got.index.intersection(want.index)
    assert len(common) > 0
    for k in common:
        for a, b in ((got.at[k, "up"], want.at[k, "up"]), (got.at[k, "tr"], want.at[k, "tr"])):
            if pd.isna(b):
                assert pd.isna(a), k  # nothing covered: NULL, never zero
            else:
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), k
        assert abs(got.at[k, "input_t"] - want.at[k, "quantity"]) <= 1e-9 * want.at[k, "quantity"]


def test_missing_inputs_lower_coverage_and_are_named(con):
    u = _cement_works(con)[0]
    r = _df(
        con,
        "select * from pcf_product_footprints where uscc = ? and product_code = 'cement' "
        "and period = '2026-10'",
        [u],
    ).iloc[0]
    assert 0 < r["coverage_share"] < 1 and not r["is_complete"]
    assert "clay" in r["missing_inputs"] and "gypsum" in r["missing_inputs"]
    assert "aggregates_desnz@DESNZ-2025" in r["pcf_factor_versions"]
    # rolling mills buy billets with a factor and truck them in: complete
    roll = _df(
        con,
        "select * from pcf_product_footprints where product_code = 'steel_products' "
        "and period_type = 'month' and input_t is not null",
    )
    assert len(roll) and (roll["coverage_share"] == 1).all() and roll["is_complete"].all()


def test_bad_purchase_rows_are_quarantined_with_their_reason(demo_build):
    q = pd.concat(
        pd.read_parquet(f)
        for f in (demo_build.home / "quarantine" / "material_purchases").rglob("*.parquet")
    )
    got = sorted(q[["check", "column", "failure_value"]].astype(str).values.tolist())
    assert got == [
        ["known_code", "material_code", UNKNOWN_MATERIAL],
        ["unit", "unit", UNKNOWN_UNIT],
    ]


def test_library_mart_equals_the_python_library(con):
    m = _df(con, "select * from pcf_factor_library").set_index("pcf_factor_id")
    py = pcf.load_factors().set_index("pcf_factor_id")
    assert set(m.index) == set(py.index)
    for fid in py.index:
        assert abs(m.at[fid, "kgco2e_per_unit"] - py.at[fid, "kgco2e_per_unit"]) <= 1e-12
        assert m.at[fid, "source_document"] and m.at[fid, "source_url"] and m.at[fid, "gwp_set"]


def test_declaration_pdf_and_json(demo_build, con, tmp_path):
    u = _cement_works(con)[0]
    pdf, js = write_pcf_declaration(demo_build.home, u, "cement", "2026", tmp_path)
    d = json.loads(js.read_text(encoding="utf-8"))
    row = _df(
        con,
        "select * from pcf_product_footprints where uscc = ? and product_code = 'cement' "
        "and period = '2026'",
        [u],
    ).iloc[0]
    assert d["result_kgco2e_per_unit"]["total"] == row["kgco2e_per_unit"]
    assert d["coverage"]["missing_inputs"] == row["missing_inputs"]
    assert d["method"]["allocation_method"] == "physical" and d["standard"].startswith("GB/T 24067")
    assert {f["pcf_factor_id"] for f in d["factors"]} == {
        "aggregates_desnz",
        "transport_road_hgv_desnz",
    }
    assert all(f["source_document"] and f["system_boundary"] for f in d["factors"])
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    text = "\n".join(p.extract_text() or "" for p in reader.pages).replace("\x00", "")
    for s in ("产品碳足迹声明", "Product carbon footprint declaration", "系统边界", "cradle to gate",
              "物理分配", "因子覆盖率", "clay", "DESNZ", u):  # fmt: skip
        assert s in text, s
    fonts = {
        str(f.get_object()["/BaseFont"])
        for p in reader.pages
        for f in (p["/Resources"].get("/Font") or {}).values()
    }
    assert any("NotoSansCJK" in f for f in fonts), fonts
    assert not list(tmp_path.glob(".*.tmp"))  # atomic: no temporary left


def _cli(home, *argv):
    env = {**os.environ, "CARBON_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "carbon.cli", "report", "pcf", *argv],
        cwd=REPO_ROOT, env=env, text=True, capture_output=True,
    )  # fmt: skip


def test_cli(demo_build, con, tmp_path):
    u = _cement_works(con)[0]
    r = _cli(demo_build.home, u, "cement", "--period", "2026-10", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    pdf, js = r.stdout.split()
    assert pdf.endswith(f"carbon-pcf-declaration-{u}-cement-2026-10.pdf") and js.endswith(".json")
    for bad in (["--period", "2026-13"], ["--period", "2026-10-31"]):
        r = _cli(demo_build.home, u, "cement", *bad, "--out", str(tmp_path))
        assert r.returncode == 2, r.stderr
    r = _cli(demo_build.home, u, "widgets", "--period", "2026", "--out", str(tmp_path))
    assert r.returncode == 2 and "widgets" in r.stderr
