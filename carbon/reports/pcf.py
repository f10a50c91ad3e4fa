"""Product carbon-footprint declaration (产品碳足迹声明), issue 14 §2: PDF and JSON.

``write_pcf_declaration(home, uscc, product_code, period, out_dir)`` reads one row of the mart
``pcf_product_footprints`` (enterprise × product × month or year) and the library rows it used
(``pcf_factor_library``) from the warehouse (read-only), and writes
``carbon-pcf-declaration-<USCC>-<PRODUCT>-<PERIOD>.pdf`` and ``.json`` atomically into ``out_dir``.
Both state the declared unit, the system boundary, the method (GB/T 24067 / ISO 14067, the
allocation and the Scope 2 basis), the result split into own direct / own electricity and heat /
upstream / transport, the factor sources and versions, the coverage and the missing inputs.
The PDF is rendered by ``carbon.reports.render`` (Noto Sans CJK embedded, Chinese beside
English). Errors: ``data.BadRequest`` (malformed USCC, product or period) and ``data.NotFound``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from carbon.reports.data import BadRequest, NotFound, Report, Section, _build_id, _now

USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PERIOD_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
PRODUCT_RE = re.compile(r"^[a-z0-9_]{1,40}$")

STANDARD = "GB/T 24067-2024 温室气体 产品碳足迹 量化要求和指南 / ISO 14067:2018"
BOUNDARY = (
    "从摇篮到大门 cradle to gate: the enterprise's own Scope 1 (fuel combustion and process) and "
    "Scope 2 (purchased electricity and net heat) from its carbon account, allocated to the product; "
    "upstream production of purchased materials (material_purchases × cradle-to-gate factor); "
    "transport of those materials to the gate where reported. Excluded 不含: upstream of fuels and "
    "electricity beyond the factors used, capital goods, use and end of life (not cradle to grave)."
)
COVERAGE_BASIS = "按质量 by mass: purchased materials with a factor fit for a footprint / all purchased materials (t)"
ALLOCATION = {
    "physical": "物理分配 physical: by quantity of the enterprise-month's co-products (one unit)",
    "economic": "经济分配 economic: by output value (万元 10^4 CNY) of the enterprise-month's products",
}


def _check(uscc: str, product_code: str, period: str) -> None:
    if not uscc or not USCC_RE.match(uscc):
        raise BadRequest(
            f"malformed USCC {uscc!r}: expected 18 characters (GB 32100) / 统一社会信用代码应为18位"
        )
    if not product_code or not PRODUCT_RE.match(product_code):
        raise BadRequest(f"malformed product code {product_code!r} / 产品代码格式错误")
    if not period or not PERIOD_RE.match(period):
        raise BadRequest(
            f"malformed period {period!r}: expected YYYY or YYYY-MM / 期间应为 YYYY 或 YYYY-MM"
        )


def _one(con, sql: str, params: list) -> dict | None:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    return None if row is None else dict(zip(cols, row, strict=True))


def declaration(con, uscc: str, product_code: str, period: str) -> dict:
    """The declaration's content (what the JSON holds and the PDF shows)."""
    _check(uscc, product_code, period)
    r = _one(
        con,
        "select * from pcf_product_footprints where uscc = ? and product_code = ? and period = ?",
        [uscc, product_code, period],
    )
    if r is None:
        known = con.execute(
            "select count(*) from pcf_product_footprints where uscc = ?", [uscc]
        ).fetchone()[0]
        what = "no footprint for this product and period" if known else "enterprise not found"
        raise NotFound(f"{what}: {uscc} {product_code} {period} / 未找到该企业、产品或期间的碳足迹")
    from carbon.domain.units import PRODUCTS

    ent = _one(
        con,
        "select any_value(region_code) as region_code, any_value(industry_code) as industry_code "
        "from ent_enterprise_emissions_monthly where uscc = ?",
        [uscc],
    )
    refs = [x.strip() for x in (r["pcf_factor_versions"] or "").split(",") if x.strip()]
    factors = []
    for ref in refs:
        fid, _, ver = ref.partition("@")
        row = _one(
            con,
            "select * from pcf_factor_library where pcf_factor_id = ? and pcf_factor_version = ?",
            [fid, ver],
        )
        if row:
            factors.append(row)
    prod = PRODUCTS.get(product_code)
    methods = (r["allocation_method"] or "").split(" / ")
    return {
        "document": "产品碳足迹声明 Product carbon footprint declaration",
        "standard": STANDARD,
        "enterprise": {"uscc": uscc, **(ent or {})},
        "product": {
            "product_code": product_code,
            "name_zh": prod.name_zh if prod else None,
            "declared_unit": r["product_unit"],
        },
        "period": period,
        "period_type": r["period_type"],
        "months": r["months"],
        "is_provisional": r["is_provisional"],
        "quantity": r["output_quantity"],
        "system_boundary": BOUNDARY,
        "method": {
            "allocation_method": r["allocation_method"],
            "allocation": [ALLOCATION.get(m, m) for m in methods],
            "allocation_note": r["allocation_note"],
            "scope2_basis": r["scope2_basis"],
            "own_emissions_source": "企业碳账户 enterprise ledger (ent_enterprise_emissions_monthly, ledger_entries)",
        },
        "result_kgco2e_per_unit": {
            "total": r["kgco2e_per_unit"],
            "own_direct": r["own_direct_kgco2e_per_unit"],
            "own_electricity_and_heat": r["own_energy_kgco2e_per_unit"],
            "upstream_materials": r["upstream_kgco2e_per_unit"],
            "transport_to_gate": r["transport_kgco2e_per_unit"],
        },
        "result_kgco2e": {
            "own_direct": r["own_direct_kgco2e"],
            "own_electricity_and_heat": r["own_energy_kgco2e"],
            "upstream_materials": r["upstream_kgco2e"],
            "transport_to_gate": r["transport_kgco2e"],
        },
        "coverage": {
            "coverage_share": r["coverage_share"],
            "basis": COVERAGE_BASIS,
            "input_t": r["input_t"],
            "covered_input_t": r["covered_input_t"],
            "missing_inputs": r["missing_inputs"],
            "is_complete": r["is_complete"],
        },
        "factors": factors,
        "ledger_factor_versions": r["ledger_factor_versions"],
        "generated_at": _now(),
        "build_id": _build_id(con),
    }


