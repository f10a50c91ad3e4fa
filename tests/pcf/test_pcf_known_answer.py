"""Known answer of the product carbon footprint (issue 14 §2), worked by hand below.

The pcf models' SQL is compiled by real dbt (once with the default physical allocation, once with
``pcf_allocation: economic``) and run by real DuckDB over hand-made inputs (the enterprise
ledger's monthly rows, the output and purchases of one cement works) and the project's real
factor library (seeds pcf_factors, pcf_materials, emission_factors).

Hand working, cement works U1, product cement, 2026-10:
  output clinker 800 t (24 万元), cement 1200 t (48 万元): one unit (t) -> physical
    share of cement = 1200 / (800 + 1200)                              = 0.6
  own direct  = (120 combustion + 400 process) tCO2 × 1000 × 0.6       = 312,000 kg -> 260 kg/t
  own energy  = (580 total − 520 Scope 1) tCO2 × 1000 × 0.6            =  36,000 kg ->  30 kg/t
  purchases: limestone 960 t (road 30 km), clay 240 t (road 20 km), gypsum 60 000 kg = 60 t,
             fly ash 100 t (waterway 50 km)                             input 1360 t
    covered: limestone only (aggregates_desnz 7.79306 kgCO2e/t);  clay, gypsum, fly ash: no factor
    upstream  = 960 × 7.79306 × 0.6          = 4,488.80256 kg  -> 3.7406688 kg/t
    transport = (960 × 30 + 240 × 20) t·km × 0.10163 × 0.6
              = 33,600 × 0.10163 × 0.6       = 2,048.8608 kg   -> 1.707384 kg/t
              (fly ash by waterway: no factor -> listed, not zero)
  footprint = 260 + 30 + 3.7406688 + 1.707384                          = 295.4480528 kgCO2e/t
  coverage  = 960 / 1360                                               = 0.7058823529411765
2026-09: clinker 400 t, cement 600 t (share 0.6), Scope 1 60 + 200, total 290, no purchases:
  own direct 156,000 kg, own energy 18,000 kg; no upstream (NULL), "no material purchases reported".
Year 2026, cement: (312,000 + 156,000) / 1800 = 260; (36,000 + 18,000) / 1800 = 30;
  4,488.80256 / 1800 = 2.4937792; 2,048.8608 / 1800 = 1.138256 -> 293.6320352 kgCO2e/t.
Economic (by output value): cement share 48 / 72 = 2/3 in 2026-10:
  (520,000 + 60,000 + 960 × 7.79306 + 33,600 × 0.10163) × (2/3) / 1200
  = 590,896.1056 × 2/3 / 1200                                           = 328.27561422… kgCO2e/t
"""

from __future__ import annotations

import duckdb
import pytest

from carbon.config import REPO_ROOT
from carbon.domain.factors import load_factors as emission_factors  # noqa: F401 (path check)
from carbon.domain.pcf import DATA_DIR
from carbon.pipeline.warehouse import build as ledgers

MODELS = [
    ("intermediate", "int_pcf__factors"),
    ("intermediate", "int_pcf__product_shares"),
    ("intermediate", "int_pcf__input_lines"),
    ("main", "pcf_product_footprints"),
    ("main", "pcf_factor_library"),
]
U1 = "91320981P1JR6FGT50"
EF_CSV = REPO_ROOT / "carbon" / "domain" / "factors" / "data" / "emission_factors.csv"


def _compile(home, extra_vars=None):
    (home / "warehouse").mkdir()
    args = ["compile", "--select", " ".join(m for _, m in MODELS)]
    if extra_vars:
        args += ["--vars", extra_vars]
    ok, res = ledgers.run_dbt(args, home)
    assert ok, res
    target, _ = ledgers.dbt_dirs(home)
    out = {}
    for _, name in MODELS:
        (path,) = (target / "compiled").rglob(f"{name}.sql")
        out[name] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return {
        "physical": _compile(tmp_path_factory.mktemp("pcf_phys")),
        "economic": _compile(tmp_path_factory.mktemp("pcf_econ"), "{pcf_allocation: economic}"),
    }


