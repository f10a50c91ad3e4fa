"""Known-answer test: the real dbt project, built for real on the fixture lake (DuckDB).

The expected credits below are worked out by hand from the methodology table
(carbon/domain/factors/data/crediting_methodologies.csv) and the factor library (Jiangsu 2023
grid factor 0.5827 tCO2/MWh, MEE/NBS notice 2025 No. 47, used for 2026 by year fallback):

  travel  ER = (BE - PE) x quantity, each of BE and PE rounded to 1 g (t, 6 decimals)
  metro   10 km   BE 0.0933 x 10 = 0.933 kg   PE 0.0149 x 10 = 0.149 kg   ER 0.784 kg
  bus     2 trips BE 0.2125 x 2  = 0.425 kg   PE 0                        ER 0.425 kg
  bus     10 km   BE 0.933 kg                 PE 0.0664 x 10 = 0.664 kg   ER 0.269 kg
  cycling 10 km (2024) 0.933 kg; 4 km 0.3732 -> 0.373 kg; walking 4 km 0.373 kg
  EV      40 kWh  BE 0.9896 x 40 = 39.584 kg  PE 0.5827 x 40 = 23.308 kg  ER 16.276 kg
  H1 (3 members, baseline 8.1 kWh) 6 kWh/day: BE 4.71987 -> 4.720 kg, PE 3.4962 -> 3.496 kg
  H2 (2 members, baseline 5.4 kWh): day 8 at 6.0 below its trailing 7-day mean 7.0 ->
     BE 4.0789 -> 4.079 kg, PE 3.496 kg; day 10 at 4.5 below baseline -> BE 3.14658 -> 3.147 kg,
     PE 2.62215 -> 2.622 kg
Points: 1 per kg. P1 redeemed 0.5 points on 2025-01-10; its 2024-09-15 lot (0.933) expires
2026-09-15 (24 months) with 0.933 - 0.5 = 0.433 left.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import personal_oracle as per
import pytest
from personal_fixture import (
    ENTERPRISE,
    H1,
    H2,
    MARKET_REGISTRY,
    P1,
    P2,
    P3,
    REDEMPTIONS,
    activity_frame,
    electricity_frame,
    households_frame,
    write_fixture_lake,
)

pytestmark = pytest.mark.slow

SELECT = ["+per_credits_daily", "+per_account_balance", "+int_personal__journal_candidates"]
D = dt.date
GRID_2023 = 0.5827


def _t(quantity: float, be_kg: float, pe_kg: float) -> tuple[float, float, float]:
    """BE, PE, ER in tCO2e at full precision, as the methodology defines them (kg/unit × quantity)."""
    be, pe = be_kg * quantity / 1000, pe_kg * quantity / 1000
    return be, pe, be - pe


# (account, date, behaviour, unit) -> (quantity, be, pe, er, factor_id, factor_version, basis)
TRAVEL = "2026.1"
EXPECTED_CREDITS = {
    (P1, D(2024, 9, 15), "cycling", "km"): (10, *_t(10, 0.0933, 0.0), "per.travel.cycling.km", TRAVEL, "methodology"),
    (P1, D(2026, 10, 1), "metro", "km"): (10, *_t(10, 0.0933, 0.0149), "per.travel.metro.km", TRAVEL, "methodology"),
    (P1, D(2026, 10, 1), "bus", "trips"): (2, *_t(2, 0.2125, 0.0), "per.travel.bus.trip", TRAVEL, "methodology"),
    (P1, D(2026, 10, 2), "cycling", "km"): (4, *_t(4, 0.0933, 0.0), "per.travel.cycling.km", TRAVEL, "methodology"),
    (P2, D(2026, 10, 1), "walking", "km"): (4, *_t(4, 0.0933, 0.0), "per.travel.walking.km", TRAVEL, "methodology"),
    (P2, D(2026, 10, 2), "ev_charging", "kWh"): (40, *_t(40, 0.9896, GRID_2023), "grid_electricity", "MEE-2025-47", "methodology"),
    (P3, D(2026, 10, 1), "bus", "km"): (10, *_t(10, 0.0933, 0.0664), "per.travel.bus.km", TRAVEL, "methodology"),
    **{
        (H1, D(2026, 10, d), "household_electricity", "kWh"): (6, 8.1 * GRID_2023 / 1000, 6 * GRID_2023 / 1000, 2.1 * GRID_2023 / 1000, "grid_electricity", "MEE-2025-47", "city_baseline")
        for d in range(1, 11)
    },
    (H2, D(2026, 10, 8), "household_electricity", "kWh"): (6, 7 * GRID_2023 / 1000, 6 * GRID_2023 / 1000, 1 * GRID_2023 / 1000, "grid_electricity", "MEE-2025-47", "own_trailing_7d"),
    (H2, D(2026, 10, 10), "household_electricity", "kWh"): (4.5, 5.4 * GRID_2023 / 1000, 4.5 * GRID_2023 / 1000, 0.9 * GRID_2023 / 1000, "grid_electricity", "MEE-2025-47", "city_baseline"),
}  # fmt: skip

# account -> (kind, earned, redeemed, expired, balance)
EXPECTED_BALANCES = {
    P1: ("person", "2.515", "0.500", "0.433", "1.582"),
    P2: ("person", "16.649", "0.000", "0.000", "16.649"),
    P3: ("person", "0.269", "0.000", "0.000", "0.269"),
    H1: ("household", "12.240", "0.000", "0.000", "12.240"),
    H2: ("household", "1.107", "0.000", "0.000", "1.107"),  # 0.583 + 0.524 (0.52443 kg)
}


_RUNNER = """
import json, sys
from carbon.pipeline.warehouse import build as ledgers
home, command, extra = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
select = json.loads(sys.argv[4])
with ledgers.warehouse_lock(home):
    v = ledgers.build_vars(home, extra=extra)
    # cautious: a test one of whose parents is outside the personal graph (the enterprise
    # register's relationships, recon_exceptions' completeness tests) is not run here
    ok, res = ledgers.run_dbt(["--quiet", command, "--vars", json.dumps(v), "--select", *select,
                               "--indirect-selection", "cautious"], home)
