"""One factor-selection rule for all three ledgers (issue 9, item 9): the personal account's grid
factor follows the build's factor as-of date, region and year exactly as the enterprise and
government ledgers do, and a changed factor version is restated by reversal + replacement.

The real project (dbt-duckdb, ``carbon.pipeline.warehouse.build.build``) on the personal fixture lake plus a
household H3 whose meter is in Fuzhou (350102, Fujian: no provincial factor, so the region chain
of the rule matters). The same lake is built six times:

  build  --as-of      Jiangsu (H1, H2 meters, EV city 320900)   Fujian (H3 meter 350102)
  B1     none         MEE-2025-47 320000 0.5827                 MEE-2025-47 CN 0.5306 (year first)
  B2     2025-06-01   MEE-2024-33 320000 0.5978                 MEE-2024-33 EAST_CHINA 0.5617
  B3     2025-06-01   (same: nothing new is posted)
  B4     2024-06-01   MEE-2024-12 320000 0.6451                 MEE-2024-12 EAST_CHINA 0.5992
  B5     2024-01-01   no notice published yet: every grid-based credit is an exception
  B6     none         the notices are known again: back to B1

The expected notices are read off the table above by hand (the docs/factors.md rules); the
values come from the factor library row as published, and every figure is computed here at full
precision from the activity (kWh) and that value.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from personal_fixture import (
    H1,
    H2,
    MARKET_REGISTRY,
    P1,
    P2,
    REDEMPTIONS,
    activity_frame,
    electricity_frame,
    households_frame,
)

from carbon.config import paths
from carbon.domain.factors import load_factors
from carbon.pipeline.lake import write_partition
from carbon.pipeline.warehouse import build as ledgers

pytestmark = pytest.mark.slow

D = dt.date
H3 = "h3" + "f" * 62
H3_REGION = "350102"  # 福州市鼓楼区: Fujian, East China grid
VARS = {"personal_market_registry": MARKET_REGISTRY, "personal_redemptions": REDEMPTIONS}
EV_BE_KG_PER_KWH = 0.9896  # T/CSAE 235-2021 row of the methodology table
EV_KWH = 40.0
WALK_ER = 0.0933 * 4 / 1000  # P2's other credit: walking 4 km, fixed factors

# the builds: (as-of, Jiangsu (version, region), Fujian (version, region)); None = no factor
BUILDS = [
    (None, ("MEE-2025-47", "320000"), ("MEE-2025-47", "CN")),
    ("2025-06-01", ("MEE-2024-33", "320000"), ("MEE-2024-33", "EAST_CHINA")),
    ("2025-06-01", ("MEE-2024-33", "320000"), ("MEE-2024-33", "EAST_CHINA")),
    ("2024-06-01", ("MEE-2024-12", "320000"), ("MEE-2024-12", "EAST_CHINA")),
    ("2024-01-01", None, None),
    (None, ("MEE-2025-47", "320000"), ("MEE-2025-47", "CN")),
]

EV_REF = f"low_carbon_activity/date=2026-10-02/person_key={P2}/behaviour_code=ev_charging/unit=kWh"


def _hh_ref(key: str, day: dt.date) -> str:
    return f"electricity_consumption/date={day}/account_type=household/account_id={key}"


# grid-based credits: activity_ref -> (account, saved kWh worked by hand, meter region)
#   H1 3 members, 6 kWh/day below 8.1: 2.1 kWh; H2 2 members: day 8 at 6.0 below its own
#   trailing mean 7.0: 1.0 kWh, day 10 at 4.5 below 5.4: 0.9 kWh; H3 2 members, 5.0 below 5.4: 0.4
HOUSEHOLD = {
    **{_hh_ref(H1, D(2026, 10, d)): (H1, 2.1, "320902") for d in range(1, 11)},
    _hh_ref(H2, D(2026, 10, 8)): (H2, 1.0, "320903"),
    _hh_ref(H2, D(2026, 10, 10)): (H2, 0.9, "320903"),
    **{_hh_ref(H3, D(2026, 10, d)): (H3, 0.4, H3_REGION) for d in range(1, 11)},
}
GRID_REFS = {EV_REF, *HOUSEHOLD}
# the account of each grid-based credit
GRID_ACCOUNT = {EV_REF: P2, **{ref: v[0] for ref, v in HOUSEHOLD.items()}}
# one more day of activity, in November, so that October has ended and is journaled (the journal
# holds ended months only: docs/ledgers.md "Journal grain"); P1 walking 1 km, fixed factors
NOVEMBER = (P1, D(2026, 11, 1), "walking", 1.0, "km", "health_app", "h-1101")


def journal_ref(account: str, month: str = "2026-10") -> str:
    """activity_ref of an account's grid-based credits of a month in the journal."""
    return f"per_credits_daily/account_id={account}/month={month}/factor_id=grid_electricity"


