"""Run-to-run determinism of the warehouse (issue 10 "Done means"; docs/ledgers.md, Determinism).

Two builds of the same code from the same lake must give content-identical marts, exactly (not
to 12 digits). The end-to-end check takes the run's shared demo build (tests/conftest.py
``demo_build``: tiny demo city + ``carbon nightly``), rebuilds the warehouse of a copy from the
same lake with a full-refresh ``dbt build``, and compares every table of ``main``,
``intermediate`` and ``ref`` with ``scripts/compare_homes.py`` (exit 0 = identical; DOUBLE columns
compared exactly). The static check fails fast on the patterns that made the marts differ: a DOUBLE
``sum``/``avg`` without a fixed order (DuckDB adds the partial sums of its threads in whatever
order they finish) and ``any_value`` (whichever row a thread met first)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "compare_homes.py"

_AGG = re.compile(r"\b(sum|avg)\s*\(", re.I)
_BANNED = re.compile(r"\b(any_value|random|now|current_timestamp|gen_random_uuid|uuid)\s*\(", re.I)


def _aggregates(sql: str):
    """(name, argument text, text after the closing parenthesis) of every sum( / avg( call."""
    for m in _AGG.finditer(sql):
        depth, j = 1, m.end()
        while depth and j < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
        yield m.group(1), sql[m.end() : j - 1], sql[j : j + 60]


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"\{#.*?#\}", "", sql, flags=re.S)
    return re.sub(r"--[^\n]*", "", sql)


def test_aggregates_in_models_have_a_fixed_order():
    """Every non-window sum/avg in models/ adds in a fixed order (``sum(x order by x)``: the
    multiset of inputs sorted, so the result does not depend on the order rows arrive in) or
    exactly (a sum of ``cast(x as decimal(...))``), and no model picks ``any_value`` or reads the
    clock / a random source."""
    bad = []
    files = sorted((REPO / "models").rglob("*.sql"))
    assert len(files) > 40
    n = 0
    for f in files:
        sql = _strip_comments(f.read_text(encoding="utf-8"))
        rel = f.relative_to(REPO)
        for m in _BANNED.finditer(sql):
            bad.append(f"{rel}: {m.group(0)}")
        for name, arg, after in _aggregates(sql):
            n += 1
            if re.match(r"\s*(filter\s*\([^)]*\)\s*)?over\b", after, re.I):
                continue  # a window: its frame is ordered (checked by the end-to-end test)
            exact = re.match(
                r"\s*cast\s*\(.*\bas\s+(\{\{\s*kwh_decimal\(\)\s*\}\}|decimal)", arg, re.I
            )
            if not exact and not re.search(r"\border\s+by\b", arg, re.I):
                bad.append(f"{rel}: {name}({arg.strip()}) has no ORDER BY")
    assert n > 80  # the check saw the aggregates
    assert not bad, "\n".join(bad)


def test_the_static_check_catches_an_unordered_sum():
    sql = "select a, sum(x) as s, sum(y order by y) filter (where y > 0) as t from r group by a"
    found = [(n, a) for n, a, after in _aggregates(sql) if "order by" not in a]
    assert found == [("sum", "x")]


@pytest.mark.slow
def test_a_second_build_from_the_same_lake_gives_identical_marts(demo_build, demo_home_copy):
    """The shared demo home and a copy whose warehouse is rebuilt with ``--full-refresh`` from
    the same lake: every table content-identical (volatile columns excluded, doubles exact)."""
    assert demo_build.returncode == 0, demo_build.output
    home = demo_home_copy()
    env = {**os.environ, "CARBON_HOME": str(home), "CARBON_PSEUDONYM_SECRET": demo_build.secret}
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from carbon.pipeline.warehouse.build import build;"
            " print(build(sys.argv[1], full_refresh=True).seconds)",
            str(home),
        ],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert r.returncode == 0, r.stdout[-4000:]
    r = subprocess.run(
        [sys.executable, str(SCRIPT), str(demo_build.home), str(home)],
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert r.returncode == 0 and r.stdout.rstrip().endswith("identical"), r.stdout
    assert "warehouse: " in r.stdout and " content-identical" in r.stdout, r.stdout


def _plans_home(home: Path) -> Path:
    """A data home whose warehouse holds only ``dispatch_site_daily``: two sites, two plan days,
    every plan over its PUE target and under its green-share target."""
    import duckdb

    (home / "warehouse").mkdir(parents=True)
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"))
    con.execute(
        """
        create table dispatch_site_daily as
        select site_id, 'U-' || site_id as uscc, plan_date, 'optimal' as status,
            0.20::double as green_share, 0.50::double as green_share_target,
            1.40::double as pue_realised, 1.25::double as pue_target
        from (values ('S-2'), ('S-1')) s(site_id),
            (values (date '2026-12-03'), (date '2026-12-04')) d(plan_date)
        """
    )
    con.close()
    return home


def test_dispatch_alerts_do_not_depend_on_the_run_clock(tmp_path):
    """The same plans evaluated on two homes at two different times give the same alerts (ids,
    periods, evidence): a plan day is the episode of its PUE / green-share finding. Before, those
    two rules took the run's wall-clock time as the episode (a new alert id every build: the
    ``mon_alerts`` difference of two demo builds of the same code), and the two plan days of one
    site collapsed into one alert whose period was whichever row DuckDB returned first."""
    import datetime as dt
    import zoneinfo

    from carbon.monitor.engine import evaluate

    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    cols = ["alert_id", "rule_id", "subject_id", "period", "evidence"]
    got = []
    for k, hour in enumerate((1, 13)):
        home = _plans_home(tmp_path / f"h{k}")
        a = evaluate(home, run_at=dt.datetime(2026, 12, 5, hour, 7, tzinfo=tz)).alerts
        a = a[a["rule_id"].isin(["dispatch_pue_high", "dispatch_green_share_low"])]
        got.append(sorted(map(tuple, a[cols].astype(str).to_numpy())))
    assert len(got[0]) == 8  # 2 rules x 2 sites x 2 plan days
    assert got[0] == got[1]
