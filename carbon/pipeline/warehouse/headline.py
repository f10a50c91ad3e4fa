"""The headline figures of the night (核心指标): read from the mart ``main.ledger_headline``.

The figures are computed in dbt (``models/marts/ledger/ledger_headline.sql``); this module only
reads that mart and lays it out, as text (:func:`headline`, what the nightly log and the ledger
DAG print) or as a rich table (:func:`headline_table`, ``carbon ledgers headline``). Nothing here
reads the intermediate schema.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from carbon.config import paths
from carbon.pipeline.warehouse.build import warehouse_lock

MART = "main.ledger_headline"

SECTIONS_ZH = {
    "city_vs_ceads": "全市总量(自上而下范围一)与 CEADs 校准",
    "district": "区县排放(自下而上)",
    "top_enterprises": "排放前十企业",
    "carbon_efficiency_grades": "碳效码等级分布(最新月份)",
    "personal_credits": "碳普惠减排量",
    "reconciliation": "对账",
    "recon_exceptions": "对账异常",
}


def connect_ro(home: str | Path | None = None):
    import duckdb

    return duckdb.connect(str(paths(home).warehouse), read_only=True)


def rows(con) -> dict[str, list[dict]]:
    """section -> its items in order, each ``{subject_code, subject_name, period, metric: value}``."""
    out: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for section, ord_, code, name, period, metric, value in con.execute(
        f"""select section, ord, subject_code, subject_name, period, metric, value
            from {MART} order by section, ord, subject_code, metric"""
    ).fetchall():
        item = out[section].setdefault(
            (ord_, code, period), {"subject_code": code, "subject_name": name, "period": period}
        )
        item[metric] = value
    return {s: list(items.values()) for s, items in out.items()}


def _city(items: list[dict]) -> list[str]:
    lines = ["== City total (top-down Scope 1) vs CEADs calibration 全市总量与 CEADs 校准 =="]
    for r in items:
        year, cmt = r["period"], r.get("ceads_reference")
        if cmt is not None:
            cy = int(r["ceads_reference_year"])
            ref = (
                f"CEADs {cy} (latest CEADs year on or before {year}): {cmt:.2f} Mt"
                f" (ratio {year}/{cy} {r['ratio_to_reference']:.2f})"
            )
        else:
            ref = "no CEADs figure"
        lines.append(
            f"  {r['subject_name']} {r['subject_code']} our {year}: "
            f"{r['top_down_scope1']:.2f} Mt  vs  {ref}"
        )
    return lines


def _districts(items: list[dict]) -> list[str]:
    lines = [
        "== Districts 区县 (bottom-up, tCO2, all months built): Scope 1 范围一; Scope 2 范围二 ="
        " electricity 电力 + net purchased heat 净购入热力 (heat purchased 外购热力 − heat exported"
        " 输出热力, exports deducted as GB/T 32150 and the MEE guidelines do) =="
    ]
    for r in items:
        s1, s2e, hp, hx = (
            r.get(k) or 0.0
            for k in ("scope1", "scope2_electricity", "heat_purchased", "heat_exported")
        )
        note = (
            "  (Scope 1 = 0: no enterprise in this county reports fuel or process activity;"
            " its emissions are purchased electricity / heat only)"
            if not s1
            else ""
        )
        if hp - hx < 0:
            note += (
                "  (net heat < 0: a CHP / heat plant here exports more heat than the county's"
                " reporters buy; its fuel is in Scope 1, the export is deducted 输出热力扣减)"
            )
        lines.append(
            f"  {r['subject_code']} {r['subject_name']}: Scope 1 {s1:,.0f}  Scope 2 {s2e + hp - hx:,.0f}"
            f" = electricity 电力 {s2e:,.0f} + heat purchased 外购热力 {hp:,.0f}"
            f" − heat exported 输出热力 {hx:,.0f} (net heat 净购入热力 {hp - hx:,.0f}){note}"
        )
    return lines


def headline_text(con) -> str:
    """The headline as text, from an open connection to the warehouse."""
    s = rows(con)
    lines = _city(s.get("city_vs_ceads", [])) + _districts(s.get("district", []))
    lines.append("== Top 10 enterprises 排放前十企业 (tCO2e, all months built) ==")
    for r in s.get("top_enterprises", []):
        lines.append(f"  {r['subject_code']} {r['subject_name']}: {r['tco2e_total']:,.0f}")
    grades = s.get("carbon_efficiency_grades", [])
    lines.append("== 碳效码 grade distribution (latest month 最新月份) ==")
    lines.append(
        "  "
        + (
            "  ".join(f"{r['subject_name']}: {int(r['enterprises'])}" for r in grades)
            or "(no enterprise with value added)"
        )
    )
    credits = (s.get("personal_credits") or [{}])[0].get("credited") or 0.0
    lines.append("== Personal credits issued (碳普惠) ==")
    lines.append(f"  {credits:,.3f} tCO2e credited")
    rec = (s.get("reconciliation") or [{}])[0]
    lines.append(
        f"== Reconciliation 对账: {int(rec.get('region_months_hold') or 0)}/"
        f"{int(rec.get('region_months') or 0)} region-months hold =="
    )
    exc = s.get("recon_exceptions", [])
    total = sum(int(r["activity_rows"]) for r in exc)
    lines.append(
        f"== Reconciliation exceptions (对账异常): {total} activity rows left out of the ledgers"
        " (main.recon_exceptions) =="
    )
    lines += [f"  {r['subject_code']}: {int(r['activity_rows'])}" for r in exc]
    return "\n".join(lines)


def headline(home: str | Path | None = None) -> str:
    """The figures the nightly run ends with, as text (under the warehouse lock)."""
    with warehouse_lock(home), connect_ro(home) as con:
        return headline_text(con)


def headline_table(home: str | Path | None = None):
    """The mart as one bilingual rich table (section, subject, period, figure, value, unit)."""
    from rich.table import Table

    order = {name: i for i, name in enumerate(SECTIONS_ZH)}  # the text's order, not a-z
    with warehouse_lock(home), connect_ro(home) as con:
        data = con.execute(
            f"""select section, ord, subject_code, subject_name, period, metric, value, unit
                from {MART}"""
        ).fetchall()
    data = [
        (r[0], *r[2:]) for r in sorted(data, key=lambda r: (order.get(r[0], 99), r[1], r[2], r[5]))
    ]
    t = Table(title="headline figures 核心指标 (main.ledger_headline)")
    for head in (
        "section 板块",
        "subject 对象",
        "period 期间",
        "figure 指标",
        "value 数值",
        "unit 单位",
    ):
        t.add_column(head, justify="right" if head.startswith("value") else "left")
    for section, code, name, period, metric, value, unit in data:
        if value is None:
            shown = "–"
        elif unit == "year":
            shown = f"{int(value)}"
        else:
            shown = f"{value:,.0f}" if unit == "count" else f"{value:,.2f}"
        subject = f"{code} {name}".strip() if name and name != code else code
        t.add_row(f"{section} {SECTIONS_ZH.get(section, '')}", subject, period, metric, shown, unit)
    return t
