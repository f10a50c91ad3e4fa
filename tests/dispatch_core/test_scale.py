"""The sizes of issue #4 §10 solve correctly: a 96-step plan re-solved in a loop, a year at hourly
steps, a 200-job MILP day. Speed itself is measured in ``benchmarks/dispatch.py`` (numbers in
docs/dispatch.md and docs/dispatch-model.md), not asserted here: timed tests flake on a busy CI."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest

from optimizers import Battery, Job, Options, Problem, Site, solve


def day_site(n: int, step_hours: float, n_jobs: int, seed: int = 1, integer: bool = False) -> Site:
    rng = np.random.default_rng(seed)
    idx = pd.date_range(
        "2026-07-15", periods=n, freq=pd.Timedelta(hours=step_hours), tz="Asia/Shanghai"
    )
    hour = idx.hour.to_numpy() + idx.minute.to_numpy() / 60
    sun = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    price = np.select(
        [(hour >= 10) & (hour < 15), (hour >= 18) & (hour < 21), hour < 8], [1.1, 1.2, 0.3], 0.7
    )
    jobs = []
    per_day = round(24 / step_hours)
    for k in range(n_jobs):
        r = int(rng.integers(0, per_day - 26))
        d = min(n, r + int(rng.integers(8, 40)))
        mx = float(rng.uniform(20, 80))
        e = float(rng.uniform(0.2, 0.6)) * mx * (d - r) * step_hours
        hard = integer and rng.random() < 0.5
        jobs.append(
            Job(
                f"j{k}",
                r,
                d,
                e,
                mx,
                min_kw_when_running=0.3 * mx if hard else 0.0,
                preemptible=not hard,
                min_run_steps=4 if hard else 1,
            )
        )
    return Site(
        site_id="YC-DC-01",
        uscc=None,
        index=idx,
        step_hours=step_hours,
        it_base_kw=2000 + 100 * rng.random(n),
        pue=1.25 + 0.05 * np.sin(hour / 24 * 2 * np.pi),
        pv_kw=3000 * sun * (0.7 + 0.3 * rng.random(n)),
        wind_kw=np.zeros(n),
        price_cny_per_kwh=price,
        carbon_kg_per_kwh=0.58 - 0.1 * sun,
        grid_import_max_kw=20000,
        battery=Battery(4000, 1000),
        demand_charge_cny_per_kw=1.5,
        jobs=jobs,
    )


def test_96_step_plan_resolved_in_a_loop() -> None:
    p = Problem([day_site(96, 0.25, n_jobs=10)])
    solve(p)  # warm imports
    costs = []
    for k in range(20):
        p.sites[0].price_cny_per_kwh = p.sites[0].price_cny_per_kwh * (1 + 0.001 * k)
        r = solve(p)
        assert r.status == "optimal"
        costs.append(r.objective)
    # prices only rise from one re-solve to the next, so the optimal cost never falls
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(costs))


def test_8760_step_year_lp() -> None:
    p = Problem([day_site(8760, 1.0, n_jobs=0)])
    r = solve(p)
    assert r.status == "optimal" and len(r.plan) == 8760
    assert r.model_size["integers"] == 0  # the LP stays an LP


@pytest.mark.slow
def test_200_job_milp_day_ahead() -> None:
    p = Problem(
        [day_site(96, 0.25, n_jobs=200, integer=True)],
        options=Options(milp=True, job_integrality=True),
    )
    r = solve(p)
    assert r.status == "optimal"
    assert r.model_size["integers"] > 1000
    assert r.mip_gap is not None and r.mip_gap <= 5e-3 + 1e-12
    assert int(r.kpis["jobs_on_time"].sum()) == 200


@pytest.mark.slow
def test_milp_time_limit_returns_the_feasible_plan() -> None:
    # 200 integer jobs with a 1e-9 gap cannot be proven optimal in 10 s (the gap is ~0.4 % then),
    # but the rounded MIP start (optimizers.solve.mip_start, ~1.5 s on a loaded 2-core machine)
    # is feasible: the one right status is "time_limit" with a plan.  (With 3 s, under load the
    # start itself did not finish: "no_solution", the other status the old test let through.)
    p = Problem(
        [day_site(96, 0.25, n_jobs=200, seed=6, integer=True)],
        options=Options(milp=True, job_integrality=True),
    )
    t = time.perf_counter()
    r = solve(p, time_limit=10.0, mip_gap=1e-9)
    wall = time.perf_counter() - t
    assert r.status == "time_limit", (r.status, r.explanation)
    assert r.ok and r.mip_gap is not None and r.mip_gap > 1e-9
    assert len(r.plan) == 96 and int(r.kpis["jobs_on_time"].sum()) == 200
    assert wall < 45.0