def _n(v, unit: str = "") -> str:
    if v is None:
        return "— (无 none)"
    if isinstance(v, float):
        return f"{v:,.6g} {unit}".strip()
    return f"{v} {unit}".strip()


def report(decl: dict) -> Report:
    """The declaration as a ``Report`` for ``carbon.reports.render``."""
    p, res, cov, m = (
        decl["product"],
        decl["result_kgco2e_per_unit"],
        decl["coverage"],
        decl["method"],
    )
    unit = f"kgCO2e/{p['declared_unit']}"
    share = cov["coverage_share"]
    facts = [
        ("声明 Declaration", decl["document"]),
        ("依据标准 Standard", decl["standard"]),
        ("企业 Enterprise (USCC)", decl["enterprise"]["uscc"]),
        ("行业/区县 Industry / county", f"{decl['enterprise'].get('industry_code') or ''} / {decl['enterprise'].get('region_code') or ''}"),
        ("产品 Product", f"{p['product_code']} {p['name_zh'] or ''}"),
        ("声明单位 Declared unit", f"1 {p['declared_unit']}"),
        ("核算期 Period", f"{decl['period']} ({decl['period_type']}, {decl['months']} 个月 months)"
         + (" 快报 provisional" if decl["is_provisional"] else "")),
        ("产量 Quantity", _n(decl["quantity"], p["declared_unit"])),
        ("产品碳足迹 Carbon footprint", _n(res["total"], unit)),
        ("系统边界 System boundary", decl["system_boundary"]),
        ("分配方法 Allocation", "; ".join(m["allocation"]) + (f" ({m['allocation_note']})" if m["allocation_note"] else "")),
        ("范围二口径 Scope 2 basis", m["scope2_basis"]),
        ("因子覆盖率 Coverage", ("—" if share is None else f"{share:.2%}") + f"; {cov['basis']}"),
        ("缺少因子的输入 Missing inputs", cov["missing_inputs"] or "无 none"),
        ("完整性 Complete", "是 yes" if cov["is_complete"] else "否 no: the footprint covers the inputs with a factor only 仅含有因子的输入"),
        ("自身排放因子 Ledger factors", decl["ledger_factor_versions"] or "—"),
        ("生成时间 Generated", f"{decl['generated_at']}, build {decl['build_id']}"),
    ]  # fmt: skip
    parts = Section(
        "Result",
        "结果 Result (kgCO2e per declared unit 每声明单位)",
        ["组成 part", "kgCO2e/单位 per unit", "kgCO2e 合计 total"],
        [
            ("自身直接排放 own direct (Scope 1)", res["own_direct"], decl["result_kgco2e"]["own_direct"]),
            ("外购电力与热力 own electricity and heat (Scope 2)", res["own_electricity_and_heat"], decl["result_kgco2e"]["own_electricity_and_heat"]),
            ("上游原材料 upstream materials", res["upstream_materials"], decl["result_kgco2e"]["upstream_materials"]),
            ("运输至厂 transport to gate", res["transport_to_gate"], decl["result_kgco2e"]["transport_to_gate"]),
            ("合计 total", res["total"], None),
        ],
        note="空白 = 无数据或无因子, 不按零计 (blank: no data or no factor, never counted as zero).",
    )  # fmt: skip
    fac = Section(
        "Factors",
        "因子来源 Factor sources and versions",
        ["因子 factor@version", "值 value", "边界 boundary", "GWP", "来源 source", "状态 status", "质量 DQ"],
        [
            (
                f"{f['pcf_factor_id']}@{f['pcf_factor_version']}",
                f"{f['published_value']:g} {f['published_unit']} = {f['kgco2e_per_unit']:g} kgCO2e/{f['per_unit']}",
                f["system_boundary"],
                f["gwp_set"],
                f"{f['source_document']}; {f['source_table']}; {f['source_url']}",
                f["source_status"],
                f"{f['dq_rating']} (R{f['dq_reliability']} T{f['dq_temporal']} G{f['dq_geography']})",
            )
            for f in decl["factors"]
        ],
        note="数据质量 1 最好 … 5 最差 (data quality 1 best … 5 worst; R reliability 可靠性, T temporal 时间, G geography 地理); docs/pcf.md.",
    )  # fmt: skip
    u, prod = decl["enterprise"]["uscc"], p["product_code"]
    return Report(
        kind="pcf",
        key=f"{u}-{prod}",
        period=decl["period"],
        title=f"产品碳足迹声明 Product carbon footprint declaration — {u} {prod} {decl['period']}",
        facts=facts,
        sections=[parts, fac],
    )


