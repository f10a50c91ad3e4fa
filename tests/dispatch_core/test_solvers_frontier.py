"""HiGHS (passModel) and CBC (PuLP) see the same model; frontier; rolling horizon."""

from __future__ import annotations

import numpy as np
import pulp
import pytest
from dispatch_core_helpers import check_plan, site

from optimizers import Battery, Job, Options, Problem, frontier, solve
from optimizers.model import build_model


def two_site_day(n: int = 24, **options: object) -> Problem:
    rng = np.random.default_rng(7)
    h = np.arange(n) % 24
    sun = np.clip(np.sin((h - 6) / 12 * np.pi), 0, None)
    price = np.where((h >= 8) & (h < 22), 1.05, 0.35) + 0.01 * rng.random(n)
    carbon = 0.6 - 0.25 * sun
    east = site(
        n,
        site_id="YC-DC-01",
        it=800 + 50 * rng.random(n),
        pue=1.2 + 0.1 * sun,
        pv=600 * sun,
        price=price,
        carbon=carbon,
        battery=Battery(1000, 250),
        demand_charge_cny_per_kw=2.0,
        green_share_target=0.12,
        jobs=[Job("etl", 0, 8, 1500, 400), Job("ft", 6, 22, 3000, 500)],
    )
    west = site(
        n,
        site_id="NX-ZW01",
        it=300,
        pue=1.15,
        wind=400 * rng.random(n),
        price=price * 0.8,
        carbon=carbon + 0.1,
        grid_export_max_kw=200,
        export_price_cny_per_kwh=0.2,
    )
    shared = [Job("train", 0, n, 6000, 800)]
    return Problem([east, west], shared_jobs=shared, options=Options(**options))


def test_highs_and_cbc_agree_on_a_two_site_day() -> None:
    p = two_site_day(carbon_price_cny_per_t=90.0)
    a = solve(p, solver="highs")
    b = solve(p, solver="cbc")
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective, rel=1e-6)
    np.testing.assert_allclose(
        a.kpis["tco2"].sum() * 90 + a.kpis["cost_cny"].sum() - a.kpis["carbon_cost_cny"].sum(),
        a.objective,
        rtol=1e-9,
    )
    for r in (a, b):
        check_plan(p, r.plan, r.jobs)
        assert r.kpis["cost_cny"].sum() == pytest.approx(r.objective, rel=1e-7)
        assert (r.kpis["jobs_on_time"] == r.kpis["jobs_total"]).all()
    # marginal prices agree wherever the dual is unique enough to compare
    assert np.isfinite(a.plan["marginal_price_cny_per_kwh"]).all()


def test_pulp_model_is_the_same_model() -> None:
    p = two_site_day()
    m = build_model(p)
    prob, lpvars, cons = m.to_pulp()
    assert len(lpvars) == m.n_cols
    assert len(prob.constraints) == len(cons) >= m.n_rows
    r = solve(p)
    assert r.status == "optimal"
    # evaluate the PuLP objective at the HiGHS optimum
    x = _highs_x(m)
    for v, val in zip(lpvars, x, strict=True):
        v.varValue = float(val)
    assert pulp.value(prob.objective) == pytest.approx(r.objective, rel=1e-9)
    worst = max(
        abs(c.value()) if c.sense == 0 else max(0.0, -c.value() * c.sense)
        for c in prob.constraints.values()
    )
    assert worst < 1e-6


def _highs_x(m: object) -> np.ndarray:
    from optimizers.highs_bridge import solve_highs

    s = solve_highs(m, m.objective_vector())  # type: ignore[arg-type, attr-defined]
    assert s.x is not None
    return s.x


def test_frontier_is_monotone() -> None:
    p = two_site_day()
    f = frontier(p, carbon_prices=[0, 100, 300, 1000, 5000])
    assert (f["status"] == "optimal").all()
    cost = f["cost_cny"].to_numpy()
    t = f["tco2"].to_numpy()
    assert (np.diff(cost) >= -1e-6 * abs(cost).max()).all()
    assert (np.diff(t) <= 1e-9 * t.max()).all()
    assert t[-1] < t[0] and cost[-1] > cost[0]  # a real trade-off exists here


