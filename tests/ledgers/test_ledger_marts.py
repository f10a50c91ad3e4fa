"""Known answers out of the MARTS: dbt build for real (dbt-duckdb) on the hand-made fixture lake.

Build 1 knows only the notices published by 2025-06-01, so March 2023 electricity falls back to
the 2022 Jiangsu factor (0.5978). Then month 2022-06 is closed and build 2 knows the 2023 notice
(MEE/NBS 2025 No. 47, Jiangsu 0.5827): it must append exactly one reversal + one replacement.
"""

from __future__ import annotations

import duckdb
import pytest

from carbon.config import paths
from carbon.pipeline.warehouse import build as ledgers
from carbon.pipeline.warehouse import months
from carbon.pipeline.warehouse.headline import headline

pytestmark = pytest.mark.slow

COLS = "entry_id, ledger, account_id, period, entry_type, scope, gas, tco2e, activity_ref, factor_id, factor_version, build_id, is_provisional"


def _rows(home, sql, params=None):
    con = duckdb.connect(str(paths(home).warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(fixture_home):
    r1 = ledgers.build(fixture_home, as_of="2025-06-01")
    journal1 = _rows(fixture_home, f"select {COLS} from main.ledger_entries order by entry_id")
    marts1 = {
        "ent": _rows(
            fixture_home,
            "select uscc, month, scope1_combustion, scope1_process, scope2_heat, scope2_location, "
            "scope2_market, green_kwh_deducted, tco2e_total from main.ent_enterprise_emissions_monthly",
        ),
        "eff": _rows(
            fixture_home,
            "select uscc, period, l_value, industry_avg_l, k_value, grade, l_level from main.ent_carbon_efficiency",
        ),
    }
    months.close("2022-06", "carbon", home=fixture_home)
    r2 = ledgers.build(fixture_home)
    journal2 = _rows(fixture_home, f"select {COLS} from main.ledger_entries order by entry_id")
    ent2 = _rows(fixture_home, "select * from main.ent_enterprise_emissions_monthly order by all")
    # build 3: a nightly build limited to one month, nothing new in the lake
    r3 = ledgers.build(fixture_home, months=["2023-03"])
    journal3 = _rows(fixture_home, f"select {COLS} from main.ledger_entries order by entry_id")
    ent3 = _rows(fixture_home, "select * from main.ent_enterprise_emissions_monthly order by all")
    return {
        "home": fixture_home,
        "r1": r1,
        "r2": r2,
        "r3": r3,
        "j1": journal1,
        "j2": journal2,
        "j3": journal3,
        "ent2": ent2,
        "ent3": ent3,
        **marts1,
    }


def _ent(built, uscc, month):
    (row,) = [r for r in built["ent"] if r[0] == uscc and r[1] == month]
    return dict(
        zip(
            ["uscc", "month", "s1c", "s1p", "s2h", "s2l", "s2m", "green", "total"], row, strict=True
        )
    )


def test_builds_pass_every_dbt_test(built):
    for key in ("r1", "r2", "r3"):
        r = built[key]
        assert r.ok and not r.failures
        tests = [k for k in r.statuses if k.startswith(("test.", "unit_test."))]
        assert len(tests) > 50
        assert all(r.statuses[t] == "pass" for t in tests)


def test_natural_gas_1e4_nm3_gives_21_62_tco2(built, lf):
    e = _ent(built, lf.USCC_CEMENT, "2022-06")
    assert round(e["s1c"], 2) == 21.62
    assert e["s1c"] == pytest.approx(389.31 * 15.3 * 0.99 * 44 / 12 / 1000, abs=1e-6)
    # the cement works also has 1000 t clinker (0.538 t/t) and 100 GJ heat (0.11 t/GJ)
    assert e["s1p"] == pytest.approx(538.0, abs=1e-9)
    assert e["s2h"] == pytest.approx(100 * lf.HEAT_TCO2_PER_GJ, abs=1e-9)
    assert e["total"] == pytest.approx(e["s1c"] + 538.0 + 11.0, abs=1e-9)


def test_one_mwh_in_jiangsu_2022_location_gives_0_5978(built, lf):
    e = _ent(built, lf.USCC_CHIP, "2022-06")
    assert e["s2l"] == pytest.approx(0.5978, abs=1e-12)
    assert e["s2m"] == pytest.approx(0.5856, abs=1e-12)  # market: national excl. traded non-fossil


def test_green_power_deducted_once_on_market_basis(built, lf):
    e = _ent(built, lf.USCC_DC, "2022-06")  # 10 MWh, 4 MWh of it green
    assert e["green"] == 4000.0
    assert e["s2l"] == pytest.approx(10 * 0.5978, abs=1e-12)
    assert e["s2m"] == pytest.approx(6 * 0.5856, abs=1e-12)


def test_l_1_5_in_an_industry_averaging_1_0_is_grade_4(built, lf):
    eff = {r[0]: r for r in built["eff"] if r[1] == "2022-06"}
    _, _, l_hi, avg, k, grade, level = eff[lf.USCC_TEX_HI]
    assert l_hi == pytest.approx(1.5, abs=1e-6)
    assert avg == pytest.approx(1.0, abs=1e-6)
    assert k == pytest.approx(1.5, abs=1e-9)
    assert (grade, level) == (4, "medium")
    assert eff[lf.USCC_TEX_LO][5:] == (1, "low")  # K = 0.5


def test_factor_change_appends_one_reversal_pair_and_never_edits_history(built, lf):
    j1, j2 = built["j1"], built["j2"]
    assert set(j1) <= set(j2)  # every earlier row still there, byte for byte (all columns)
    new = sorted(set(j2) - set(j1), key=lambda r: r[4])
    assert len(new) == 2
    c = dict(zip(COLS.split(", "), range(13), strict=True))
    emission, reversal = new
    assert reversal[c["entry_type"]] == "restatement"
    assert reversal[c["tco2e"]] == pytest.approx(-2 * 0.5978, abs=1e-12)
    assert reversal[c["factor_version"]] == "MEE-2024-33"
    assert emission[c["entry_type"]] == "emission"
    assert emission[c["tco2e"]] == pytest.approx(2 * 0.5827, abs=1e-12)
    assert emission[c["factor_version"]] == "MEE-2025-47"
    for r in new:
        assert r[c["account_id"]] == lf.USCC_CHIP and r[c["period"]] == "2023-03"
        assert r[c["is_provisional"]] is True  # March 2023 is still open
    # the journal's standing for the key is now the 2023 figure
    (net,) = _rows(
        built["home"],
        "select sum(tco2e) from main.ledger_entries where account_id = ? and period = '2023-03'",
        [lf.USCC_CHIP],
    )[0]
    assert net == pytest.approx(2 * 0.5827, abs=1e-12)


def test_month_limited_build_with_nothing_new_changes_nothing(built):
    assert built["j3"] == built["j2"]  # journal rows: stored, never re-summed
    # the enterprise mart is rebuilt from the journal by SUMs of DOUBLEs, which DuckDB adds in no
    # fixed order: figures equal to 1e-12 relative / 1e-9 t (a few ulps), everything else exactly
    e2, e3 = built["ent2"], built["ent3"]
    assert len(e3) == len(e2) > 0
    for r2, r3 in zip(e2, e3, strict=True):
        assert [v for v in r3 if not isinstance(v, float)] == [
            v for v in r2 if not isinstance(v, float)
        ]
        for v2, v3 in zip(r2, r3, strict=True):
            if isinstance(v2, float):
                assert v3 == pytest.approx(v2, rel=1e-12, abs=1e-9), (r2, r3)


def test_closed_month_is_final_and_reconciliation_holds(built):
    home = built["home"]
    prov = dict(
        _rows(
            home,
            "select month, bool_and(is_provisional) from main.ent_enterprise_emissions_monthly group by 1",
        )
    )
    assert prov == {"2022-06": False, "2023-03": True}
    recon = _rows(
        home,
        "select count(*), count(*) filter (where reconciles and household_electricity_counted_once "
        "and green_power_deducted_once) from main.recon_region_monthly",
    )[0]
    assert recon[0] > 0 and recon[0] == recon[1]
    # households: 30 kWh × 0.5978 in the government ledger, once
    (hh,) = _rows(
        home,
        "select household_tco2e from main.recon_region_monthly where region_code = '320902' and month = '2022-06'",
    )[0]
    assert hh == pytest.approx(0.030 * 0.5978, abs=1e-12)


def test_headline_mentions_every_section(built, lf):
    text = headline(built["home"])
    for needle in (
        "CEADs",
        "亭湖区",
        lf.USCC_CEMENT,
        "grade 4",
        "Personal credits",
        "Reconciliation",
    ):
        assert needle in text


def test_warehouse_derives_fuel_factors_at_full_precision(built):
    """int_factors__library derives each fuel factor from NCV × CC × OF × 44/12 / 1000 (no rounding)."""
    from decimal import Decimal

    rows = _rows(
        built["home"],
        "select factor_id, factor_version, value, ncv, carbon_content_tc_per_tj, oxidation_rate "
        "from intermediate.int_factors__library where category = 'fuel'",
    )
    assert rows
    for fid, version, value, ncv, cc, ox in rows:
        hand = Decimal(repr(ncv)) * Decimal(repr(cc)) * Decimal(repr(ox)) * 44 / 12 / 1000
        assert abs(Decimal(value) - hand) / hand < Decimal("1e-15"), (fid, version)