def published(version: str, region: str) -> float:
    """The library row's published value (tCO2/MWh) of the grid location factor."""
    lib = load_factors()
    row = lib[
        (lib.factor_id == "grid_electricity")
        & (lib.basis == "location")
        & (lib.factor_version == version)
        & (lib.region == region)
    ]
    assert len(row) == 1, (version, region)
    return float(row["value"].iloc[0])


def expected(build: int) -> dict[str, tuple[str, float] | None]:
    """activity_ref -> (factor_version, ER tCO2e) of every grid-based credit, None if no factor."""
    _, js, fj = BUILDS[build]
    out: dict[str, tuple[str, float] | None] = {}
    if js is None:
        return dict.fromkeys(GRID_REFS)
    f = published(*js)
    # EV charging: BE = 0.9896 kg/kWh × kWh, PE = grid × kWh, ER = BE − PE (the SQL's order)
    out[EV_REF] = (js[0], EV_BE_KG_PER_KWH * EV_KWH / 1000 - f * EV_KWH / 1000)
    for ref, (_, saved_kwh, region) in HOUSEHOLD.items():
        version, factor_region = fj if region == H3_REGION else js
        out[ref] = (version, saved_kwh * published(version, factor_region) / 1000)
    return out


def expected_journal(build: int) -> dict[str, tuple[str, float] | None]:
    """Journal key (account × October × grid factor) -> (factor_version, summed ER), None when
    none of the account's grid credits has a factor: the per-day figures of expected(), summed."""
    out: dict[str, tuple[str, float] | None] = {}
    for ref, v in expected(build).items():
        key = journal_ref(GRID_ACCOUNT[ref])
        if v is None:
            out.setdefault(key, None)
            continue
        version, er = out.get(key) or (v[0], 0.0)
        assert version == v[0]  # one account's grid credits share the notice
        out[key] = (version, er + v[1])
    return out


def _write_lake(home: Path) -> None:
    act = activity_frame()
    nov = pd.DataFrame([NOVEMBER], columns=act.columns[:7])
    nov = nov.assign(quantity_as_reported=nov["quantity"], unit_as_reported=nov["unit"])
    act = pd.concat([act, nov], ignore_index=True)
    for day, part in act.groupby("date"):
        write_partition(
            "low_carbon_activity", "date", str(day), part.drop(columns="date"), home=home
        )
    elec = electricity_frame()
    elec = elec[elec["account_type"] == "household"]  # no enterprise register in this lake
    h3 = pd.DataFrame(
        {
            "account_type": "household",
            "account_id": H3,
            "region_code": H3_REGION,
            "date": [D(2026, 10, d) for d in range(1, 11)],
            "kwh": 5.0,
            "green_kwh": 0.0,
        }
    )
    elec = pd.concat([elec, h3], ignore_index=True)
    for day, part in elec.groupby("date"):
        write_partition(
            "electricity_consumption", "date", str(day), part.drop(columns="date"), home=home
        )
    hh = pd.concat(
        [
            households_frame(),
            pd.DataFrame(
                [(H3, H3_REGION, "C-003", 2, "2026-10")], columns=households_frame().columns
            ),
        ],
        ignore_index=True,
    )
    for month, part in hh.groupby("snapshot_month"):
        write_partition("households", "month", str(month), part, home=home)