fails = [
    f"{r.node.unique_id}: {r.status}: {r.message}"
    for r in (getattr(res.result, "results", None) or [])
    if str(getattr(r.status, "value", r.status)) in ("error", "fail")
]
print("RESULT " + json.dumps({"ok": ok, "failures": fails}))
"""


def dbt_build(
    home: Path, extra_vars: dict, select: list[str] = SELECT, command: str = "build"
) -> dict:
    """``dbt build`` of the personal graph of the real project, in a subprocess.

    Runs through carbon.pipeline.warehouse.build.run_dbt (project at the repo root, target/logs under the home)
    but skips ledgers.build's CEADs import, which this graph does not read. A subprocess keeps
    dbt's cached DuckDB connection and environment out of the test process.
    """
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUNNER,
            str(home),
            command,
            json.dumps(extra_vars),
            json.dumps(select),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"dbt runner crashed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    home = tmp_path_factory.mktemp("personal") / "home"
    write_fixture_lake(home)
    result = dbt_build(
        home,
        {"personal_market_registry": MARKET_REGISTRY, "personal_redemptions": REDEMPTIONS},
    )
    assert result["ok"], result["failures"]
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    yield con
    con.close()


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def test_per_credits_daily_matches_hand_computed_credits(warehouse) -> None:
    got = _df(warehouse, "select * from main.per_credits_daily")
    assert len(got) == len(EXPECTED_CREDITS)
    for row in got.itertuples():
        key = (row.account_id, row.date.date(), row.behaviour_code, row.unit)
        qty, be, pe, er, fid, fver, basis = EXPECTED_CREDITS[key]
        assert row.quantity == qty, key
        assert (row.be_tco2e, row.pe_tco2e, row.er_tco2e) == pytest.approx((be, pe, er), abs=1e-12)
        assert row.er_tco2e == pytest.approx(row.be_tco2e - row.pe_tco2e, abs=1e-12)
        # points: 1 per kgCO2e, issued to 0.001 point (half-up); er itself is never rounded
        assert Decimal(str(row.points)) == (Decimal(repr(er)) * 1000).quantize(
            Decimal("0.001"), rounding=ROUND_HALF_UP
        ), key
        assert (row.factor_id, row.factor_version, row.credit_basis) == (fid, fver, basis), key
        kind = "household" if key[2] == "household_electricity" else "person"
        assert row.account_kind == kind


def test_python_mirror_agrees_with_dbt(warehouse) -> None:
    """Recompute every credit from the fixture lake with the test oracle personal_oracle and compare."""
    table = per.load_methodologies()
    expected: dict[tuple, float] = {}
    act = activity_frame()
    in_market = (act["platform"] == "bikeshare_x") & (act["behaviour_code"] == "cycling")
    in_market &= act["date"] >= D(2026, 1, 1)
    valid = [per.is_valid_quantity(q, u) for q, u in zip(act["quantity"], act["unit"], strict=True)]
    kept = per.dedupe_cross_platform(act[~in_market])
    kept = kept[kept["record_id"].isin(act.loc[valid, "record_id"])]
    kept = kept.groupby(["person_key", "date", "behaviour_code", "unit"], as_index=False)[
        "quantity"
    ].sum()
    for r in kept.itertuples():
        m = per.select_methodology(table, r.behaviour_code, r.unit, r.date.year)
        if m is None:
            continue
        pe = GRID_2023 if m["pe_basis"] == "grid_factor" else m["pe_kgco2e_per_unit"]
        c = per.travel_credit(r.quantity, m["be_kgco2e_per_unit"], pe)
        expected[(r.person_key, r.date, r.behaviour_code)] = c.er_tco2e
    elec = electricity_frame()
    elec = elec[elec["account_type"] == "household"]
    members = households_frame().query("snapshot_month == '2026-10'")
    hh = per.select_methodology(table, "household_electricity", "kWh", 2026)
    assert hh is not None
    for key, g in elec.groupby("account_id"):
        history = dict(zip(g["date"], g["kwh"], strict=True))
        n = int(members.loc[members["household_key"] == key, "members"].iloc[0])
        for day, kwh in history.items():
            avg = per.trailing_average(history, day, min_days=7)
            c = per.household_credit(kwh, n, hh["baseline_kwh_per_person_day"], GRID_2023, avg)
            if c is not None:
                expected[(key, day, "household_electricity")] = c.er_tco2e
    got = _df(
        warehouse, "select account_id, date, behaviour_code, er_tco2e from main.per_credits_daily"
    )
    actual = {(r.account_id, r.date.date(), r.behaviour_code): r.er_tco2e for r in got.itertuples()}
    assert actual.keys() == expected.keys()
    for k, v in expected.items():
        assert actual[k] == pytest.approx(v, abs=1e-12), k


def test_assessment_keeps_an_audit_trail(warehouse) -> None:
    got = _df(
        warehouse,
        "select report_id, credit_status from intermediate.int_personal__activity_assessed",
    )
    status = dict(zip(got["report_id"], got["credit_status"], strict=True))
    assert len(status) == len(activity_frame())  # nothing dropped
    assert status["amap/a-0009"] == "credited"  # same metro trip: amap < metro_app
    assert status["metro_app/m-0001"] == "duplicate"
    assert status["amap/a-0010"] == "credited"  # pairs with bus_card/c-0002 ...
    assert status["bus_card/c-0002"] == "duplicate"
    assert status["bus_card/c-0003"] == "credited"  # ... while c-0003 is a second real trip
    assert status["bikeshare_x/b-0002"] == "counted_in_market"  # CCER-registered from 2026
    assert status["bikeshare_x/b-0001"] == "credited"  # 2024: before the registration
    assert status["metro_app/m-0002"] == "no_methodology"  # metro per trip: no factor
    assert status["bus_card/c-0004"] == "invalid_quantity"  # 2.5 trips


def test_balances_with_redemption_and_expiry(warehouse) -> None:
    rows = warehouse.execute(  # fetchall keeps DECIMAL(18,3) exact
        "select account_id, account_kind, points_earned, points_redeemed, points_expired, "
        "balance, as_of_date from main.per_account_balance"
    ).fetchall()
    assert {r[0] for r in rows} == set(EXPECTED_BALANCES)
    for account, kind, *points, as_of in rows:
        exp_kind, *exp_points = EXPECTED_BALANCES[account]
        assert kind == exp_kind
        assert points == [Decimal(x) for x in exp_points], account
        assert as_of == D(2026, 10, 10)
    # the same balances from the Python FIFO simulation
    ev = _df(
        warehouse,
        f"select account_id, date, points from main.per_credits_daily where account_id = '{P1}'",
    )
    earned = per.sum_by_day(
        (d.date(), Decimal(str(p))) for d, p in zip(ev["date"], ev["points"], strict=True)
    )
    b = per.balances(earned, {D(2025, 1, 10): Decimal("0.5")}, 24, D(2026, 10, 10))
    assert b["expired"] == Decimal("0.433") and b["balance"] == Decimal("1.582")


def test_journal_candidates(warehouse) -> None:
    """Journal grain: ended months only (the fixture's as-of is 2026-10-10, so October is open),
    credits one per account × month × factor_id, expiries one per account × month, redemptions
    one each; every figure is recomputed here from the per-day detail."""
    j = _df(warehouse, "select * from intermediate.int_personal__journal_candidates")
    assert list(j.columns) == [
        "ledger", "account_id", "period", "entry_type", "scope", "gas", "tco2e",
        "activity_ref", "factor_id", "factor_version",
    ]  # fmt: skip
    assert set(j["ledger"]) == {"personal"} and set(j["scope"]) == {"none"}
    assert set(j["gas"]) == {"CO2e"}
    assert all(re.fullmatch(r"\d{4}-\d{2}", p) for p in j["period"])
    assert (j["period"] < "2026-10").all()  # the open month stays in the detail
    assert set(j["entry_type"]) == {"reduction_credit", "redemption", "expiry"}
    ev = _df(
        warehouse,
        "select account_id, strftime(event_date, '%Y-%m') as period, entry_type, points, tco2e, "
        "activity_ref, factor_id, factor_version from intermediate.int_personal__points_events",
    )
    ended = ev[ev["period"] < "2026-10"]
    # credits: the sum of the account's credits of that month and factor
    cr = ended[ended["entry_type"] == "reduction_credit"]
    want = cr.groupby(["account_id", "period", "factor_id"])["tco2e"].sum()
    got = j[j["entry_type"] == "reduction_credit"].set_index(["account_id", "period", "factor_id"])
    assert set(got.index) == set(want.index) and len(got) == len(want) >= 1
    for key, t in want.items():
        assert got.loc[key, "tco2e"] == pytest.approx(t, rel=1e-12, abs=1e-15)
        acct, month, factor = key
        assert got.loc[key, "activity_ref"] == (
            f"per_credits_daily/account_id={acct}/month={month}/factor_id={factor}"
        )
    assert (got["tco2e"] > 0).all()
    # expiries: one per account × month, -points / 1000 from the exact points
    xp = ended[ended["entry_type"] == "expiry"]
    assert len(xp) >= 1
    want_x = xp.groupby(["account_id", "period"])["points"].sum()
    got_x = j[j["entry_type"] == "expiry"].set_index(["account_id", "period"])
    assert set(got_x.index) == set(want_x.index) == {(P1, "2026-09")}
    assert got_x.loc[(P1, "2026-09"), "tco2e"] == pytest.approx(-0.000433, abs=1e-12)
    assert got_x.loc[(P1, "2026-09"), "activity_ref"] == (
        f"int_personal__points_events/entry_type=expiry/account_id={P1}/month=2026-09"
    )
    # redemptions: one per redemption
    red = j[j["entry_type"] == "redemption"]
    assert len(red) == len(REDEMPTIONS) == 1
    assert tuple(red.iloc[0][["account_id", "period", "activity_ref", "tco2e"]]) == (
        P1, "2025-01", "voucher-0001", pytest.approx(-0.0005, abs=1e-12)
    )  # fmt: skip
    # posted months + the open month's detail = the balance, per account: the journal keeps tCO2e
    # at full precision; points are quantized to 0.001 (1 g) per credit row
    bal = _df(warehouse, "select account_id, balance from main.per_account_balance")
    open_month = ev[ev["period"] >= "2026-10"].groupby("account_id")["tco2e"].sum()
    sums = j.groupby("account_id")["tco2e"].sum()
    counts = ev.groupby("account_id")["tco2e"].size()
    for r in bal.itertuples():
        total = sums.get(r.account_id, 0.0) + open_month.get(r.account_id, 0.0)
        tol = 0.5e-6 * counts[r.account_id] + 1e-12
        assert total == pytest.approx(float(r.balance) / 1000, abs=tol)


def test_a_journal_credit_traces_to_its_meter_days(warehouse) -> None:
    """From one journal entry's activity_ref to the per_credits_daily rows (days) it sums."""
    j = _df(
        warehouse,
        "select activity_ref, tco2e from intermediate.int_personal__journal_candidates "
        "where entry_type = 'reduction_credit'",
    )
    assert len(j) >= 1
    for ref, tco2e in j.itertuples(index=False):
        m = re.fullmatch(
            r"per_credits_daily/account_id=(\w+)/month=(\d{4}-\d{2})/factor_id=(.+)", ref
        )
        assert m, ref
        days = warehouse.execute(
            "select date, er_tco2e, activity_ref from main.per_credits_daily where account_id = ? "
            "and strftime(date, '%Y-%m') = ? and factor_id = ?",
            list(m.groups()),
        ).fetchall()
        assert days, ref
        assert sum(d[1] for d in days) == pytest.approx(tco2e, rel=1e-12)
        # and each day names its lake row
        assert all(
            d[2].startswith(("low_carbon_activity/", "electricity_consumption/")) for d in days
        )


def test_only_pseudonymous_keys_reach_the_marts(warehouse) -> None:
    ids = set(_df(warehouse, "select account_id from main.per_credits_daily")["account_id"])
    ids |= set(_df(warehouse, "select account_id from main.per_account_balance")["account_id"])
    assert ids == {P1, P2, P3, H1, H2}
    assert ENTERPRISE not in ids  # enterprise meter rows never become household credits


def test_over_redemption_fails_the_build(tmp_path: Path) -> None:
    """A redemption larger than the balance breaks the balance_after >= 0 check constraint."""
    home = tmp_path / "home"
    write_fixture_lake(home)
    too_much = [{"account_id": P3, "date": "2026-10-05", "points": 5, "ref": "voucher-x"}]
    result = dbt_build(home, {"personal_redemptions": too_much}, ["+int_personal__points_events"])
    assert not result["ok"]
    failed = [f for f in result["failures"] if "int_personal__points_events" in f]
    assert failed and "constraint" in failed[0].lower(), result["failures"]