def _atomic_write(target: Path, data: bytes) -> None:
    from carbon.pipeline.lake import atomic_path

    with atomic_path(target, fsync=True) as tmp:
        tmp.write_bytes(data)


def write_pcf_declaration(paths_or_home, uscc: str, product_code: str, period: str, out_dir):
    """Write the PDF and JSON declaration; return ``(pdf_path, json_path)``.

    ``paths_or_home``: a ``carbon.config.Paths`` or a data home (None: ``$CARBON_HOME``)."""
    from carbon.config import Paths, paths
    from carbon.reports.render import pdf_bytes

    _check(uscc, product_code, period)
    p = paths_or_home if isinstance(paths_or_home, Paths) else paths(paths_or_home)
    if not p.warehouse.exists():
        raise NotFound(
            f"no warehouse yet at {p.warehouse}: run the nightly build first / 尚无数据仓库"
        )
    import duckdb

    con = duckdb.connect(str(p.warehouse), read_only=True)
    try:
        decl = declaration(con, uscc, product_code, period)
    finally:
        con.close()
    rep = report(decl)
    pdf = pdf_bytes(rep)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pdf_path, json_path = out / f"{rep.stem}.pdf", out / f"{rep.stem}.json"
    _atomic_write(pdf_path, pdf)
    text = json.dumps(decl, ensure_ascii=False, indent=2, default=str) + "\n"
    _atomic_write(json_path, text.encode("utf-8"))
    return pdf_path, json_path
