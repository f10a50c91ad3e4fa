"""The points expiry SQL, run for real: int_personal__points_lots and int_personal__points_events
compiled by dbt from the project, executed in DuckDB on each hypothesis example, compared with the
day-by-day FIFO lot simulation and the closed form of the test oracle (personal_oracle).

dbt builds the build-window model of a small fixture home once (so personal_window() reads a
full-rebuild window with as-of 2026-06-30), then compiles the points models. The points term is
compiled as the sentinel SENTINEL_TERM and each example substitutes its own term for that literal
(what ``--vars '{personal_points_term_months: n}'`` renders: the fixture checks it against a real
compile with CHECK_TERM; compiling for each of the six terms would cost a minute of dbt parsing). The compiled SQL's refs are served by tables this test writes per example:
per_credits_daily (the example's credits, a day's points split over several credits),
int_personal__redemptions (its redemptions) and int_personal__points_carry (compiled: empty on a
full build).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal

import duckdb
import personal_oracle as per
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from personal_fixture import write_fixture_lake

pytestmark = pytest.mark.slow

D = dt.date
AS_OF = D(2026, 6, 30)
SENTINEL_TERM = 987  # months; a literal that appears nowhere else in the compiled SQL
CHECK_TERM = 5  # compiled for real too, to check the substitution
MODELS = ("int_personal__points_carry", "int_personal__points_lots", "int_personal__points_events")

_RUNNER = """
import json, sys
from carbon.pipeline.warehouse import build as ledgers
home, extra = sys.argv[1], json.loads(sys.argv[2])
models, check_term = json.loads(sys.argv[3]), int(sys.argv[4])
out = {}
with ledgers.warehouse_lock(home):
    v = ledgers.build_vars(home, extra=extra)
    ok, res = ledgers.run_dbt(["--quiet", "run", "--vars", json.dumps(v),
                               "--select", "+int_personal__build_window"], home)
    out["run_ok"] = ok
    if ok:
        ok, res = ledgers.run_dbt(["--quiet", "compile", "--vars", json.dumps(v),
                                   "--select", *models], home)
        out["compile_ok"] = ok
        for r in (getattr(res.result, "results", None) or []):
            out[r.node.name] = r.node.compiled_code
        # once with a real term: the sentinel substitution must give exactly this SQL
        v["personal_points_term_months"] = check_term
        ok, res = ledgers.run_dbt(["--quiet", "compile", "--vars", json.dumps(v),
                                   "--select", *models], home)
        out["check_ok"] = ok
        for r in (getattr(res.result, "results", None) or []):
            out["check/" + r.node.name] = r.node.compiled_code
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def compiled_sql(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The compiled SQL of the points models (full window, as-of AS_OF, term SENTINEL_TERM)."""
    home = tmp_path_factory.mktemp("points_sql") / "home"
    write_fixture_lake(home)
    extra = {"personal_as_of_date": AS_OF.isoformat(), "personal_points_term_months": SENTINEL_TERM}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUNNER,
            str(home),
            json.dumps(extra),
            json.dumps(MODELS),
            str(CHECK_TERM),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"dbt runner crashed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out = json.loads(lines[-1].removeprefix("RESULT "))
    assert out.get("run_ok") and out.get("compile_ok") and out.get("check_ok"), (
        out,
        proc.stdout[-3000:],
    )
    sql = {m: out[m] for m in MODELS}
    # the window reached the SQL as a full build as of AS_OF, and the term as the sentinel
    assert f"interval {SENTINEL_TERM} month" in sql["int_personal__points_lots"]
    assert f"date '{AS_OF.isoformat()}'" in sql["int_personal__points_events"]
    # substituting the term for the sentinel is what dbt renders for that term
    for m in MODELS:
        assert _with_term(sql[m], CHECK_TERM) == out[f"check/{m}"], m
    return sql


def _relations(sql: str) -> set[tuple[str, str, str]]:
    return set(re.findall(r'"(\w+)"\."(\w+)"\."(\w+)"', sql))


def _with_term(sql: str, term: int) -> str:
    return re.sub(rf"(?<!\d){SENTINEL_TERM}(?!\d)", str(term), sql)  # also in 'term=987m'


def _split(day: dt.date, pts: Decimal) -> list[tuple[str, Decimal]]:
    """A day's points as one to three credits (the lots model keeps one lot per credit)."""
    n = min(int(pts * 1000), 1 + day.toordinal() % 3)
    part = (pts / n).quantize(Decimal("0.001"), rounding="ROUND_DOWN")
    parts = [part] * (n - 1) + [pts - part * (n - 1)]
    return [(f"credit/{day.isoformat()}/{k}", p) for k, p in enumerate(parts)]


def run_points_sql(
    sql: dict[str, str],
    term: int,
    earned: dict[str, dict[dt.date, Decimal]],
    redeemed: dict[str, dict[dt.date, Decimal]],
) -> list[tuple]:
    """Execute the compiled points models on these accounts' credits and redemptions."""
    lots_sql = _with_term(sql["int_personal__points_lots"], term)
    events_sql = _with_term(sql["int_personal__points_events"], term)
    rels = _relations(lots_sql) | _relations(events_sql) | _relations(sql[MODELS[0]])
    con = duckdb.connect()
    try:
        for db in {r[0] for r in rels}:
            con.execute(f"attach ':memory:' as \"{db}\"")
        for db, schema in {r[:2] for r in rels}:
            con.execute(f'create schema if not exists "{db}"."{schema}"')
        by_name = {r[2]: f'"{r[0]}"."{r[1]}"."{r[2]}"' for r in rels}
        assert set(by_name) == {
            "per_credits_daily",
            "int_personal__redemptions",
            "int_personal__points_carry",
            "int_personal__points_lots",
        }, by_name
        credits = [
            (acct, day, cid, p, "person", float(p) / 1000, f"act/{cid}", "f", "v1")
            for acct, lots in earned.items()
            for day, pts in lots.items()
            for cid, p in _split(day, pts)
        ]
        con.execute(
            f"create table {by_name['per_credits_daily']} (account_id varchar, date date, "
            "credit_id varchar, points decimal(18, 3), account_kind varchar, er_tco2e double, "
            "activity_ref varchar, factor_id varchar, factor_version varchar)"
        )
        con.executemany(
            f"insert into {by_name['per_credits_daily']} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            credits,
        )
        con.execute(
            f"create table {by_name['int_personal__redemptions']} (account_id varchar, "
            "redemption_date date, points decimal(18, 3), redemption_ref varchar)"
        )
        reds = [
            (acct, day, p, f"voucher/{acct}/{day.isoformat()}")
            for acct, days in redeemed.items()
            for day, p in days.items()
        ]
        if reds:
            con.executemany(
                f"insert into {by_name['int_personal__redemptions']} values (?, ?, ?, ?)", reds
            )
        con.execute(f"create table {by_name['int_personal__points_carry']} as {sql[MODELS[0]]}")
        con.execute(f"create table {by_name['int_personal__points_lots']} as {lots_sql}")
        return con.execute(
            "select account_id, event_date, entry_type, points, factor_version, balance_after "
            f"from ({events_sql}) "
            # the model's event order (expiry, credit, redemption): the last row has the balance
            "order by account_id, event_date, "
            "case entry_type when 'expiry' then 0 when 'reduction_credit' then 1 else 2 end, "
            "activity_ref"
        ).fetchall()
    finally:
        con.close()


def _expiries(rows: list[tuple], account: str) -> dict[dt.date, Decimal]:
    out: dict[dt.date, Decimal] = {}
    for acct, day, kind, pts, *_ in rows:
        if acct == account and kind == "expiry":
            assert day not in out, (account, day)  # one expiry entry per account and date
            out[day] = -pts
    return out


def test_points_sql_known_answer(compiled_sql) -> None:
    """The oracle's hand-checked FIFO case (test_fifo_expiry_known_answer), through the SQL."""
    earned = {D(2026, 1, 10): Decimal(100), D(2026, 2, 20): Decimal(50), D(2026, 4, 1): Decimal(30)}
    redeemed = {D(2026, 2, 25): Decimal(120)}
    rows = run_points_sql(compiled_sql, 2, {"A": earned}, {"A": redeemed})
    # as of 2026-06-30 the 04-01 lot has expired too (06-01): nothing is left
    assert _expiries(rows, "A") == {D(2026, 4, 20): Decimal(30), D(2026, 6, 1): Decimal(30)}
    assert rows[-1][-1] == Decimal(0)  # balance after the last event
    assert {r[4] for r in rows if r[2] != "reduction_credit"} == {"1kg-per-point;term=2m"}
    # 3 months: on 04-10 the 100-point lot is gone (redeemed first-in first-out on 02-25); on
    # 05-20 the 30 points left of the 50-point lot (120 = 100 + 20 redeemed) expire
    rows = run_points_sql(compiled_sql, 3, {"A": earned}, {"A": redeemed})
    assert _expiries(rows, "A") == {D(2026, 5, 20): Decimal(30)}
    assert per.fifo_expiries(earned, redeemed, 3, AS_OF) == {D(2026, 5, 20): Decimal(30)}
    assert rows[-1][-1] == Decimal(30)  # the 04-01 lot expires on 07-01, after the as-of date


_days = st.integers(min_value=0, max_value=500).map(lambda n: D(2025, 1, 1) + dt.timedelta(n))
_pts = st.integers(min_value=1, max_value=10_000).map(lambda n: Decimal(n) / 1000)


@settings(max_examples=25, deadline=None)
@given(
    earned=st.dictionaries(_days, _pts, min_size=1, max_size=12),
    wants=st.lists(
        st.tuples(_days, st.floats(min_value=0.05, max_value=1.0), st.booleans()), max_size=6
    ),
    term=st.integers(min_value=1, max_value=6),
)
def test_sql_closed_form_equals_lot_simulation(compiled_sql, earned, wants, term) -> None:
    """int_personal__points_events (SQL) == the closed form == a day-by-day FIFO lot simulation."""
    lots = sorted(earned)
    # redemption days: random, or on an expiry date (same-day order: expiry before redemption)
    days = [
        (per.add_months(lots[i % len(lots)], term) if on_expiry else day, frac)
        for i, (day, frac, on_expiry) in enumerate(wants)
    ]
    # feasible redemptions: each takes a fraction of the balance left at its date
    redeemed: dict[dt.date, Decimal] = {}
    for day, frac in sorted(days):
        bal = per.balances(earned, redeemed, term, day)["balance"]
        amount = (bal * Decimal(str(frac))).quantize(Decimal("0.001"), rounding="ROUND_DOWN")
        if amount > 0:
            redeemed[day] = redeemed.get(day, Decimal(0)) + amount
    sim = per.fifo_expiries(earned, redeemed, term, AS_OF)
    closed = per.fifo_expiries_closed_form(earned, redeemed, term, AS_OF)
    assert closed == sim
    # account B: the same credits, no redemptions (the SQL partitions by account)
    sim_b = per.fifo_expiries(earned, {}, term, AS_OF)
    rows = run_points_sql(compiled_sql, term, {"A": earned, "B": earned}, {"A": redeemed})
    assert _expiries(rows, "A") == sim  # exact: DECIMAL(18,3) points
    assert _expiries(rows, "B") == sim_b
    for acct, red in (("A", redeemed), ("B", {})):
        b = per.balances(earned, red, term, AS_OF)
        assert b["balance"] >= 0
        mine = [r for r in rows if r[0] == acct]
        assert mine[-1][-1] == b["balance"], acct  # balance_after of the last event
        assert min(r[-1] for r in mine) >= 0
        got_red = {r[1]: -r[3] for r in mine if r[2] == "redemption"}
        assert got_red == {d: v for d, v in red.items() if d <= AS_OF}
