"""Time the intraday re-plan (``optimizers.intraday.replan_group``) on a demo home.

    ./run.sh python benchmarks/intraday_replan.py --home /tmp/demo [--date 2026-10-31]
        [--now 2026-10-31T14:05] [--repeat 7]

Plans the day-ahead for ``--date`` first when the home has none (so the re-plan has a plan in
force), then re-plans every site group ``--repeat`` times at ``--now`` and prints the median wall
time (build_problem + lake reads + re-plan + writes) and HiGHS solve time, with the load average.
It writes to the home's lake: use a scratch copy.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from optimizers.intraday import replan_group
    from optimizers.runner import plan_group
    from optimizers.scenario import DEFAULT_SCENARIO, load_scenario

    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--date", default="2026-10-31")
    ap.add_argument("--now", default="2026-10-31T14:05")
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    sc = load_scenario(a.scenario)
    from carbon.config import paths

    if not (paths(a.home).lake / "dispatch_plans").exists():
        plan_group(sc, None, a.date, None, a.home, png=False)
    print("load average before:", Path("/proc/loadavg").read_text().split()[:3])
    for g in sc.site_groups():
        walls, solves = [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            r = replan_group(sc, g, a.date, a.now, a.home)
            walls.append(time.perf_counter() - t0)
            if not r["ok"]:
                raise SystemExit(f"{g}: {r['status']}: {r.get('explanation') or r.get('error')}")
            solves.append(r["solve_s"])
        print(
            f"{'+'.join(g)} k={r['k']}: wall median {statistics.median(walls):.3f} s "
            f"(min {min(walls):.3f}, max {max(walls):.3f}), "
            f"solve median {1000 * statistics.median(solves):.1f} ms"
        )
    print("load average after:", Path("/proc/loadavg").read_text().split()[:3])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
