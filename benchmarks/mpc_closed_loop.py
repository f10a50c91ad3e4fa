"""Closed-loop MPC benchmark and re-solve timing (issue 13 §2).

    ./run.sh python benchmarks/mpc_closed_loop.py [--days 30] [--site YC-DC-01]
        [--end 2026-07-31] [--history-days 60] [--carbon-price 90] [--replan-every 4]
        [--timing-repeats 50] [--seed 42] [--out benchmarks/results/mpc_closed_loop.json]

The demo's long telemetry (``carbon.demo.history``) of one site is the "real" IT load and PV of
the last ``--days`` days up to ``--end``. Each of those days gets a day-ahead P50 forecast of IT
load and PV (``optimizers.forecast``: LightGBM quantile + CQR, trained on the days before only,
refitted every 14 days — the rolling-origin backtest of ``optimizers.forecast.backtest``).
PUE, wind, the TOU price and the hourly carbon intensity (``carbon.demo.daily.grid_day``) are
taken as known. Three flexible jobs a day (``optimizers.closed_loop.day_jobs``) run on top of the
telemetry's IT load. Per day (``optimizers.closed_loop.simulate_day``): day-ahead only, MPC
(re-plan every hour from the executed state with ``optimizers.mpc.replan``), MPC with the
forecast updated by the error just measured (``mpc_updated``), the same keeping a peak headroom
from the forecast's P90 / P10 (``mpc_margin``, ``--peak-margin``), perfect foresight.

Then the re-solve timing: ``replan`` of the first day's 96-step plan (at step 0 and at step 48),
``--timing-repeats`` times: median wall of the whole call, of the model build, of the HiGHS call
(``passModel`` + ``run`` + read-back of the arrays) and of the rest (sub-problem + result
tables). Goals: MPC within 5 % of perfect-foresight cost with no missed deadline; a 96-step
re-solve ≤ 20 ms median. Prints tables, writes JSON (load average at start and end included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

from carbon.demo import daily
from carbon.demo.history import demo_sites, telemetry_history
from carbon.pipeline.lake import atomic_path
from optimizers import closed_loop as cl
from optimizers.forecast import backtest
from optimizers.mpc import MeasuredState, replan

ROOT = Path(__file__).resolve().parents[1]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def grid_steps(day: dt.date, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TOU price (CNY/kWh) and carbon intensity (kgCO2/kWh) per 15-minute step of ``day``."""
    g = daily.grid_day(day, seed)
    price = np.repeat(g["price_cny_per_kwh"].to_numpy(float), 4)
    ci = np.repeat(g["carbon_intensity_kg_per_kwh"].to_numpy(float), 4)
    return price, ci


def forecasts(tele: pd.DataFrame, days: int) -> dict[str, pd.DataFrame]:
    """Day-ahead P50 of it_kw and pv_kw for the last ``days`` days (the backtest's held-out
    days: each forecast made from earlier days only)."""
    out = {}
    for col, kind in (("it_kw", "load"), ("pv_kw", "pv")):
        t0 = time.perf_counter()
        bt = backtest.run(
            tele[col],
            kind,
            series=col,
            unit="kW",
            test_days=days,
            refit_every=14,
            lat=daily.LAT,
            lon=daily.LON,
            holt_winters=False,
        )
        f = bt.forecasts.set_index("ts")
        nmae = bt.scores["nmae"].iloc[0]
        print(
            f"forecast {col}: {days} days in {time.perf_counter() - t0:.1f} s, P50 nMAE {nmae:.3f}"
        )
        out[col] = f
    return out


