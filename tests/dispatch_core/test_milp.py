"""MILP features: no simultaneous charge/discharge, non-preemptible jobs, minimum run time."""

from __future__ import annotations

import numpy as np
import pytest
from dispatch_core_helpers import check_plan, site

from optimizers import Battery, Job, Options, Problem, solve
from optimizers.model import build_model


def negative_price_problem(milp: bool) -> Problem:
    bat = Battery(100, 50, eta_charge=0.9, eta_discharge=0.9, soc_init=0.5, soc_min=0, soc_max=1)
    s = site(4, it=10, price=[-0.5, -0.5, 1.0, 1.0], battery=bat)
    return Problem([s], options=Options(milp=milp))


def test_lp_stays_lp_and_wastes_energy_at_negative_prices() -> None:
    p = negative_price_problem(milp=False)
    assert not build_model(p).is_mip
    r = solve(p)
    both = np.minimum(r.plan["battery_charge_kw"], r.plan["battery_discharge_kw"])
    assert (both > 1e-3).any()  # the LP cycles the battery to burn paid-for energy


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_milp_forbids_simultaneous_charge_and_discharge(solver: str) -> None:
    p = negative_price_problem(milp=True)
    m = build_model(p)
    assert m.is_mip
    # "auto": binaries at this site because some prices are negative (4 steps)
    assert int(m.arrays()["integer"].sum()) == 4
    positive = negative_price_problem(milp=True)
    positive.sites[0].price_cny_per_kwh = np.abs(positive.sites[0].price_cny_per_kwh)
    assert not build_model(positive).is_mip
    r = solve(p, solver=solver, mip_gap=1e-9)
    assert r.status == "optimal"
    both = np.minimum(r.plan["battery_charge_kw"], r.plan["battery_discharge_kw"])
    assert (both <= 1e-6).all()
    check_plan(p, r.plan, r.jobs)
    # duals come from the LP with integers fixed
    assert r.plan["marginal_price_cny_per_kwh"].notna().all()


def test_milp_highs_and_cbc_agree() -> None:
    p = negative_price_problem(milp=True)
    a = solve(p, solver="highs", mip_gap=1e-9)
    b = solve(p, solver="cbc", mip_gap=1e-9)
    assert a.objective == pytest.approx(b.objective, rel=1e-6, abs=1e-6)


def alternating(job: Job, milp: bool) -> Problem:
    s = site(6, it=0, price=[0.1, 1.0, 0.1, 1.0, 0.1, 1.0], jobs=[job])
    return Problem([s], options=Options(milp=milp, job_integrality=milp))


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_non_preemptible_job_runs_in_one_block(solver: str) -> None:
    job = Job("batch", 0, 6, energy_kwh=30, max_kw=10, min_kw_when_running=5, preemptible=False)
    lp = solve(alternating(job, milp=False))
    assert lp.objective == pytest.approx(3.0)  # LP relaxation: the three cheap steps
    assert any("relaxed" in w for w in lp.warnings)
    p = alternating(job, milp=True)
    r = solve(p, solver=solver, mip_gap=1e-9)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(12.0, abs=1e-6)
    steps = sorted(r.jobs["step"])
    assert steps == list(range(steps[0], steps[-1] + 1))  # contiguous
    assert (r.jobs["kw"] >= 5 - 1e-6).all()
    check_plan(p, r.plan, r.jobs)


def test_min_run_time_of_preemptible_job() -> None:
    job = Job("etl", 0, 6, energy_kwh=20, max_kw=10, min_run_steps=2)
    p = alternating(job, milp=True)
    r = solve(p, mip_gap=1e-9)
    assert r.status == "optimal"
    on = np.zeros(6, dtype=bool)
    on[r.jobs["step"].to_numpy()] = True
    runs, k = [], 0
    for v in [*on, False]:
        if v:
            k += 1
        elif k:
            runs.append(k)
            k = 0
    assert runs and min(runs) >= 2
    # a running job draws ≥ 1 % of max_kw: best is one 3-step run 10 + 0.1 + 9.9 kW
    assert r.objective == pytest.approx(10 * 0.1 + 0.1 * 1.0 + 9.9 * 0.1, abs=1e-6)


def test_integer_only_infeasibility_is_explained() -> None:
    # 10 kWh in a 4-step window is fine for the LP, but min 8 kW for ≥ 3 steps needs ≥ 24 kWh
    job = Job("rigid", 0, 4, energy_kwh=10, max_kw=10, min_kw_when_running=8, min_run_steps=3)
    s = site(4, it=0, jobs=[job])
    assert solve(Problem([s])).status == "optimal"
    r = solve(Problem([s], options=Options(milp=True)))
    assert r.status == "infeasible"
    assert r.explanation is not None and "rigid" in r.explanation
    assert "min_run_steps=3" in r.explanation