def test_emission_cap_frontier() -> None:
    p = two_site_day()
    base = solve(p)
    e0 = float(base.kpis["tco2"].sum())
    f = frontier(p, emission_caps=[e0, 0.97 * e0, 0.94 * e0])
    ok = f[f["status"] == "optimal"]
    assert len(ok) == 3
    assert (ok["tco2"].to_numpy() <= ok["emission_cap_t"].to_numpy() + 1e-6).all()
    assert (np.diff(ok["cost_cny"].to_numpy()) >= -1e-6).all()


def test_rolling_horizon_is_feasible_and_not_better_than_full() -> None:
    n = 48
    bat = Battery(300, 100)
    jobs = [Job("a", 2, 20, 600, 80), Job("b", 10, 40, 900, 100), Job("c", 30, 48, 200, 50)]
    h = np.arange(n) % 24
    s = site(
        n,
        it=200,
        pv=250 * np.clip(np.sin((h - 6) / 12 * np.pi), 0, None),
        price=np.where((h >= 8) & (h < 22), 1.0, 0.3),
        battery=bat,
        jobs=jobs,
        demand_charge_cny_per_kw=1.0,
    )
    full = solve(Problem([s]))
    rolled = solve(Problem([s], options=Options(rolling_window_steps=12)))
    assert rolled.status == "optimal", rolled.explanation
    assert len(rolled.plan) == n
    check_plan(Problem([s]), rolled.plan, rolled.jobs)
    assert rolled.objective >= full.objective - 1e-6
    assert rolled.objective == pytest.approx(rolled.kpis["cost_cny"].sum())
    assert (rolled.kpis["jobs_on_time"] == 3).all()


def test_progress_is_reported_and_milp_rolls() -> None:
    seen: list[tuple[str, float]] = []
    n = 24
    jobs = [Job("a", 0, 10, 40, 10, preemptible=False), Job("b", 8, 24, 60, 10, min_run_steps=3)]
    s = site(n, it=50, price=np.tile([0.3, 1.0], n // 2), battery=Battery(100, 50), jobs=jobs)
    p = Problem([s], options=Options(milp=True, rolling_window_steps=8))
    r = solve(p, progress=lambda stage, frac: seen.append((stage, frac)))
    assert r.status == "optimal", r.explanation
    assert seen[0][1] == 0.0 and seen[-1] == ("done", 1.0)
    assert [f for _, f in seen] == sorted(f for _, f in seen)
    check_plan(p, r.plan, r.jobs)
    a_steps = sorted(r.jobs.loc[r.jobs["job_id"] == "a", "step"])
    assert a_steps == list(range(a_steps[0], a_steps[-1] + 1))


def test_rolling_window_failure_is_explained() -> None:
    s = site(12, it=[10] * 8 + [500] * 4, grid_import_max_kw=100)
    r = solve(Problem([s], options=Options(rolling_window_steps=4)))
    assert r.status == "infeasible"
    assert r.explanation is not None and "rolling window steps 4–11" in r.explanation
    assert "balance" in r.explanation and "steps 8–11" in r.explanation


def test_cbc_copes_with_ids_that_sanitise_alike() -> None:
    jobs = [Job("a-b", 0, 2, 5, 5), Job("a_b", 0, 2, 5, 5), Job("作业", 0, 2, 5, 5)]
    s = site(2, it=0, price=[1.0, 0.5], jobs=jobs)
    a = solve(Problem([s]), solver="cbc")
    b = solve(Problem([s]), solver="highs")
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective) == pytest.approx(7.5)


def test_emission_cap_grid_spans_cheapest_to_cleanest() -> None:
    from optimizers.frontier import emission_cap_grid

    p = two_site_day()
    caps = emission_cap_grid(p, n=4)
    assert len(caps) == 4 and caps[0] > caps[-1]
    f = frontier(p, emission_caps=caps)
    assert (f["status"] == "optimal").all()
    assert f["tco2"].iloc[-1] < f["tco2"].iloc[0]