def run_models(sql: dict, tmp_path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "carbon.duckdb"))
    for s in ("ref", "main", "intermediate", "staging"):
        con.execute(f"create schema if not exists {s}")
    for seed, path in (
        ("pcf_factors", DATA_DIR / "pcf_factors.csv"),
        ("pcf_materials", DATA_DIR / "pcf_materials.csv"),
        ("emission_factors", EF_CSV),
    ):
        con.execute(f"create table ref.{seed} as select * from read_csv('{path}', header = true)")
    con.execute(
        "create table intermediate.int_enterprises__current as select * from (values "
        f"('{U1}'), ('91320902JBJXCW4C6M')) t(uscc)"
    )
    con.execute(f"""create table main.ent_enterprise_emissions_monthly as select * from (values
        ('{U1}', '2026-10', 120.0, 400.0, 580.0, 'location', true),
        ('{U1}', '2026-09', 60.0, 200.0, 290.0, 'location', false)
        ) t(uscc, month, scope1_combustion, scope1_process, tco2e_total, scope2_basis, is_provisional)""")
    con.execute(f"""create table staging.stg_lake__industrial_activity as select * from (values
        ('{U1}', '2026-10', 'clinker', 800.0, 't', 24.0, 7.0),
        ('{U1}', '2026-10', 'cement', 1200.0, 't', 48.0, 14.0),
        ('{U1}', '2026-09', 'clinker', 400.0, 't', 12.0, 3.5),
        ('{U1}', '2026-09', 'cement', 600.0, 't', 24.0, 7.0),
        ('91320902NOTINREG0X', '2026-10', 'cement', 5.0, 't', 1.0, 0.1)
        ) t(uscc, month, product_code, quantity, unit, output_value_10k_cny, value_added_10k_cny)""")
    # as the lake stores them after ingest: gypsum sent as 60 000 kg is 60 t
    con.execute(f"""create table staging.stg_lake__material_purchases as select * from (values
        ('{U1}', '2026-10', 'limestone', 960.0, 't', 'road', 30.0),
        ('{U1}', '2026-10', 'clay', 240.0, 't', 'road', 20.0),
        ('{U1}', '2026-10', 'gypsum', 60.0, 't', null, null),
        ('{U1}', '2026-10', 'fly_ash', 100.0, 't', 'waterway', 50.0)
        ) t(uscc, month, material_code, quantity, unit, transport_mode, transport_km)""")
    con.execute(f"""create table main.ledger_entries as select * from (values
        ('enterprise', '{U1}', '2026-10-31', 'fuel_raw_coal', 'CN-GUIDE-2013'),
        ('enterprise', '{U1}', '2026-10-31', 'process_clinker', 'CN-GUIDE-2013'),
        ('enterprise', '{U1}', '2026-09-30', 'grid_electricity', 'MEE-2024-33')
        ) t(ledger, account_id, period, factor_id, factor_version)""")
    for schema, name in MODELS:
        con.execute(f"create table {schema}.{name} as {sql[name]}")
    return con


def _row(con, product, period):
    cur = con.execute(
        "select * from main.pcf_product_footprints where uscc = ? and product_code = ? "
        "and period = ?",
        [U1, product, period],
    )
    cols = [d[0] for d in cur.description]
    (row,) = cur.fetchall()
    return dict(zip(cols, row, strict=True))


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def test_cement_month_by_hand_physical(compiled, tmp_path):
    con = run_models(compiled["physical"], tmp_path)
    r = _row(con, "cement", "2026-10")
    assert r["allocation_method"] == "physical" and r["allocation_note"] is None
    assert close(r["allocation_share"], 0.6)
    assert close(r["own_direct_kgco2e_per_unit"], 520_000 * 0.6 / 1200)  # 260
    assert close(r["own_energy_kgco2e_per_unit"], 60_000 * 0.6 / 1200)  # 30
    upstream = 960 * 7.79306 * 0.6  # 4,488.80256 kg
    transport = (960 * 30 + 240 * 20) * 0.10163 * 0.6  # 2,048.8608 kg
    assert close(r["upstream_kgco2e"], upstream) and close(upstream, 4488.80256)
    assert close(r["transport_kgco2e"], transport) and close(transport, 2048.8608)
    assert close(r["upstream_kgco2e_per_unit"], 3.7406688)
    assert close(r["transport_kgco2e_per_unit"], 1.707384)
    assert close(r["kgco2e_per_unit"], 295.4480528)
    assert close(r["coverage_share"], 960 / 1360) and close(r["input_t"], 1360.0)
    assert r["missing_inputs"] == (
        "no factor: clay, fly_ash, gypsum; transport without factor: waterway (fly_ash)"
    )
    assert r["is_complete"] is False
    assert (
        r["pcf_factor_versions"]
        == "aggregates_desnz@DESNZ-2025, transport_road_hgv_desnz@DESNZ-2025"
    )
    assert (
        r["ledger_factor_versions"] == "fuel_raw_coal@CN-GUIDE-2013, process_clinker@CN-GUIDE-2013"
    )
    assert r["scope2_basis"] == "location" and r["is_provisional"] is True
    clinker = _row(con, "clinker", "2026-10")
    assert close(clinker["allocation_share"], 0.4)
    # what is allocated adds back to the enterprise-month (nothing lost, nothing double counted)
    assert close(r["own_direct_kgco2e"] + clinker["own_direct_kgco2e"], 520_000.0) and close(
        r["upstream_kgco2e"] + clinker["upstream_kgco2e"], 960 * 7.79306
    )