def _query(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(paths(home).warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


JOURNAL = (
    "select entry_id, account_id, period, entry_type, tco2e, activity_ref, factor_id, "
    "factor_version, build_id from main.ledger_entries where ledger = 'personal'"
)
CREDITS = (
    "select activity_ref, factor_id, factor_version, er_tco2e from main.per_credits_daily "
    "where factor_id = 'grid_electricity'"
)
EXCEPTIONS = (
    "select dataset, activity_ref, account_type, account_id, region_code, period, reason_code, "
    "reason_en, reason_zh from main.recon_exceptions"
)
# the government ledger's factor for the same households' kWh, and the selected factor itself
GOV_HOUSEHOLD = (
    "select account_id, month, region_code, location_factor_version, location_factor "
    "from intermediate.int_elec__account_monthly where account_type = 'household'"
)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    home = tmp_path_factory.mktemp("factor-as-of") / "home"
    _write_lake(home)
    out = []
    for as_of, *_ in BUILDS:
        r = ledgers.build(home, as_of=as_of, extra_vars=VARS)
        assert r.ok, r.failures
        out.append(
            {
                "plan": r.plan,
                "journal": set(_query(home, JOURNAL)),
                "credits": {row[0]: row[1:] for row in _query(home, CREDITS)},
                "exceptions": _query(home, EXCEPTIONS),
                "gov": _query(home, GOV_HOUSEHOLD),
                "balance": dict(
                    _query(home, "select account_id, balance from main.per_account_balance")
                ),
                "home": home,
            }
        )
    return out


def _standing(journal: set[tuple]) -> dict[str, tuple[float, str | None]]:
    """activity_ref -> (sum of tCO2e, live factor version = latest non-restatement entry's)."""
    by_ref: dict[str, list[tuple]] = {}
    for row in journal:
        by_ref.setdefault(row[5], []).append(row)
    out = {}
    for ref, rows in by_ref.items():
        live = max((r for r in rows if r[3] != "restatement"), key=lambda r: (r[8], r[0]))
        out[ref] = (sum(r[4] for r in rows), live[7])
    return out


@pytest.mark.parametrize("b", range(len(BUILDS)))
def test_personal_credits_use_the_ledgers_factor_for_the_as_of_date(builds, b) -> None:
    want = expected(b)
    got = builds[b]["credits"]
    credited = {ref: v for ref, v in want.items() if v is not None}
    assert set(got) == set(credited)
    for ref, (version, er) in credited.items():
        factor_id, got_version, got_er = got[ref]
        assert (factor_id, got_version) == ("grid_electricity", version), ref
        assert got_er == pytest.approx(er, rel=0, abs=1e-12), ref
    # the journal's standing per key (account × month × factor) is the sum of the hand figures,
    # at the notice of this as-of date
    standing = _standing(builds[b]["journal"])
    for ref, v in expected_journal(b).items():
        net, live = standing[ref]
        if v is None:  # no factor: reversed, nothing stands
            assert abs(net) < 1e-12, ref
        else:
            assert (live, net) == (v[0], pytest.approx(v[1], rel=0, abs=1e-12)), ref


@pytest.mark.parametrize("b", [0, 1, 3, 5])
def test_same_factor_as_the_government_ledger_for_the_same_kwh(builds, b) -> None:
    gov = {(acct, month): (region, version) for acct, month, region, version, _ in builds[b]["gov"]}
    for ref, (acct, _, region) in HOUSEHOLD.items():
        version = builds[b]["credits"][ref][1]
        assert gov[(acct, "2026-10")] == (region, version), ref


@pytest.mark.parametrize("b", [1, 3, 4, 5])
def test_a_changed_version_is_one_reversal_and_one_replacement(builds, b) -> None:
    before, after = builds[b - 1]["journal"], builds[b]["journal"]
    assert before <= after  # nothing earlier is edited or deleted
    new = after - before
    old_want, want = expected_journal(b - 1), expected_journal(b)
    by_ref: dict[str, list[tuple]] = {}
    for row in new:
        by_ref.setdefault(row[5], []).append(row)
    # only the grid-based credits move (not travel, expiry …): one reversal (if a figure stood)
    # and one replacement (if one is due) per affected account and month, not per meter day
    affected = {GRID_ACCOUNT[ref] for ref in GRID_REFS}
    assert set(by_ref) == {journal_ref(a) for a in affected}
    n_reversals = sum(v is not None for v in old_want.values())
    n_replacements = sum(v is not None for v in want.values())
    assert len(new) == n_reversals + n_replacements
    assert n_reversals + n_replacements >= len(affected) == 4
    for ref in by_ref:
        rows = sorted(by_ref[ref], key=lambda r: r[3])  # reduction_credit < restatement
        expect_rows = []
        if want[ref] is not None:
            expect_rows.append(("reduction_credit", want[ref][1], want[ref][0]))
        if old_want[ref] is not None:
            expect_rows.append(("restatement", -old_want[ref][1], old_want[ref][0]))
        assert [r[3] for r in rows] == [e[0] for e in expect_rows], ref
        for r, (_, tco2e, version) in zip(rows, expect_rows, strict=True):
            assert r[6] == "grid_electricity" and r[7] == version, ref
            assert r[4] == pytest.approx(tco2e, rel=0, abs=1e-12), ref


def test_rebuilding_with_the_same_as_of_posts_nothing(builds) -> None:
    assert builds[2]["journal"] == builds[1]["journal"]
    assert builds[2]["plan"].personal.full is False  # same signature: incremental, no new days


def test_the_balance_is_the_hand_computed_one(builds) -> None:
    def points(tco2e: float) -> Decimal:  # 1 point = 1 kg, kept to 0.001 point
        return Decimal(repr(tco2e * 1000)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)

    for b in range(len(BUILDS)):
        want = expected(b)
        ev = want[EV_REF][1] if want[EV_REF] else None
        assert builds[b]["balance"][P2] == points(WALK_ER) + (points(ev) if ev else 0)
        standing = _standing(builds[b]["journal"])
        p2_net = sum(net for ref, (net, _) in standing.items() if f"={P2}/" in ref)
        assert p2_net == pytest.approx(WALK_ER + (ev or 0.0), rel=0, abs=1e-12)
        h3 = [v[1] for ref, v in want.items() if ref.endswith(H3) and v is not None]
        if h3:
            assert builds[b]["balance"][H3] == sum(points(er) for er in h3)
        else:  # never credited at this as-of date
            assert builds[b]["balance"].get(H3, Decimal(0)) == 0


def test_no_factor_yet_is_an_exception_in_both_ledgers_never_a_fallback(builds) -> None:
    exc = builds[4]["exceptions"]
    personal = {
        r[1]: r
        for r in exc
        if r[1].startswith(("low_carbon_activity/", "electricity_consumption/date="))
    }
    assert set(personal) == GRID_REFS
    ev = personal[EV_REF]
    assert ev[:7] == (
        "low_carbon_activity", EV_REF, "person", P2, "320900", "2026-10-02", "missing_factor"
    )  # fmt: skip
    assert ev[7] == "missing emission factor grid_electricity (location) for 320900 in 2026"
    assert ev[8] == "缺少排放因子: grid_electricity(320900, 2026)"
    for ref, (acct, _, region) in HOUSEHOLD.items():
        row = personal[ref]
        assert row[0] == "electricity_consumption" and row[2:5] == ("household", acct, region)
        assert row[6] == "missing_factor" and row[7].endswith(f"for {region} in 2026")
    # the government ledger excepts the same households' kWh for the same reason
    gov = {
        r[3]
        for r in exc
        if r[2] == "household" and r[1].startswith("electricity_consumption/month=")
    }
    assert gov == {"320902", "320903", H3_REGION}
    # the other builds have no personal exception (B4 knows no market-basis notice yet: the
    # government ledger then excepts the households' kWh for the market factor, which personal
    # credits, location-based by their methodology, do not use)
    for b in (0, 1, 2, 3, 5):
        exc = builds[b]["exceptions"]
        assert [r for r in exc if not r[1].startswith("electricity_consumption/month=")] == []
        assert all("(market)" in r[7] for r in exc) and bool(exc) == (b == 3)
