"""``carbon demo-data``: write the Yancheng-like demo city into ``<home>/landing``."""

from __future__ import annotations

import argparse

HELP = "Generate the Yancheng-like demo city (landing files + defect manifest), deterministically."


def add_arguments(p: argparse.ArgumentParser) -> None:
    from carbon.cli import args as cliargs

    p.add_argument("--scale", choices=["tiny", "small", "city"], default="tiny")
    p.add_argument("--seed", type=cliargs.seed, default=42, help="0 .. 2**32-1")
    p.add_argument(
        "--defect-rate", type=cliargs.fraction, default=0.01, help="share of bad rows, [0, 1)"
    )
    p.add_argument(
        "--start",
        type=cliargs.month,
        default="2025-01",
        help="first month of the monthly reports (YYYY-MM)",
    )
    p.add_argument(
        "--end", type=cliargs.day, default="2026-10-31", help="last day of the window (YYYY-MM-DD)"
    )
    p.add_argument(
        "--daily-days",
        type=cliargs.positive_int,
        default=None,
        help="days of daily data ending at --end (default: 31 at tiny/small, 1 at city)",
    )
    p.add_argument(
        "--no-anomalies",
        dest="anomalies",
        action="store_false",
        help="do not inject the labelled meter anomalies (demo_manifest/anomalies.csv)",
    )
    p.add_argument(
        "--home",
        dest="demo_home",
        type=cliargs.home_dir,
        default=None,
        help="data home (overrides carbon --home)",
    )


def run(args: argparse.Namespace) -> int:
    import os

    from carbon.cli.args import UsageError

    if args.start > args.end[:7]:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    from carbon.demo import generate

    home = args.demo_home or getattr(args, "home", None) or None
    if args.demo_home:
        os.environ["CARBON_HOME"] = args.demo_home
    s = generate(
        home,
        scale=args.scale,
        seed=args.seed,
        defect_rate=args.defect_rate,
        start=args.start,
        end=args.end,
        daily_days=args.daily_days,
        anomalies=getattr(args, "anomalies", True),
    )
    cal = s.calibration
    print(f"demo city ({s.scale}, seed {s.seed}) written to {s.home}/landing in {s.seconds} s")
    for name in sorted(s.files):
        print(
            f"  {name:<26} {s.files[name]:>5} files {s.rows[name]:>10} rows {s.defects[name]:>6} defects"
        )
    print(
        f"  Scope 1: {cal['city_scope1_tco2_per_year'] / 1e6:.2f} MtCO2/yr "
        f"(bottom-up reported {cal['bottom_up_reported_tco2_per_year'] / 1e6:.2f}, "
        f"top-down only {cal['top_down_only_tco2_per_year'] / 1e6:.2f}); "
        f"manifest: {s.home}/demo_manifest/"
    )
    return 0
