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

from optimizers.forecast import io as fio
from optimizers.scenario import DEFAULT_SCENARIO, load_scenario


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m optimizers.forecast", description=__doc__)
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO))
    ap.add_argument("--date", required=True, help="target day YYYY-MM-DD (Asia/Shanghai)")
    ap.add_argument("--home", default=None)
    ap.add_argument("--history-days", type=int, default=120)
    ap.add_argument("--sites", default=None, help="comma-separated site ids (default: all)")
    a = ap.parse_args(argv)
    sc = load_scenario(a.scenario)
    ids = a.sites.split(",") if a.sites else sc.site_ids
    failed = 0
    for sid in ids:
        site = sc.site(sid)
        try:
            paths, df = fio.issue_site(
                sid,
                a.date,
                lat=site["lat"],
                lon=site["lon"],
                home=a.home,
                history_days=a.history_days,
            )
        except ValueError as exc:
            failed += 1
            print(f"{sid}: no forecast for {a.date}: {exc}", file=sys.stderr)
            continue
        print(f"{sid}: {len(df)} rows → {paths[0]} ({df['model_version'].iloc[0]})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
