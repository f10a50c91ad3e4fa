"""Benchmark the ledger build (dbt-duckdb) on a data home whose lake is filled.

    ./run.sh python benchmarks/ledgers.py --home /tmp/h3-demo            # tiny demo city
    ./run.sh python benchmarks/ledgers.py --home /tmp/h3-city --no-full  # city scale

Each measured build runs in its own process (peak RSS = that process: dbt + DuckDB):

* ``full``   : ``--full-refresh`` build of everything in the lake (journal rebuilt);
* ``rebuild``: a second build over all months with nothing new (the no-op night);
* ``--add-days N`` first copies the last day of meters forward N times (a full month of daily
  data at city scale without generating and ingesting it again);
* ``night``  : one more day of electricity lands (the last day's meters copied to the next day,
  written atomically to the lake like ingest does), then a build limited to that month
  (``ledger_months``): the nightly incremental. carbon.pipeline.warehouse.build.build sees the new partition and
  the personal models recompute only that day (column ``personal``: "incremental" or "full").

Prints one JSON line per step and a Markdown table for docs/ledgers.md.
WARNING: ``night`` adds a day to the lake of --home; use a scratch home.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _step(home: str, kind: str, months: list[str] | None) -> dict:
    from carbon.pipeline.warehouse import build as ledgers

    t0 = time.perf_counter()
    r = ledgers.build(home, full_refresh=(kind == "full"), months=months)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "step": kind,
        "seconds": round(secs, 1),
        "peak_rss_mb": round(peak),
        "nodes": len(r.statuses),
        "ok": r.ok,
        # what the personal models recomputed: everything, or the changed lake days
        "personal": "full" if r.plan.personal.full else r.plan.personal.reason,
        "personal_days": len(r.plan.personal.electricity_dates)
        + len(r.plan.personal.activity_dates),
        "dbt_seconds": _dbt_elapsed(home),
    }


def _dbt_elapsed(home: str) -> float | None:
    """dbt's own elapsed time of the last invocation (target/run_results.json)."""
    from carbon.pipeline.warehouse import build as ledgers

    try:
        res = json.loads((ledgers.dbt_dirs(home)[0] / "run_results.json").read_text())
    except (OSError, ValueError):
        return None
    return round(res.get("elapsed_time", 0.0), 1)


def add_night(home: str) -> str:
    """Copy the latest electricity day to the next day; return the month (YYYY-MM) touched."""
    import pyarrow.parquet as pq

    from carbon.pipeline.lake import list_partitions, write_partition

    parts = list_partitions("electricity_consumption", home)
    last = max(parts, key=lambda p: p.parent.name)
    day = date.fromisoformat(last.parent.name.split("=", 1)[1]) + timedelta(days=1)
    table = pq.read_table(last)
    write_partition("electricity_consumption", "date", day.isoformat(), table, home=home)
    return day.strftime("%Y-%m")


def add_snapshot(home: str, month: str) -> bool:
    """Land the ``households`` snapshot of ``month`` (a copy of the latest one) if it is missing:
    the first night of a month, when civil affairs deliver the month's register."""
    import pyarrow.parquet as pq

    from carbon.pipeline.lake import list_partitions, write_partition

    parts = list_partitions("households", home)
    if not parts or any(p.parent.name == f"month={month}" for p in parts):
        return False
    last = max(parts, key=lambda p: p.parent.name)
    write_partition("households", "month", month, pq.read_table(last), home=home)
    return True


def journal_rows(home: str) -> int:
    import duckdb

    from carbon.config import paths

    con = duckdb.connect(str(paths(home).warehouse), read_only=True)
    try:
        return con.execute("select count(*) from main.ledger_entries").fetchone()[0]
    finally:
        con.close()


def lake_size(home: str) -> dict:
    import duckdb

    from carbon.config import paths

    lake = paths(home).lake
    out = {}
    for ds in ("electricity_consumption", "fuel_consumption", "enterprises", "low_carbon_activity"):
        if any((lake / ds).glob("*/part-0.parquet")):
            out[ds] = duckdb.execute(
                f"select count(*) from read_parquet('{lake}/{ds}/*/part-0.parquet')"
            ).fetchone()[0]
    return out


def run_step(home: str, kind: str, months: list[str] | None = None) -> dict:
    cmd = [sys.executable, __file__, "_step", "--home", home, "--kind", kind]
    if months:
        cmd += ["--months", *months]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"step {kind} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd")
    s = sub.add_parser("_step")
    s.add_argument("--home", required=True)
    s.add_argument("--kind", required=True)
    s.add_argument("--months", nargs="*")
    ap.add_argument("--home")
    ap.add_argument("--no-full", action="store_true", help="skip the full-refresh build")
    ap.add_argument("--no-rebuild", action="store_true", help="skip the nothing-new build")
    ap.add_argument(
        "--add-days",
        type=int,
        default=0,
        help="first copy the last electricity day forward N times (e.g. 30: a full month at city scale)",
    )
    ap.add_argument(
        "--new-snapshot",
        action="store_true",
        help="the night also lands its month's households snapshot when it starts a new month",
    )
    args = ap.parse_args(argv)
    if args.cmd == "_step":
        print(json.dumps(_step(args.home, args.kind, args.months)))
        return 0
    home = args.home
    for _ in range(args.add_days):
        add_night(home)
    results = [{"lake_rows": lake_size(home)}]
    print(json.dumps(results[0]), flush=True)
    steps = [] if args.no_full else [("full", None)]
    if not args.no_rebuild:
        steps.append(("rebuild", None))
    for kind, months in steps:
        r = run_step(home, kind, months)
        r["journal_rows"] = journal_rows(home)
        results.append(r)
        print(json.dumps(r), flush=True)
    month = add_night(home)
    snapshot = add_snapshot(home, month) if args.new_snapshot else False
    r = run_step(home, "night", [month])
    r["new_household_snapshot"] = snapshot
    r["journal_rows"] = journal_rows(home)
    r["months"] = [month]
    results.append(r)
    print(json.dumps(r), flush=True)
    print(
        "\n| step | wall s | dbt s | peak RSS MB | personal | journal rows |\n|---|---|---|---|---|---|"
    )
    for r in results[1:]:
        print(
            f"| {r['step']} | {r['seconds']} | {r['dbt_seconds']} | {r['peak_rss_mb']} "
            f"| {r['personal']} | {r['journal_rows']:,} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
