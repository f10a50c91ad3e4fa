"""Night-by-night incremental ledger builds equal one full-refresh build of the same lake.

The real project (dbt-duckdb, carbon.pipeline.warehouse.build.build) on the personal fixture lake, grown one or
more days per night as ingest would, with an expiry (24-month term) and a redemption falling on
incremental nights, a household snapshot month arriving after its first days were credited (with
the previous month's members, or not at all for a household new in that snapshot), and a late
re-ingest of two past days (changed meter reads and an extra activity record) that must be picked
up by the next night; then November's first day, which ends October (the journal holds ended
months only, per account × month: docs/ledgers.md "Journal grain"), and a late re-read of an
October meter day after October was posted. Home B gets the final lake at once and one
``--full-refresh`` build. The personal marts, the points events and the journal's standing (sum
per key and per account) must be identical; the late October day shows up as one reversal and one
replacement per affected account and month, not per meter day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from personal_fixture import (
    H1,
    H2,
    MARKET_REGISTRY,
    P2,
    P3,
    REDEMPTIONS,
    activity_frame,
    electricity_frame,
    households_frame,
)

from carbon.config import paths
from carbon.pipeline.lake import write_partition
from carbon.pipeline.warehouse import build as ledgers

pytestmark = pytest.mark.slow

D = dt.date
# P2's 2024-10-05 lot (0.933 points) expires on 2026-10-05; P2 redeems 10 points on 2026-10-06
EXTRA_ACTIVITY = [(P2, D(2024, 10, 5), "cycling", 10.0, "km", "bikeshare_y", "y-2024")]
VARS = {
    "personal_market_registry": MARKET_REGISTRY,
    "personal_redemptions": [
        *REDEMPTIONS,
        {"account_id": P2, "date": "2026-10-06", "points": 10, "ref": "voucher-0002"},
    ],
}
LATE_ACTIVITY = [(P3, D(2026, 10, 1), "cycling", 3.0, "km", "bikeshare_y", "y-late")]
# November's first day: one activity record (P3 cycling), which ends October
NOVEMBER = [(P3, D(2026, 11, 1), "cycling", 2.0, "km", "bikeshare_y", "y-1101")]
# after October is posted: H1's meter of 2026-10-09 re-read, 5.5 kWh (was 6.0)
LATE_OCTOBER = (H1, D(2026, 10, 9), 5.5)


def _activity(extra: list[tuple] = ()) -> pd.DataFrame:
    df = activity_frame()
    cols = ["person_key", "date", "behaviour_code", "quantity", "unit", "platform", "record_id"]
    add = pd.DataFrame([*EXTRA_ACTIVITY, *extra], columns=cols)
    add = add.assign(quantity_as_reported=add["quantity"], unit_as_reported=add["unit"])
    return pd.concat([df, add], ignore_index=True)


def _electricity(late: bool, late_october: bool = False) -> pd.DataFrame:
    df = electricity_frame()
    df = df[df["account_type"] == "household"].copy()  # no enterprise register in this lake
    if late_october:
        key, day, kwh = LATE_OCTOBER
        df.loc[(df["date"] == day) & (df["account_id"] == key), "kwh"] = kwh
    if late:  # re-read meters of 2026-10-02: H1 5.0 kWh (was 6.0), H2 9.0 kWh (was 7.0)
        day = df["date"] == D(2026, 10, 2)
        df.loc[day & (df["account_id"] == H1), "kwh"] = 5.0
        df.loc[day & (df["account_id"] == H2), "kwh"] = 9.0
    return df


def _write_days(
    home: Path, days: list[dt.date], *, late: bool = False, late_october: bool = False
) -> None:
    act = _activity([*(LATE_ACTIVITY if late else []), *NOVEMBER])
    elec = _electricity(late, late_october)
    for day in days:
        a = act[act["date"] == day]
        if len(a):
            write_partition(
                "low_carbon_activity", "date", str(day), a.drop(columns="date"), home=home
            )
        e = elec[elec["date"] == day]
        if len(e):
            write_partition(
                "electricity_consumption", "date", str(day), e.drop(columns="date"), home=home
            )


def _write_households(home: Path, months: tuple[str, ...] = ("2026-09", "2026-10")) -> None:
    hh = households_frame()
    for month, part in hh.groupby("snapshot_month"):
        if month in months:
            write_partition("households", "month", str(month), part, home=home)


def _rows(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths(home).warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


CREDITS = "select * from main.per_credits_daily order by credit_id"
BALANCES = "select * from main.per_account_balance order by account_id"
EVENTS = (
    "select * exclude (as_of_date) from intermediate.int_personal__points_events "
    "order by account_id, event_date, entry_type, activity_ref"
)
STANDING = (
    "select ledger, account_id, period, scope, gas, activity_ref, sum(tco2e) as t "
    "from main.ledger_entries group by all having abs(sum(tco2e)) > 1e-12 order by all"
)
PERSONAL_ROWS = "select count(*) from main.ledger_entries where ledger = 'personal'"
# the per-day detail the October journal entries sum: account × factor
OCTOBER_DETAIL = (
    "select account_id, factor_id, sum(er_tco2e) from main.per_credits_daily "
    "where date between '2026-10-01' and '2026-10-31' group by all order by all"
)
PER_ACCOUNT = (
    "select ledger, account_id, sum(tco2e) from main.ledger_entries group by all order by all"
)
WINDOW = (
    "select full_rebuild, from_date, as_of_date from intermediate.int_personal__build_window "
    "order by build_seq"
)


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    inc = tmp_path_factory.mktemp("incremental") / "home"
    days = [D(2026, 10, d) for d in range(1, 11)]
    early = sorted({d for d in _activity()["date"] if d < days[0]})
    _write_households(inc, ("2026-09",))  # the 2026-10 snapshot arrives on the third night
    plans = []
    journal_sizes = []
    personal_sizes = []
    october = []

    def night(
        new_days: list[dt.date],
        months: list[str] | None,
        *,
        late: bool = False,
        late_october: bool = False,
    ) -> None:
        _write_days(inc, new_days, late=late, late_october=late_october)
        r = ledgers.build(inc, months=months, extra_vars=VARS)
        plans.append(r.plan)
        journal_sizes.append(_rows(inc, "select count(*) from main.ledger_entries")[0][0])
        personal_sizes.append(_rows(inc, PERSONAL_ROWS)[0][0])
        october.append(_rows(inc, OCTOBER_DETAIL))

    night([*early, *days[:3]], ["2026-10"])  # first build: no state, full
    night(days[3:4], ["2026-10"])  # 10-04
    # 10-05 (expiry) and 10-06 (redemption); the 2026-10 household snapshot lands: H1 now has 3
    # members (4 in 2026-09), H2 its first snapshot, so October's household days are redone
    _write_households(inc, ("2026-10",))
    night(days[4:6], ["2026-10"])
    # late: 10-01 (one more activity record) and 10-02 (new meter reads) re-ingested, 10-07 new
    night([days[0], days[1], days[6]], ["2026-10"], late=True)
    night(days[7:], None)  # 10-08 .. 10-10, all months
    night([D(2026, 11, 1)], None)  # November's first day: October has ended and is posted
    night([LATE_OCTOBER[1]], None, late=True, late_october=True)  # 10-09 re-read, October posted
    night([], None)  # nothing new
    # the same lake at once, one full-refresh build
    full = tmp_path_factory.mktemp("full") / "home"
    _write_households(full)
    _write_days(full, [*early, *days, D(2026, 11, 1)], late=True, late_october=True)
    r = ledgers.build(full, full_refresh=True, extra_vars=VARS)
    assert r.ok
    return {
        "inc": inc,
        "full": full,
        "plans": plans,
        "journal_sizes": journal_sizes,
        "personal_sizes": personal_sizes,
        "october": october,
    }


def test_nights_are_incremental_and_see_the_late_days(homes) -> None:
    plans = homes["plans"]
    assert [p.personal.full for p in plans] == [True] + [False] * 7
    assert plans[1].personal.electricity_dates == ["2026-10-04"]
    # a new snapshot month moves the members of its days only: no full rebuild
    assert plans[2].personal.electricity_dates == [f"2026-10-{d:02d}" for d in range(1, 7)]
    late = plans[3]
    assert late.personal.electricity_dates == ["2026-10-02", "2026-10-07"]
    assert late.personal.activity_dates == ["2026-10-01"]
    assert plans[5].personal.activity_dates == ["2026-11-01"]
    assert plans[6].personal.electricity_dates == ["2026-10-09"]
    assert plans[7].personal.electricity_dates == plans[7].personal.activity_dates == []
    window = _rows(homes["inc"], WINDOW)
    assert [w[1] for w in window[1:]] == [
        D(2026, 10, 4),
        D(2026, 10, 1),  # the 2026-10 snapshot: October's household days from the 1st
        D(2026, 10, 1),  # the late activity day moves s back
        D(2026, 10, 8),
        D(2026, 10, 11),  # November's first day: previous as-of + 1
        D(2026, 10, 9),  # the re-read October meter day moves s back into a posted month
        D(2026, 11, 2),  # nothing new: previous as-of + 1, nothing recomputed
    ]
    # nothing new -> nothing appended
    assert homes["journal_sizes"][-1] == homes["journal_sizes"][-2]


@pytest.mark.parametrize(
    ("sql", "n"),
    [(CREDITS, 20), (BALANCES, 5), (EVENTS, 20)],
    ids=["credits", "balances", "events"],
)
def test_personal_tables_equal_a_full_rebuild(homes, sql, n) -> None:
    inc, full = _rows(homes["inc"], sql), _rows(homes["full"], sql)
    assert len(inc) >= n
    assert inc == full


def test_expiry_and_redemption_booked_on_incremental_nights(homes) -> None:
    rows = _rows(
        homes["inc"],
        f"select event_date, entry_type, points, balance_after from "
        f"intermediate.int_personal__points_events where account_id = '{P2}' "
        f"and entry_type <> 'reduction_credit' order by event_date",
    )
    assert [(r[0], r[1], str(r[2])) for r in rows] == [
        (D(2026, 10, 5), "expiry", "-0.933"),
        (D(2026, 10, 6), "redemption", "-10.000"),
    ]


def _same_rows_up_to_sum_order(a: list[tuple], b: list[tuple]) -> None:
    """Rows equal, DOUBLE sums to 1e-12 relative / 1e-12 t absolute: DuckDB's parallel SUM adds
    in no fixed order, and the journals hold the same entries in another order (a reversal and its
    replacement), so a sum may differ in its last bits (a few ulps of the terms, < 1e-15 t here);
    rounding before comparing does not help (a sum can straddle the rounding boundary)."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b, strict=True):
        assert [v for v in ra if not isinstance(v, float)] == [
            v for v in rb if not isinstance(v, float)
        ]
        for va, vb in zip(ra, rb, strict=True):
            if isinstance(va, float):
                assert va == pytest.approx(vb, rel=1e-12, abs=1e-12), (ra, rb)