def test_month_without_purchases_is_not_zero_upstream(compiled, tmp_path):
    con = run_models(compiled["physical"], tmp_path)
    r = _row(con, "cement", "2026-09")
    assert r["upstream_kgco2e"] is None and r["coverage_share"] is None
    assert r["missing_inputs"] == "no material purchases reported" and r["is_complete"] is False
    assert close(r["kgco2e_per_unit"], (156_000 + 18_000) / 600)


def test_cement_year_by_hand(compiled, tmp_path):
    con = run_models(compiled["physical"], tmp_path)
    r = _row(con, "cement", "2026")
    assert r["period_type"] == "year" and r["months"] == 2 and close(r["output_quantity"], 1800.0)
    assert close(r["own_direct_kgco2e_per_unit"], 260.0)
    assert close(r["own_energy_kgco2e_per_unit"], 30.0)
    assert close(r["upstream_kgco2e_per_unit"], 2.4937792)
    assert close(r["transport_kgco2e_per_unit"], 1.138256)
    assert close(r["kgco2e_per_unit"], 293.6320352)
    assert "no material purchases reported for 1 of 2 months" in r["missing_inputs"]
    assert r["ledger_factor_versions"] == (
        "fuel_raw_coal@CN-GUIDE-2013, grid_electricity@MEE-2024-33, process_clinker@CN-GUIDE-2013"
    )


def test_economic_allocation_by_hand(compiled, tmp_path):
    con = run_models(compiled["economic"], tmp_path)
    r = _row(con, "cement", "2026-10")
    assert r["allocation_method"] == "economic" and close(r["allocation_share"], 2 / 3)
    total = 520_000 + 60_000 + 960 * 7.79306 + 33_600 * 0.10163
    assert close(total, 590_896.1056)
    assert close(r["kgco2e_per_unit"], total * (2 / 3) / 1200)


def test_enterprise_outside_register_gets_no_footprint(compiled, tmp_path):
    con = run_models(compiled["physical"], tmp_path)
    n = con.execute(
        "select count(*) from main.pcf_product_footprints where uscc = '91320902NOTINREG0X'"
    ).fetchone()[0]
    assert n == 0


def test_library_mart_resolves_the_reused_grid_row(compiled, tmp_path):
    from carbon.domain import pcf

    con = run_models(compiled["physical"], tmp_path)
    lib = con.execute(
        "select pcf_factor_id, kgco2e_per_unit, source_document, dq_rating from main.pcf_factor_library"
    ).fetchall()
    py = pcf.load_factors().set_index("pcf_factor_id")
    assert {r[0] for r in lib} == set(py.index)
    for fid, kg, src, dq in lib:
        assert kg == py.at[fid, "kgco2e_per_unit"] and dq == py.at[fid, "dq_rating"]
        assert src
    grid = {r[0]: r for r in lib}["grid_electricity_cn"]
    assert close(grid[1], 0.5366 * 1000) and "2024年 第33号" in grid[2]
