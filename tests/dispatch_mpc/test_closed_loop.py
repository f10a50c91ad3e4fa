"""optimizers.closed_loop: day-ahead, MPC and perfect foresight executed on a "real" series
(tiny synthetic case, 3 days): energy balance per step, deadlines accounted, perfect foresight
as the lower bound of every feasible executed schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers import closed_loop as cl
from optimizers.solve import solve

N = 96
H = np.arange(N) / 4.0
PRICE = np.where(H < 8, 0.27, np.where(((H >= 8) & (H < 11)) | ((H >= 17) & (H < 22)), 1.08, 0.65))
CI = 0.62 - 0.08 * np.clip(np.sin((H - 6) / 12 * np.pi), 0, None)


def _day(seed: int, carbon_price: float = 90.0, fc_error: bool = True):
    """(forecast problem, real IT base kW, real PV kW) of one synthetic day."""
    r = np.random.default_rng(seed)
    it = 2000 + 200 * np.sin((H - 10) / 24 * 2 * np.pi) + r.normal(0, 40, N)
    sky = r.uniform(0.3, 1.0)
    pv = np.clip(1500 * np.sin((H - 6) / 12 * np.pi), 0, None) * sky * r.uniform(0.6, 1.0, N)
    if fc_error:
        it_fc = it * (1 + 0.05 * np.sin(H / 3 + seed)) + r.normal(0, 60, N)
        pv_fc = np.clip(1500 * np.sin((H - 6) / 12 * np.pi), 0, None) * min(1.0, sky * 1.3)
    else:
        it_fc, pv_fc = it, pv
    problem = cl.day_problem(
        "S1",
        f"2026-07-{10 + seed:02d}",
        it_base_kw=np.clip(it_fc, 0, None),
        pv_kw=pv_fc,
        wind_kw=np.full(N, 200.0),
        pue=np.full(N, 1.25),
        price_cny_per_kwh=PRICE,
        carbon_kg_per_kwh=CI,
        battery_kwh=2000,
        battery_power_kw=1000,
        jobs=cl.day_jobs(2500),
        carbon_price_cny_per_t=carbon_price,
    )
    return problem, it, pv


@pytest.fixture(scope="module")
def three_days():
    out = []
    for seed in (1, 2, 3):
        fc, it, pv = _day(seed)
        res = {s: cl.simulate_day(fc, it, pv, s, peak_margin_kw=150.0) for s in cl.STRATEGIES}
        out.append((fc, it, pv, res))
    return out


def test_energy_balance_and_battery_each_executed_step(three_days):
    for fc, it, pv, res in three_days:
        b = fc.sites[0].battery
        for strat, o in res.items():
            # pv/wind used + import + discharge − charge = facility, every step
            assert np.abs(o.balance_residual_kw).max() < 1e-6, strat
            bal = o.renewable_used_kw + o.import_kw + o.discharge_kw - o.charge_kw
            assert np.allclose(bal, o.facility_kw, atol=1e-6), strat
            # facility is PUE × (real IT base + executed jobs)
            jobs = sum(o.job_kw.values())
            assert np.allclose(o.facility_kw, 1.25 * (it + jobs), atol=1e-9), strat
            assert (o.import_kw >= -1e-9).all() and (o.curtailed_kw >= -1e-9).all()
            assert np.allclose(o.renewable_used_kw + o.curtailed_kw, pv + 200.0, atol=1e-9)
            # SoC follows the executed charge / discharge
            prev = np.concatenate([[b.soc_init_kwh], o.soc_kwh[:-1]])
            step = (b.eta_charge * o.charge_kw - o.discharge_kw / b.eta_discharge) * 0.25
            assert np.allclose(o.soc_kwh, prev + step, atol=1e-6), strat
            assert o.feasible, (strat, o.missed, o.violations)
        for strat in ("mpc", "mpc_updated", "mpc_margin"):
            assert res[strat].replans == N // 4 and res[strat].replan_failures == 0


def test_perfect_foresight_is_the_lower_bound_of_feasible_schedules(three_days):
    for fc, it, pv, res in three_days:
        pf = res["perfect"]
        # the executed perfect-foresight day is scored exactly as the LP counts it
        lp = solve(cl.with_series(fc, it, pv))
        assert math.isclose(pf.objective_cny, lp.objective, rel_tol=1e-7)
        for strat in ("day_ahead", "mpc", "mpc_updated", "mpc_margin"):
            o = res[strat]
            assert o.feasible
            assert pf.objective_cny <= o.objective_cny * (1 + 1e-9), strat
    s = cl.summarise([d[3] for d in three_days])
    assert s["perfect"]["objective_gap_to_perfect_pct"] == 0.0
    assert s["day_ahead"]["objective_gap_to_perfect_pct"] >= -1e-7
    assert s["mpc"]["objective_gap_to_perfect_pct"] >= -1e-7
    assert s["mpc"]["deadlines_missed"] == 0 and s["mpc"]["jobs"] == 9
    # the margin changes the plans, not the scoring: a different executed day than mpc_updated
    assert any(
        not np.allclose(d[3]["mpc_margin"].import_kw, d[3]["mpc_updated"].import_kw)
        for d in three_days
    )


def test_money_cost_bound_without_carbon_price():
    """With no carbon price the objective is the money paid: the bound holds on cost too."""
    fc, it, pv = _day(4, carbon_price=0.0)
    res = {s: cl.simulate_day(fc, it, pv, s) for s in cl.STRATEGIES}
    for strat in ("day_ahead", "mpc", "mpc_updated", "mpc_margin"):
        assert math.isclose(res[strat].cost_cny, res[strat].objective_cny)
        assert res["perfect"].cost_cny <= res[strat].cost_cny * (1 + 1e-9)


def test_perfect_forecast_makes_all_strategies_equal():
    """Forecast = real: re-planning an optimal plan from its own executed state keeps it
    optimal, so day-ahead, MPC and perfect foresight cost the same."""
    fc, it, pv = _day(5, fc_error=False)
    res = {s: cl.simulate_day(fc, it, pv, s) for s in cl.STRATEGIES}
    ref = res["perfect"].objective_cny
    for strat in ("day_ahead", "mpc", "mpc_updated", "mpc_margin"):
        assert math.isclose(res[strat].objective_cny, ref, rel_tol=1e-6), strat


def test_a_job_the_plan_misses_is_counted():
    fc, it, pv = _day(1)
    plan = solve(fc)
    # the plan loses "render" entirely and half of "train"
    jobs = plan.jobs[plan.jobs["job_id"] != "render"].copy()
    jobs.loc[jobs["job_id"] == "train", "kw"] *= 0.5
    plan.jobs = jobs
    o = cl.simulate_day(fc, it, pv, "day_ahead", plan=plan)
    assert sorted(o.missed) == ["render", "train"]
    assert o.delivered_kwh["render"] == 0.0
    train = next(j for j in fc.sites[0].jobs if j.job_id == "train")
    assert math.isclose(o.delivered_kwh["train"], train.energy_kwh / 2, rel_tol=1e-6)
    assert not o.feasible
    full = cl.simulate_day(fc, it, pv, "day_ahead")
    s = cl.summarise([{"day_ahead": o, "perfect": full}, {"day_ahead": full, "perfect": full}])
    assert s["day_ahead"]["deadlines_missed"] == 2 and s["perfect"]["deadlines_missed"] == 0
    assert s["day_ahead"]["infeasible_days"] == 1


def test_job_energy_outside_its_window_is_a_violation():
    fc, it, pv = _day(2)
    plan = solve(fc)
    jobs = plan.jobs.copy()
    jobs.loc[jobs["job_id"] == "render", "step"] = 10  # render's window is 18:00–23:00
    plan.jobs = jobs.groupby(["job_id", "site_id", "step"], as_index=False)["kw"].sum()
    o = cl.simulate_day(fc, it, pv, "day_ahead", plan=plan)
    assert "render" in o.missed
    assert any("render ran outside its window" in v for v in o.violations)


def test_bad_input_is_named():
    fc, it, pv = _day(1)
    with pytest.raises(ValueError, match="it_base_kw has shape"):
        cl.simulate_day(fc, it[:10], pv, "mpc")
    with pytest.raises(ValueError, match="pv_kw has NaN"):
        cl.simulate_day(fc, it, np.full(N, np.nan), "mpc")
    with pytest.raises(ValueError, match="unknown strategy"):
        cl.simulate_day(fc, it, pv, "oracle")
    with pytest.raises(ValueError, match="peak_margin_kw must be"):
        cl.simulate_day(fc, it, pv, "mpc_margin", peak_margin_kw=-1.0)
    with pytest.raises(ValueError, match="replan_every"):
        cl.simulate_day(fc, it, pv, "mpc", replan_every=0)
    with pytest.raises(ValueError, match="pue must be 96"):
        cl.day_problem(
            "S1",
            "2026-07-10",
            it_base_kw=it,
            pv_kw=pv,
            wind_kw=np.zeros(N),
            pue=np.ones(5),
            price_cny_per_kwh=PRICE,
            carbon_kg_per_kwh=CI,
            battery_kwh=0,
            battery_power_kw=0,
            jobs=[],
        )


def test_forecast_update_uses_the_last_measured_error():
    fc = np.full(8, 100.0)
    real = np.full(8, 130.0)
    up = cl.updated_forecast(fc, real, 3, "load", phi=0.5)
    assert np.array_equal(up[:3], fc[:3])  # the past is not touched
    assert np.allclose(up[3:], 100 + 30 * 0.5 ** np.arange(1, 6))
    pv = cl.updated_forecast(fc, np.full(8, 50.0), 2, "pv", phi=1.0)
    assert np.allclose(pv[2:], 50.0)  # ratio 0.5 kept (no fading with phi = 1)
    night = cl.updated_forecast(np.zeros(8), np.full(8, 5.0), 2, "pv")
    assert np.array_equal(night, np.zeros(8))  # no ratio from a zero forecast
    with pytest.raises(ValueError, match="phi must be in"):
        cl.updated_forecast(fc, real, 2, "load", phi=1.5)
