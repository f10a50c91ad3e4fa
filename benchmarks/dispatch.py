"""Dispatch benchmark: the same LP in PyPSA (linopy + HiGHS) and in ours, plus loop and MILP runs.

    ./run.sh python benchmarks/dispatch.py [--sizes 24,8760,35040] [--loops 20] [--jobs 200]

1. For each size (24 hourly steps = 1 day, 8760 hourly = 1 year, 35040 quarter-hours = 1 year):
   build and solve the common problem (benchmarks/pypsa_compare.py) in both tools; check the
   objectives agree to 1e-7 relative and that the end-of-horizon SOC rule is the same (start fixed
   at soc_init, end ≥ start in both); report build and solve times and the ratio.
2. (a) the 96-step day-ahead plan re-solved ``--loops`` times: ours ``solve(problem)`` (build +
   solve) against PyPSA ``n.optimize()`` on a network built once (goal: ours ≥ 50× faster).
3. (b) a 96-step day-ahead plan with ``--jobs`` flexible jobs in MILP mode (min power, some
   non-preemptible, min run times): ours only, PyPSA has no job model (goal ≤ 5 s).
4. A control: the 96-step problem in PyPSA WITHOUT snapshot weightings 0.25 solves a different
   problem (its objective is reported, and it must differ).

Prints a table and writes benchmarks/results/dispatch.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pypsa_compare import (  # noqa: E402
    compare,
    ours_problem,
    pypsa_network,
    solve_pypsa,
    synthetic_series,
)

REL_TOL = 1e-7


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("linopy", "pypsa", "highspy"):
        logging.getLogger(name).setLevel(logging.ERROR)


def loop_96(loops: int) -> dict:
    """Re-solve the 96-step plan ``loops`` times in both tools."""
    from optimizers import solve

    s = synthetic_series(96, start="2026-07-15")
    problem = ours_problem(s)
    solve(problem)  # warm-up
    ours_t, ours_obj = [], []
    for _ in range(loops):
        t0 = time.perf_counter()
        r = solve(problem)
        ours_t.append(time.perf_counter() - t0)
        ours_obj.append(r.objective)
    n = pypsa_network(s)
    solve_pypsa(n)  # warm-up
    py_t, py_obj = [], []
    for _ in range(loops):
        n = pypsa_network(s)  # fresh network (not timed): the model is rebuilt by optimize
        t0 = time.perf_counter()
        obj, _b, _s, _st = solve_pypsa(n)
        py_t.append(time.perf_counter() - t0)
        py_obj.append(obj)
    return {
        "loops": loops,
        "ours_total_s": sum(ours_t),
        "ours_median_s": statistics.median(ours_t),
        "pypsa_total_s": sum(py_t),
        "pypsa_median_s": statistics.median(py_t),
        "speedup": sum(py_t) / sum(ours_t),
        "goal_speedup": 50.0,
        "objectives_agree": bool(
            abs(ours_obj[0] - py_obj[0]) / max(abs(py_obj[0]), 1.0) <= REL_TOL
        ),
    }


def make_jobs(n_jobs: int, n_steps: int = 96, step_hours: float = 0.25, seed: int = 11) -> list:
    """Seeded flexible jobs that fit their windows: ~1/4 non-preemptible, some with min power
    and minimum run times (MILP features)."""
    from optimizers.problem import Job

    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(n_jobs):
        release = int(rng.integers(0, n_steps - 16))
        deadline = int(rng.integers(release + 12, n_steps + 1))
        max_kw = float(rng.uniform(40, 250))
        window_h = (deadline - release) * step_hours
        energy = float(rng.uniform(0.15, 0.5) * max_kw * window_h)
        kind = i % 4
        jobs.append(
            Job(
                job_id=f"job-{i:03d}",
                release=release,
                deadline=deadline,
                energy_kwh=round(energy, 1),
                max_kw=round(max_kw, 1),
                min_kw_when_running=round(0.3 * max_kw, 1) if kind in (1, 2) else 0.0,
                preemptible=kind != 2,
                min_run_steps=4 if kind == 3 else 1,
            )
        )
    return jobs


def milp_jobs(n_jobs: int, time_limit: float) -> dict:
    from optimizers import solve

    s = synthetic_series(96, start="2026-07-15")
    jobs = make_jobs(n_jobs)
    problem = ours_problem(s, jobs=jobs, milp=True)
    t0 = time.perf_counter()
    r = solve(problem, time_limit=time_limit)
    total = time.perf_counter() - t0
    k = r.kpis.iloc[0] if not r.kpis.empty else {}
    return {
        "n_jobs": n_jobs,
        "n_steps": 96,
        "status": r.status,
        "objective_cny": r.objective,
        "mip_gap": r.mip_gap,
        "build_s": r.build_s,
        "solve_s": r.solve_s,
        "total_s": total,
        "goal_s": 5.0,
        "jobs_on_time": int(k.get("jobs_on_time", 0)) if len(k) else 0,
        "model_size": r.model_size,
        "non_preemptible": sum(not j.preemptible for j in jobs),
        "with_min_kw": sum(j.min_kw_when_running > 0 for j in jobs),
        "with_min_run": sum(j.min_run_steps > 1 for j in jobs),
    }


def no_weighting_control() -> dict:
    from optimizers import solve

    s = synthetic_series(96, start="2026-07-15")
    ours = solve(ours_problem(s)).objective
    n = pypsa_network(s, weightings=False)
    obj, *_ = solve_pypsa(n)
    return {
        "ours_objective_cny": ours,
        "pypsa_unweighted_objective_cny": obj,
        "differs": bool(abs(obj - ours) / abs(ours) > 1e-3),
    }


def _table(rows: list[dict], loop: dict | None, milp: dict | None) -> None:
    from rich.console import Console
    from rich.table import Table

    c = Console(width=220)
    t = Table(title="same LP: ours vs PyPSA (HiGHS)")
    for h in (
        "steps",
        "Δt h",
        "objective ours CNY",
        "objective PyPSA CNY",
        "rel diff",
        "ours build s",
        "ours solve s",
        "ours total s",
        "PyPSA build s",
        "PyPSA solve s",
        "PyPSA total s",
        "ratio",
        "SOC end ours/PyPSA kWh",
    ):
        t.add_column(h, justify="right")
    for r in rows:
        t.add_row(
            str(r["n_steps"]),
            f"{r['step_hours']:g}",
            f"{r['ours_objective_cny']:,.4f}",
            f"{r['pypsa_objective_cny']:,.4f}",
            f"{r['rel_diff']:.1e}",
            f"{r['ours_build_s']:.3f}",
            f"{r['ours_solve_s']:.3f}",
            f"{r['ours_total_s']:.3f}",
            f"{r['pypsa_build_s']:.2f}",
            f"{r['pypsa_solve_s']:.2f}",
            f"{r['pypsa_total_s']:.2f}",
            f"{r['speedup_total']:.1f}×",
            f"{r['ours_soc_end_kwh']:.1f}/{r['pypsa_soc_end_kwh']:.1f}",
        )
    c.print(t)
    if loop:
        c.print(
            f"(a) 96-step plan × {loop['loops']}: ours {loop['ours_total_s']:.3f} s "
            f"(median {loop['ours_median_s'] * 1000:.1f} ms), PyPSA {loop['pypsa_total_s']:.2f} s "
            f"(median {loop['pypsa_median_s'] * 1000:.0f} ms): {loop['speedup']:.0f}× "
            f"(goal ≥ {loop['goal_speedup']:.0f}×)"
        )
    if milp:
        c.print(
            f"(b) 96-step MILP with {milp['n_jobs']} jobs: {milp['status']}, "
            f"{milp['total_s']:.2f} s total (build {milp['build_s']:.2f} s, solve "
            f"{milp['solve_s']:.2f} s), gap {milp['mip_gap']}, jobs on time "
            f"{milp['jobs_on_time']}/{milp['n_jobs']} (goal ≤ {milp['goal_s']:.0f} s)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="24,8760,35040")
    ap.add_argument("--loops", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--milp-time-limit", type=float, default=60.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "dispatch.json"))
    args = ap.parse_args(argv)
    _quiet()
    import pypsa  # noqa: F401  imported before any timing

    compare(24)  # warm-up of both tools (lazy imports, HiGHS load): not reported
    rows = []
    for n in [int(x) for x in args.sizes.split(",") if x]:
        r = compare(n)
        r["objectives_agree"] = bool(r["rel_diff"] <= REL_TOL)
        r["soc_rule_same"] = bool(
            r["ours_soc_end_kwh"] >= r["soc_start_kwh"] - 1e-6
            and r["pypsa_soc_end_kwh"] >= r["soc_start_kwh"] - 1e-6
        )
        rows.append(r)
        print(
            f"  {n} steps: rel diff {r['rel_diff']:.1e}, ours {r['ours_total_s']:.2f} s, "
            f"PyPSA {r['pypsa_total_s']:.2f} s",
            flush=True,
        )
    loop = loop_96(args.loops) if args.loops > 0 else None
    milp = milp_jobs(args.jobs, args.milp_time_limit) if args.jobs > 0 else None
    control = no_weighting_control()
    _table(rows, loop, milp)
    print(
        f"control: PyPSA without 0.25 h weightings gives {control['pypsa_unweighted_objective_cny']:,.0f}"
        f" CNY vs {control['ours_objective_cny']:,.0f} CNY (differs: {control['differs']})"
    )
    out = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rel_tol": REL_TOL,
        "sizes": rows,
        "loop_96": loop,
        "milp_jobs": milp,
        "no_weighting_control": control,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    ok = all(r["objectives_agree"] and r["soc_rule_same"] for r in rows) and control["differs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
