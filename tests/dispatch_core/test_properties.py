"""Property tests on random small instances (hypothesis)."""

from __future__ import annotations

import numpy as np
from dispatch_core_helpers import check_plan, site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import Battery, Job, Options, Problem, solve

FAMILIES = ("green_share", "job_energy", "job_max_kw", "balance", "contract", "emission_cap")


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(3, 8))
    n_sites = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    sites = []
    for k in range(n_sites):
        bat = None
        if draw(st.booleans()):
            lo = draw(st.floats(0.0, 0.3))
            hi = draw(st.floats(0.6, 1.0))
            bat = Battery(
                energy_kwh=draw(st.floats(10, 400)),
                power_kw=draw(st.floats(5, 200)),
                eta_charge=draw(st.floats(0.8, 1.0)),
                eta_discharge=draw(st.floats(0.8, 1.0)),
                soc_init=draw(st.floats(lo, hi)),
                soc_min=lo,
                soc_max=hi,
            )
        jobs = []
        for j in range(draw(st.integers(0, 3))):
            r = draw(st.integers(0, n - 1))
            d = draw(st.integers(r + 1, n))
            mx = draw(st.floats(1, 50))
            frac = draw(st.floats(0.0, 1.2))  # > 1 makes some instances infeasible
            jobs.append(Job(f"s{k}j{j}", r, d, frac * mx * (d - r), mx))
        sites.append(
            site(
                n,
                site_id=f"S{k}",
                it=rng.uniform(0, 200, n),
                pue=rng.uniform(1.05, 1.6, n),
                pv=rng.uniform(0, 250, n) * draw(st.sampled_from([0.0, 1.0])),
                wind=rng.uniform(0, 100, n) * draw(st.sampled_from([0.0, 1.0])),
                price=rng.uniform(-0.2, 1.5, n),
                carbon=rng.uniform(0.1, 0.9, n),
                grid_import_max_kw=draw(st.sampled_from([1e4, 300.0])),
                grid_export_max_kw=draw(st.sampled_from([0.0, 50.0])),
                export_price_cny_per_kwh=rng.uniform(-0.3, 0.0, n),
                demand_charge_cny_per_kw=draw(st.sampled_from([0.0, 3.0])),
                battery=bat,
                green_share_target=draw(st.sampled_from([None, 0.2, 0.6])),
                jobs=jobs,
            )
        )
    shared = []
    if n_sites > 1 and draw(st.booleans()):
        shared.append(Job("pool", 0, n, draw(st.floats(0, 100)), 30.0))
    options = Options(
        milp=draw(st.booleans()), carbon_price_cny_per_t=draw(st.sampled_from([0.0, 200.0]))
    )
    return Problem(sites, shared_jobs=shared, options=options)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_random_instances_are_physical_or_explained(p: Problem) -> None:
    r = solve(p, mip_gap=1e-9)
    if r.status == "infeasible":
        assert r.explanation and any(f in r.explanation for f in FAMILIES)
        return
    assert r.status == "optimal"
    check_plan(p, r.plan, r.jobs)
    assert abs(r.kpis["cost_cny"].sum() - r.objective) <= 1e-6 * max(1.0, abs(r.objective))
    assert (r.kpis["jobs_on_time"] == r.kpis["jobs_total"]).all()
    for s, (_, k) in zip(p.sites, r.kpis.iterrows(), strict=True):
        if s.green_share_target is not None:
            assert k["green_share"] >= s.green_share_target - 1e-6
        eff = s.price_cny_per_kwh + p.options.carbon_price_cny_per_t / 1000 * s.carbon_kg_per_kwh
        if p.options.milp and (eff < 0).any() and s.battery:
            both = np.minimum(
                r.plan.loc[r.plan["site_id"] == s.site_id, "battery_charge_kw"],
                r.plan.loc[r.plan["site_id"] == s.site_id, "battery_discharge_kw"],
            )
            assert (both <= 1e-6).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_slack_elimination_gives_the_same_lp(p: Problem) -> None:
    """``solve_highs(reduce=True)`` (slack columns substituted out) and ``reduce=False`` (the LP
    as built) agree: same status, same objective, and the reduced solution mapped back is
    feasible in the original model with the same row activities and duals' objective."""
    from optimizers.highs_bridge import solve_highs
    from optimizers.model import build_model

    m = build_model(Problem(p.sites, p.shared_jobs, Options(carbon_price_cny_per_t=200.0)))
    cost = m.objective_vector()
    red = solve_highs(m, cost, reduce=True)
    full = solve_highs(m, cost, reduce=False)
    assert red.status == full.status
    if full.status != "optimal":
        return
    tol = 1e-7 * max(1.0, abs(full.objective))
    assert abs(red.objective - full.objective) <= tol
    a = m.arrays()
    x = red.x
    assert x is not None and len(x) == m.n_cols
    assert abs(float(cost @ x) - full.objective) <= tol
    assert (x >= a["lb"] - 1e-6).all() and (x <= a["ub"] + 1e-6).all()
    act = np.zeros(m.n_rows)
    np.add.at(act, a["rows"], a["vals"] * x[a["cols"]])
    assert np.allclose(act, red.row_act, atol=1e-6)
    assert (act >= a["row_lo"] - 1e-6).all() and (act <= a["row_hi"] + 1e-6).all()
    # strong duality on the original LP with the restored duals
    assert red.row_dual is not None and red.col_dual is not None
    dual_obj = 0.0
    for y, lo, hi in ((red.row_dual, a["row_lo"], a["row_hi"]), (red.col_dual, a["lb"], a["ub"])):
        bound = np.where(y > 0, lo, np.where(y < 0, hi, 0.0))
        dual_obj += float(np.sum(np.where(np.abs(y) > 1e-12, y * bound, 0.0)))
    assert abs(dual_obj - full.objective) <= 1e-6 * max(1.0, abs(full.objective))
