"""Rolling-origin backtest of the day-ahead forecasts (issue 13 §1) on the demo's long telemetry.

    ./run.sh python benchmarks/forecast_backtest.py [--sites 2] [--start 2026-05-01]
        [--end 2026-10-31] [--test-days 28] [--refit-every 14] [--seed 42] [--json out.json]

Per site and series (IT load, PV) and for the grid's hourly carbon intensity (Jiangsu, the demo's
``grid_signals``; its price is the TOU tariff, fixed, so it is not forecast): MAE, nMAE,
pinball loss and P10–P90 coverage of the model (LightGBM quantile + CQR) against persistence
(yesterday), clear sky (PV, the dispatcher's default) and statsmodels Holt-Winters. Goals: P50
nMAE ≥ 25 % better than persistence for IT load and PV; coverage 75–85 %.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from carbon.demo import daily
from carbon.demo.history import demo_sites, telemetry_history
from optimizers.forecast import backtest


def grid_ci(start: str, end: str, seed: int) -> pd.Series:
    frames = [daily.grid_day(d.date(), seed) for d in pd.date_range(start, end, freq="D")]
    g = pd.concat(frames, ignore_index=True)
    ts = pd.to_datetime(g["ts"]).dt.tz_convert("Asia/Shanghai")
    return pd.Series(g["carbon_intensity_kg_per_kwh"].to_numpy(float), index=ts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=2)
    ap.add_argument("--start", default="2026-05-01")
    ap.add_argument("--end", default="2026-10-31")
    ap.add_argument("--test-days", type=int, default=28)
    ap.add_argument("--refit-every", type=int, default=14)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--series", default="it_kw,pv_kw,carbon_intensity", help="which to run")
    ap.add_argument("--cal-days", type=int, default=None, help="days per CQR fold")
    ap.add_argument("--cal-folds", type=int, default=None, help="rolling CQR folds")
    ap.add_argument("--symmetric", action="store_true", help="one CQR widening for both edges")
    ap.add_argument("--no-blend", action="store_true", help="PV P50 without persistence blend")
    ap.add_argument("--no-holt-winters", action="store_true", help="skip that (slow) baseline")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    fit_kw: dict = {}
    if a.cal_days is not None:
        fit_kw["cal_days"] = a.cal_days
    if a.cal_folds is not None:
        fit_kw["cal_folds"] = a.cal_folds
    if a.symmetric:
        fit_kw["asymmetric"] = False
    if a.no_blend:
        fit_kw["blend"] = False
    t0 = time.perf_counter()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    sites = demo_sites(a.seed)[: a.sites]
    tele = telemetry_history(sites, a.start, a.end, a.seed).set_index("ts")
    jobs = []
    for s in sites:
        t = tele[tele["site_id"] == s.site_id]
        for col, kind in (("it_kw", "load"), ("pv_kw", "pv")):
            jobs.append((s.site_id, t[col], kind, col, "kW", "15min"))
    jobs.append(
        (
            "grid 320000",
            grid_ci(a.start, a.end, a.seed),
            "raw",
            "carbon_intensity",
            "kgCO2/kWh",
            "1h",
        )
    )
    out = []
    pd.set_option("display.width", 140)
    keep = set(a.series.split(","))
    for who, series, kind, name, unit, freq in jobs:
        if name not in keep:
            continue
        t1 = time.perf_counter()
        bt = backtest.run(
            series,
            kind,
            series=name,
            unit=unit,
            freq=freq,
            test_days=a.test_days,
            refit_every=a.refit_every,
            lat=daily.LAT,
            lon=daily.LON,
            fit_kw=fit_kw,
            holt_winters=not a.no_holt_winters,
        )
        print(
            f"\n== {who} {bt.series} ({bt.unit}), {a.test_days} held-out days, day ahead "
            f"({time.perf_counter() - t1:.1f} s)"
        )
        print(bt.scores.to_string(float_format=lambda v: f"{v:.4f}"), flush=True)
        rec = bt.scores.reset_index().to_dict(orient="records")
        out.append({"who": who, "series": bt.series, "unit": bt.unit, "scores": rec})
    wall = time.perf_counter() - t0
    print(f"\nwall {wall:.1f} s; load average at end: {os.getloadavg()[0]:.2f}")
    if a.json:
        a.json.write_text(
            json.dumps(
                {"args": vars(a) | {"json": str(a.json)}, "wall_s": wall, "results": out},
                indent=2,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