def _group(rows: list[tuple]) -> list[tuple[tuple[str, str], float]]:
    return [((a, f), t) for a, f, t in rows]


def test_journal_standing_equals_a_full_rebuild(homes) -> None:
    for sql in (STANDING, PER_ACCOUNT):
        inc, full = _rows(homes["inc"], sql), _rows(homes["full"], sql)
        _same_rows_up_to_sum_order(inc, full)
    # the journal grows with accounts, not meter days: no personal entry while October is open
    sizes = homes["personal_sizes"]
    assert sizes[1:5] == [sizes[0]] * 4
    # November's first night posts October: one credit per account × factor, one expiry per
    # account, one entry per redemption, counted here from the per-day detail
    october_keys = _rows(
        homes["full"],
        "select (select count(*) from (select distinct account_id, factor_id from "
        "intermediate.int_personal__points_events where entry_type = 'reduction_credit' and "
        "event_date between '2026-10-01' and '2026-10-31')), "
        "(select count(distinct account_id) from intermediate.int_personal__points_events "
        "where entry_type = 'expiry' and event_date between '2026-10-01' and '2026-10-31'), "
        "(select count(*) from intermediate.int_personal__points_events "
        "where entry_type = 'redemption' and event_date between '2026-10-01' and '2026-10-31')",
    )[0]
    assert october_keys[1] == october_keys[2] == 1  # P2's expiry and redemption
    assert sizes[5] - sizes[4] == sum(october_keys)
    # the late October meter day: one reversal + one replacement per affected account × factor
    before, after = dict(_group(homes["october"][5])), dict(_group(homes["october"][6]))
    affected = {k for k in after if after[k] != pytest.approx(before.get(k), rel=1e-12)}
    assert affected == {(H1, "grid_electricity")}  # the re-read meter is H1's
    assert sizes[6] - sizes[5] == 2 * len(affected)
    ref = f"per_credits_daily/account_id={H1}/month=2026-10/factor_id=grid_electricity"
    entries = _rows(
        homes["inc"],
        f"select entry_type, tco2e from main.ledger_entries where activity_ref = '{ref}' "
        "order by build_id, entry_type",
    )
    assert [e[0] for e in entries] == ["reduction_credit", "reduction_credit", "restatement"]
    assert entries[0][1] == pytest.approx(before[(H1, "grid_electricity")], rel=1e-12)
    assert entries[2][1] == -entries[0][1]
    assert entries[1][1] == pytest.approx(after[(H1, "grid_electricity")], rel=1e-12)
    assert entries[1][1] > entries[0][1]  # 5.5 kWh on 10-09 earns more than 6.0 kWh did
    (credit,) = _rows(
        homes["full"],
        f"select sum(er_tco2e) from main.per_credits_daily where account_id = '{H1}' "
        "and factor_id = 'grid_electricity' and date between '2026-10-01' and '2026-10-31'",
    )
    assert entries[1][1] == pytest.approx(credit[0], rel=1e-12)
    # every full-build entry is in the incremental journal (which also keeps the restated ones)
    cols = "ledger, account_id, period, entry_type, scope, gas, round(tco2e, 12), activity_ref"
    inc = set(_rows(homes["inc"], f"select {cols} from main.ledger_entries"))
    full = set(_rows(homes["full"], f"select {cols} from main.ledger_entries"))
    assert full <= inc