def resolve_timing(problem, repeats: int) -> dict:
    """Median ms of ``replan`` (see the module doc): ``repeats`` runs at step 0 (the whole
    96-step plan: the goal's case) and ``repeats`` at step 48 (the 48 steps left at noon)."""
    n = problem.n_steps
    sid = problem.sites[0].site_id
    soc0 = problem.sites[0].battery.soc_init_kwh
    out: dict = {"repeats": repeats}
    for k in (0, n // 2):
        rows = []
        meas = MeasuredState(
            soc_kwh={sid: soc0},
            soc_step={sid: max(k - 1, 0)},
            delivered_kwh={"batch": 5000.0} if k else {},
            peak_so_far_kw={sid: 6000.0 if k else 0.0},
        )
        for _ in range(repeats):
            t0 = time.perf_counter()
            rp = replan(problem, k, meas)
            wall = time.perf_counter() - t0
            if not rp.ok:
                raise RuntimeError(f"re-plan at step {k} failed: {rp.result.status}")
            r = rp.result
            rows.append(
                {
                    "wall": wall,
                    "build": r.build_s,
                    "solve": r.solve_s,
                    "rest": wall - r.build_s - r.solve_s,
                }
            )
        df = pd.DataFrame(rows)
        out[f"k{k}"] = {
            "steps": n - k,
            **{f"{c}_ms_median": float(df[c].median() * 1e3) for c in df.columns},
            "wall_ms_p90": float(df["wall"].quantile(0.9) * 1e3),
            "size": r.model_size,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30, help="simulated days (the last ones to --end)")
    ap.add_argument("--site", default="YC-DC-01")
    ap.add_argument("--end", default="2026-07-31", help="last simulated day")
    ap.add_argument("--history-days", type=int, default=60, help="training days before them")
    ap.add_argument("--carbon-price", type=float, default=90.0, help="CNY/tCO2 in the objective")
    ap.add_argument("--demand-charge", type=float, default=40.0, help="CNY/kW·month")
    ap.add_argument("--replan-every", type=int, default=4, help="steps between MPC re-plans")
    ap.add_argument(
        "--peak-margin",
        default="auto",
        help="mpc_margin's headroom, kW, or auto: per day the median over steps of "
        "PUE·(P90 − P50 IT) + (P50 − P10 PV) of the forecast",
    )
    ap.add_argument("--timing-repeats", type=int, default=50)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mpc_closed_loop.json"))
    a = ap.parse_args(argv)
    if a.days < 1 or a.history_days < 30:
        ap.error("--days must be ≥ 1 and --history-days ≥ 30 (the forecast needs 30 days)")
    t_start = time.perf_counter()
    load_start = loadavg()
    print(f"load average at start: {load_start}")
    sites = {s.site_id: s for s in demo_sites(a.seed)}
    if a.site not in sites:
        ap.error(f"--site {a.site}: not a demo site ({', '.join(sites)})")
    site = sites[a.site]
    end = dt.date.fromisoformat(a.end)
    first = end - dt.timedelta(days=a.days - 1)
    start = first - dt.timedelta(days=a.history_days)
    tele = telemetry_history([site], start, end, a.seed).set_index("ts")
    fc = forecasts(tele, a.days)
    jobs = cl.day_jobs(site.it_kw)
    days = []
    per_day = []
    t_sim = time.perf_counter()
    problems = []
    margins: list[float] = []
    for d in pd.date_range(str(first), str(end), freq="D"):
        day = d.date()
        sl = tele.loc[str(day)]
        if len(sl) != 96:
            raise ValueError(f"{day}: {len(sl)} telemetry steps, expected 96")
        price, ci = grid_steps(day, a.seed)
        f_it = fc["it_kw"].loc[str(day), "p50"].to_numpy(float)
        f_pv = fc["pv_kw"].loc[str(day), "p50"].to_numpy(float)
        it = sl["it_kw"].to_numpy(float)
        problem = cl.day_problem(
            site.site_id,
            str(day),
            it_base_kw=np.clip(f_it, 0, None),
            pv_kw=np.clip(f_pv, 0, None),
            wind_kw=sl["wind_kw"].to_numpy(float),
            pue=np.maximum(sl["facility_kw"].to_numpy(float) / it, 1.0),
            price_cny_per_kwh=price,
            carbon_kg_per_kwh=ci,
            battery_kwh=site.battery_kwh,
            battery_power_kw=site.battery_kwh / 2,
            jobs=jobs,
            demand_charge_cny_per_kw_month=a.demand_charge,
            carbon_price_cny_per_t=a.carbon_price,
            uscc=site.uscc,
        )
        problems.append(problem)
        if a.peak_margin == "auto":
            pue = np.maximum(sl["facility_kw"].to_numpy(float) / it, 1.0)
            up_it = fc["it_kw"].loc[str(day), "p90"].to_numpy(float) - f_it
            up_pv = f_pv - fc["pv_kw"].loc[str(day), "p10"].to_numpy(float)
            margin = float(np.median(np.clip(pue * up_it + up_pv, 0, None)))
        else:
            margin = float(a.peak_margin)
        margins.append(margin)
        out = {
            s: cl.simulate_day(
                problem,
                it,
                sl["pv_kw"].to_numpy(float),
                s,
                replan_every=a.replan_every,
                peak_margin_kw=margin,
            )
            for s in cl.STRATEGIES
        }
        days.append(out)
        per_day.append(
            {"day": str(day)}
            | {f"{s}_cost_cny": o.cost_cny for s, o in out.items()}
            | {f"{s}_peak_kw": o.peak_kw for s, o in out.items()}
            | {f"{s}_missed": len(o.missed) for s, o in out.items()}
        )
        print(
            f"{day}: cost CNY "
            + ", ".join(f"{s} {o.cost_cny:,.0f}" for s, o in out.items())
            + f"; MPC gap {100 * (out['mpc'].cost_cny / out['perfect'].cost_cny - 1):+.2f} %",
            flush=True,
        )
    sim_s = time.perf_counter() - t_sim
    summary = cl.summarise(days)
    mpc_solves = [s for d in days for s in d["mpc"].replan_s]
    table = pd.DataFrame(summary).T[
        [
            "cost_cny",
            "objective_cny",
            "tco2",
            "green_share",
            "curtailed_kwh",
            "deadlines_missed",
            "peak_kw",
            "cost_gap_to_perfect_pct",
            "objective_gap_to_perfect_pct",
            "infeasible_days",
            "replan_failures",
        ]
    ]
    pd.set_option("display.width", 160)
    print(f"\n== closed loop, {a.site}, {a.days} days {first} … {end} ({sim_s:.1f} s simulated)")
    print(table.to_string(float_format=lambda v: f"{v:,.3f}"))
    print(
        f"mpc_margin headroom: median {np.median(margins):.0f} kW "
        f"({min(margins):.0f}–{max(margins):.0f})"
    )
    print(
        f"MPC re-plans in the loop: {len(mpc_solves)}, median {1e3 * np.median(mpc_solves):.1f} ms"
    )
    timing = resolve_timing(problems[0], a.timing_repeats)
    for key, t in timing.items():
        if key == "repeats":
            continue
        print(
            f"\n== re-solve at step {key[1:]} ({t['steps']} steps, {t['size']}), {a.timing_repeats} "
            f"runs: median {t['wall_ms_median']:.1f} ms (build {t['build_ms_median']:.1f}, HiGHS "
            f"{t['solve_ms_median']:.1f}, sub-problem + result tables {t['rest_ms_median']:.1f}); "
            f"p90 {t['wall_ms_p90']:.1f} ms"
        )
    load_end = loadavg()
    print(f"load average at end: {load_end}; wall {time.perf_counter() - t_start:.1f} s")
    goals = {
        "mpc_within_5pct_of_perfect": summary["mpc"]["cost_gap_to_perfect_pct"] <= 5.0,
        "mpc_no_missed_deadline": summary["mpc"]["deadlines_missed"] == 0,
        "mpc_updated_within_5pct_of_perfect": summary["mpc_updated"]["cost_gap_to_perfect_pct"]
        <= 5.0,
        "mpc_updated_no_missed_deadline": summary["mpc_updated"]["deadlines_missed"] == 0,
        "mpc_margin_within_5pct_of_perfect": summary["mpc_margin"]["cost_gap_to_perfect_pct"]
        <= 5.0,
        "mpc_margin_no_missed_deadline": summary["mpc_margin"]["deadlines_missed"] == 0,
        "resolve_96_steps_median_le_20ms": timing["k0"]["wall_ms_median"] <= 20.0,
    }
    print("goals: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in goals.items()))
    res = {
        "args": vars(a),
        "site": {
            "site_id": site.site_id,
            "it_kw_nominal": site.it_kw,
            "pv_kwp": site.pv_kwp,
            "wind_kw": site.wind_kw,
            "battery_kwh": site.battery_kwh,
            "battery_kw": site.battery_kwh / 2,
        },
        "jobs": [
            {
                "job_id": j.job_id,
                "window_steps": [j.release, j.deadline],
                "energy_kwh": j.energy_kwh,
                "max_kw": j.max_kw,
            }
            for j in jobs
        ],
        "days": [str(first), str(end)],
        "summary": summary,
        "per_day": per_day,
        "peak_margin_kw": {
            "median": float(np.median(margins)),
            "min": min(margins),
            "max": max(margins),
        },
        "mpc_replans_in_loop_ms_median": float(1e3 * np.median(mpc_solves)),
        "resolve_timing": timing,
        "goals": goals,
        "simulate_s": sim_s,
        "wall_s": time.perf_counter() - t_start,
        "loadavg_start": load_start,
        "loadavg_end": load_end,
    }
    out_path = Path(a.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_path) as tmp:
        Path(tmp).write_text(json.dumps(res, indent=2, default=str))
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
