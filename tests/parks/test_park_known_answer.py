"""Known-answer test of the park accounting (issue 14 §1), worked by hand below.

The park models' SQL is compiled by real dbt, then run by real DuckDB over hand-made inputs (the
enterprise ledger's monthly row of one member, its heat, its resource sheet and the register)
and the project's real reference data (parks, thresholds, GB/T 2589 coefficients).

Hand working, member U1 of park DFG, 2026-10 (calorific method, 当量值):
  fuel 2930.76 GJ / 29.3076 GJ/tce                      = 100 tce
  heat (150 − 50) GJ × 0.03412 tce/GJ                   = 3.412 tce
  electricity 120,000 kWh × 0.1229 kgce/kWh / 1000      = 14.748 tce
  energy                                                = 118.16 tce
  clean: (20,000 green + 40,000 direct) kWh × 0.0001229 = 7.374 tce
  CO2: 100 combustion + 20 process + 11 heat + 50 market-basis electricity
       − 40,000 kWh direct × (50 t / 100,000 kWh)       = 131 + 50 − 20 = 161 tCO2
  core indicator 161 / 118.16                           = 1.3625592417061612 tCO2/tce
    annualised 118.16 × 12 = 1417.92 tce: below the 200,000 tce band, assessed at ≤ 0.20: fail
  clean-energy share 100 × 7.374 / 118.16               = 6.240690588 % (≥ 90: fail)
  solid waste 800 / 1000 = 80 % (≥ 80: pass); waste heat 100 / 200 = 50 % (≥ 50: pass);
  water 900 / (900 + 300) = 75 % (≥ 80: fail)
2026-09 has fuel but no meter data: not covered. U2 (not in the register) and U1's overlapping
BHC spell are rejected and count nowhere.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from carbon.domain.parks import DATA_DIR
from carbon.pipeline.warehouse import build as ledgers

MODELS = [
    ("intermediate", "int_parks__membership"),
    ("intermediate", "int_parks__member_monthly"),
    ("intermediate", "int_parks__park_monthly"),
    ("main", "park_indicators_annual"),
    ("main", "park_indicators_monthly"),
]
U1, U2 = "91320904CTCHWK4U01", "91320904PARK00015E"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    home = tmp_path_factory.mktemp("parks_home")
    (home / "warehouse").mkdir()
    ok, res = ledgers.run_dbt(["compile", "--select", " ".join(m for _, m in MODELS)], home)
    assert ok, res
    target, _ = ledgers.dbt_dirs(home)
    out = {}
    for _, name in MODELS:
        (path,) = (target / "compiled").rglob(f"{name}.sql")
        out[name] = path.read_text(encoding="utf-8")
    return out


def _ent_row(month, kwh, green, scope2_market, location, heat):
    return {
        "uscc": U1, "month": month, "scope1_combustion": 100.0, "scope1_process": 20.0,
        "scope2_heat": heat, "scope2_market": scope2_market, "scope2_location": location,
        "tco2e_total": 120.0 + heat + location, "kwh": kwh, "green_kwh_deducted": green,
        "fuel_energy_gj": 2930.76,
    }  # fmt: skip


def run_models(compiled, tmp_path, method_sql=None):
    con = duckdb.connect(str(tmp_path / "carbon.duckdb"))
    for s in ("ref", "main", "intermediate", "staging"):
        con.execute(f"create schema if not exists {s}")
    for seed in ("parks", "park_thresholds", "energy_conversion"):
        df = pd.read_csv(DATA_DIR / f"{seed}.csv", dtype=str, keep_default_na=False)
        con.register("tmp_df", df)
        con.execute(f"create table ref.{seed} as select * from tmp_df")
        con.unregister("tmp_df")
    con.execute("""
        create or replace table ref.park_thresholds as select * replace (
            cast(value as double) as value,
            cast(nullif(energy_band_min_tce, '') as double) as energy_band_min_tce,
            cast(nullif(energy_band_max_tce, '') as double) as energy_band_max_tce,
            is_core = 'true' as is_core, nullif(valid_to, '') as valid_to)
        from ref.park_thresholds""")
    con.execute(
        "create or replace table ref.energy_conversion as select * replace "
        "(cast(value as double) as value) from ref.energy_conversion"
    )
    ent = pd.DataFrame(
        [
            _ent_row("2026-10", 120_000.0, 20_000.0, 50.0, 58.0, 11.0),
            _ent_row("2026-09", 0.0, 0.0, 0.0, 0.0, 0.0),
        ]
    )
    con.register("ent", ent)
    con.execute("create table main.ent_enterprise_emissions_monthly as select * from ent")
    con.execute(f"create table intermediate.int_enterprises__current as select '{U1}' as uscc")
    con.execute(
        "create table staging.stg_lake__heat_consumption as "
        f"select '{U1}' as uscc, '2026-10' as month, 150.0 as gj_purchased, 50.0 as gj_exported"
    )
    con.execute(f"""create table staging.stg_lake__park_members as select * from (values
        ('DFG', '{U1}', date '2024-01-01', null::date),
        ('DFG', '{U2}', date '2025-01-01', null::date),
        ('BHC', '{U1}', date '2025-03-01', null::date)) t(park_id, uscc, valid_from, valid_to)""")
    con.execute(f"""create table staging.stg_lake__park_resource_use as select * from (values
        ('DFG', '{U1}', '2026-10', 1000.0, 800.0, 200.0, 100.0, 300.0, 900.0, 40000.0))
        t(park_id, uscc, month, solid_waste_generated_t, solid_waste_utilised_t,
          waste_heat_recoverable_gj, waste_heat_recovered_gj, water_withdrawn_t, water_reused_t,
          green_direct_kwh)""")
    for schema, name in MODELS:
        sql = compiled[name]
        if method_sql:
            sql = method_sql(sql)
        con.execute(f"create table {schema}.{name} as {sql}")
    return con


def test_hand_worked_park(compiled, tmp_path):
    con = run_models(compiled, tmp_path)
    status = dict(
        con.execute(
            "select park_id || '/' || uscc, status from intermediate.int_parks__membership"
        ).fetchall()
    )
    assert status == {
        f"DFG/{U1}": "accepted",
        f"DFG/{U2}": "not_in_register",
        f"BHC/{U1}": "boundary_overlap",
    }
    m = con.execute(
        "select fuel_tce, heat_tce, elec_tce, energy_tce, clean_tce, tco2, green_direct_tco2 "
        "from intermediate.int_parks__member_monthly where month = '2026-10'"
    ).fetchall()
    assert len(m) == 1
    assert m[0] == pytest.approx((100.0, 3.412, 14.748, 118.16, 7.374, 161.0, 20.0), abs=1e-9)
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select indicator, value, threshold, result, threshold_version, months_covered, "
            "band_note from park_indicators_annual where park_id = 'DFG' and year = 2026"
        ).fetchall()
    }
    assert set(rows) == {
        "carbon_per_energy", "clean_energy_share", "product_energy_grade",
        "solid_waste_utilisation", "waste_heat_utilisation", "water_reuse",
    }  # fmt: skip
    expect = {
        "carbon_per_energy": (161 / 118.16, 0.20, "fail"),
        "clean_energy_share": (100 * 7.374 / 118.16, 90.0, "fail"),
        "solid_waste_utilisation": (80.0, 80.0, "pass"),
        "waste_heat_utilisation": (50.0, 50.0, "pass"),
        "water_reuse": (75.0, 80.0, "fail"),
    }
    for ind, (value, threshold, result) in expect.items():
        got = rows[ind]
        assert abs(got[0] - value) <= 1e-9, (ind, got[0], value)
        assert got[1] == threshold and got[2] == result, (ind, got)
        assert got[3] == "CN-NDRC-2025-910" and got[4] == 1
    assert rows["carbon_per_energy"][5].startswith("below the lowest band")
    assert rows["product_energy_grade"][0] is None
    assert rows["product_energy_grade"][2] == "not assessed"
    assert not con.execute(
        "select count(*) from park_indicators_annual where park_id = 'BHC'"
    ).fetchone()[0]
    # the monthly mart: year to date through October = the same single covered month
    ytd = con.execute(
        "select ytd_value, projected_year_energy_tce, projected_year_tco2 from "
        "park_indicators_monthly where park_id = 'DFG' and month = '2026-10' "
        "and indicator = 'carbon_per_energy'"
    ).fetchone()
    assert ytd == pytest.approx((161 / 118.16, 118.16 * 12, 161.0 * 12), abs=1e-9)


def test_equivalent_value_method_changes_the_indicator(compiled, tmp_path):
    """The electricity method is configuration: 等价值 0.3007 kgce/kWh instead of 当量值 0.1229."""
    con = run_models(
        compiled, tmp_path, lambda s: s.replace("method = 'calorific'", "method = 'equivalent'")
    )
    energy = 100.0 + 3.412 + 120_000 * 0.3007 / 1000
    (value,) = con.execute(
        "select value from park_indicators_annual where indicator = 'carbon_per_energy'"
    ).fetchone()
    assert abs(value - 161.0 / energy) <= 1e-9
