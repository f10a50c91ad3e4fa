"""Issue day-ahead forecasts into the lake: ``./run.sh python -m optimizers.forecast``.

    ./run.sh python -m optimizers.forecast --scenario scenarios/yancheng_dc.yaml \\
        --date 2026-11-01 [--home data] [--history-days 120] [--sites YC-DC-01]

For each site of the scenario: its ``datacenter_telemetry`` of the ``--history-days`` days before
``--date`` → P10/P50/P90 of IT load and PV → ``lake/dispatch_forecasts``. A site whose feed
stopped (no telemetry on the day before) or has too little history gets no forecast; the reason
is printed and the exit code is 1 (a plan with ``forecast: model`` then falls back, flagged).
"""

from __future__ import annotations

import argparse
import sys

from optimizers.scenario import DEFAULT_SCENARIO


def main(argv: list[str] | None = None) -> int:
    from optimizers.forecast.runner import DEFAULT_HISTORY_DAYS, issue_one, list_sites

    ap = argparse.ArgumentParser(prog="python -m optimizers.forecast", description=__doc__)
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--date", required=True, help="target day YYYY-MM-DD (Asia/Shanghai)")
    ap.add_argument("--home", default=None)
    ap.add_argument("--history-days", type=int, default=DEFAULT_HISTORY_DAYS)
    ap.add_argument("--sites", default=None, help="comma-separated site ids (default: all)")
    a = ap.parse_args(argv)
    from carbon.config import paths

    home = paths(a.home).home
    items = list_sites(a.scenario, a.date, a.history_days)
    if a.sites:
        items = [i for i in items if i["site_id"] in set(a.sites.split(","))]
    failed = 0
    for item in items:
        out = issue_one(item, home)
        if not out["ok"]:
            failed += 1
            print(f"{item['site_id']}: no forecast for {a.date}: {out['reason']}", file=sys.stderr)
            continue
        print(
            f"{item['site_id']}: {out['rows']} rows → {out['partitions'][0]} ({out['model_version']})"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
