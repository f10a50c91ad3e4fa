"""Tiny cases with objectives worked out by hand; every case runs on HiGHS and on CBC."""

from __future__ import annotations

import numpy as np
import pytest
from dispatch_core_helpers import check_plan, site

from optimizers import Battery, Job, Options, Problem, solve

SOLVERS = ["highs", "cbc"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_flat_load_energy_and_carbon_cost(solver: str) -> None:
    # 2 h of 100 kW IT at PUE 1.2 → 120 kW; 0.5 and 1.0 CNY/kWh; 0.5 kg/kWh at 100 CNY/t
    s = site(2, it=100, pue=1.2, price=[0.5, 1.0], carbon=0.5)
    p = Problem([s], options=Options(carbon_price_cny_per_t=100.0))
    r = solve(p, solver=solver)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(60 + 120 + 12, abs=1e-6)
    k = r.kpis.iloc[0]
    assert k["tco2"] == pytest.approx(0.12)
    assert k["carbon_cost_cny"] == pytest.approx(12.0)
    assert k["cost_cny"] == pytest.approx(r.objective)
    assert k["pue_realised"] == pytest.approx(1.2) and bool(k["pue_target_met"])
    assert k["cue_kg_per_kwh"] == pytest.approx(120 / 200)
    # marginal price = energy price + carbon price × intensity
    np.testing.assert_allclose(r.plan["marginal_price_cny_per_kwh"], [0.55, 1.05], atol=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
def test_battery_arbitrage_with_losses(solver: str) -> None:
    # charge 50 kW at 0.2, discharge 0.81·50 = 40.5 kW at 1.0 (η = 0.9 each way), end SOC ≥ start
    bat = Battery(100, 50, eta_charge=0.9, eta_discharge=0.9, soc_init=0.5, soc_min=0, soc_max=1)
    s = site(2, it=100, price=[0.2, 1.0], battery=bat)
    p = Problem([s])
    r = solve(p, solver=solver)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(89.5, abs=1e-6)
    check_plan(p, r.plan, r.jobs)
    np.testing.assert_allclose(r.plan["battery_charge_kw"], [50, 0], atol=1e-6)
    np.testing.assert_allclose(r.plan["battery_discharge_kw"], [0, 40.5], atol=1e-6)
    np.testing.assert_allclose(r.plan["marginal_price_cny_per_kwh"], [0.2, 1.0], atol=1e-6)
    assert r.kpis.iloc[0]["battery_cycles"] == pytest.approx(0.405)


@pytest.mark.parametrize("solver", SOLVERS)
def test_demand_charge_flattens_peak(solver: str) -> None:
    bat = Battery(200, 100, eta_charge=1, eta_discharge=1, soc_init=0.5, soc_min=0, soc_max=1)
    s = site(2, it=[100, 300], price=0.5, battery=bat, demand_charge_cny_per_kw=10.0)
    r = solve(Problem([s]), solver=solver)
    assert r.objective == pytest.approx(200 + 10 * 200, abs=1e-6)
    k = r.kpis.iloc[0]
    assert k["peak_kw"] == pytest.approx(200)
    assert k["demand_charge_cny"] == pytest.approx(2000)
    assert "peak" in set(r.binding["family"])


@pytest.mark.parametrize("solver", SOLVERS)
def test_job_runs_in_cheapest_steps_within_max_kw(solver: str) -> None:
    job = Job("etl", release=0, deadline=3, energy_kwh=15, max_kw=10)
    s = site(3, it=0, pue=1.5, price=[1.0, 0.2, 0.5], jobs=[job])
    p = Problem([s])
    r = solve(p, solver=solver)
    assert r.objective == pytest.approx((10 * 0.2 + 5 * 0.5) * 1.5, abs=1e-6)
    assert r.jobs.set_index("step")["kw"].to_dict() == pytest.approx({1: 10.0, 2: 5.0})
    check_plan(p, r.plan, r.jobs)
    assert r.kpis.iloc[0]["jobs_on_time"] == 1


@pytest.mark.parametrize("solver", SOLVERS)
def test_export_and_curtailment(solver: str) -> None:
    s = site(
        2, it=100, pv=[300, 0], price=1.0, grid_export_max_kw=150, export_price_cny_per_kwh=0.4
    )
    r = solve(Problem([s]), solver=solver)
    assert r.objective == pytest.approx(100 - 60, abs=1e-6)
    k = r.kpis.iloc[0]
    assert k["export_revenue_cny"] == pytest.approx(60)
    assert k["curtailment_kwh"] == pytest.approx(50)


@pytest.mark.parametrize("solver", SOLVERS)
def test_backup_generation_covers_import_limit(solver: str) -> None:
    s = site(
        2,
        it=100,
        price=1.0,
        grid_import_max_kw=80,
        backup_gen_kw=50,
        backup_cost_cny_per_kwh=2.0,
        backup_kg_per_kwh=0.8,
    )
    r = solve(Problem([s]), solver=solver)
    assert r.objective == pytest.approx(2 * (80 + 40), abs=1e-6)
    np.testing.assert_allclose(r.plan["backup_kw"], [20, 20], atol=1e-6)
    assert r.kpis.iloc[0]["tco2"] == pytest.approx((160 * 0.5 + 40 * 0.8) / 1000)
    assert "grid_import_max" in set(r.binding["family"])


@pytest.mark.parametrize("solver", SOLVERS)
def test_shared_job_runs_at_cheaper_site(solver: str) -> None:
    a = site(2, site_id="EAST", it=10, price=1.0)
    b = site(2, site_id="WEST", it=10, price=0.3)
    job = Job("train", 0, 2, energy_kwh=20, max_kw=10)
    p = Problem([a, b], shared_jobs=[job])
    r = solve(p, solver=solver)
    assert r.objective == pytest.approx(20 + 6 + 6, abs=1e-6)
    assert set(r.jobs["site_id"]) == {"WEST"}
    check_plan(p, r.plan, r.jobs)
    k = r.kpis.set_index("site_id")
    assert k.loc["WEST", "jobs_total"] == 1 and k.loc["EAST", "jobs_total"] == 0


@pytest.mark.parametrize("solver", SOLVERS)
def test_green_share_target_limits_export(solver: str) -> None:
    # PV 200 kW at step 0, load 100 kW; exporting earns 0.8, importing later costs 0.5.
    # Target 75 % ⇒ at least 50 kWh stored instead of exported: objective −30 + 15 = −15.
    bat = Battery(100, 100, eta_charge=1, eta_discharge=1, soc_init=0, soc_min=0, soc_max=1)
    kw = {
        "it": 100,
        "pv": [200, 0],
        "price": [0.9, 0.5],  # import never cheaper than export: no buy-to-sell arbitrage
        "battery": bat,
        "grid_export_max_kw": 500,
        "export_price_cny_per_kwh": np.array([0.8, 0.0]),
    }
    free = solve(Problem([site(2, **kw)]), solver=solver)
    assert free.objective == pytest.approx(-30, abs=1e-6)
    assert free.kpis.iloc[0]["green_share"] == pytest.approx(0.5)
    r = solve(Problem([site(2, green_share_target=0.75, **kw)]), solver=solver)
    assert r.objective == pytest.approx(-15, abs=1e-6)
    assert r.kpis.iloc[0]["green_share"] == pytest.approx(0.75)
    g = r.binding[r.binding["family"] == "green_share"]
    assert len(g) == 1 and abs(g["dual"].iloc[0]) == pytest.approx(0.3, abs=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
def test_emission_cap_trades_cost_for_carbon(solver: str) -> None:
    # dirty-cheap step 0, clean-dear step 1: each kWh shifted to step 0 saves 0.5 CNY, adds 0.6 kg
    bat = Battery(100, 100, eta_charge=1, eta_discharge=1, soc_init=0.5, soc_min=0, soc_max=1)
    kw = {"it": 100, "price": [0.5, 1.0], "carbon": [0.8, 0.2], "battery": bat}
    free = solve(Problem([site(2, **kw)]), solver=solver)
    assert free.objective == pytest.approx(125, abs=1e-6)
    assert free.kpis.iloc[0]["tco2"] == pytest.approx(0.130)
    capped = solve(Problem([site(2, **kw)], options=Options(emission_cap_t=0.115)), solver=solver)
    assert capped.objective == pytest.approx(137.5, abs=1e-6)
    assert capped.kpis.iloc[0]["tco2"] == pytest.approx(0.115)
    assert "emission_cap" in set(capped.binding["family"])


def test_export_is_capped_by_onsite_renewables_no_grid_resale():
    """Export price above import price: the plan must not buy grid power to resell it.

    2 steps, IT 100 kW, PV 150 kW in step 0 only, import 0.3 CNY/kWh, export 0.5 CNY/kWh,
    export limit 1000 kW. Export is capped by on-site generation (export_surplus row), so the best
    plan sells the 150 kW of PV (+75 CNY) and buys the 2 × 100 kW load (−60 CNY): −15 CNY — what
    a 全额上网 (full feed-in) contract pays. Without the cap the LP would export 1000 kW of grid
    power each step and the objective would be −400 CNY.
    """
    s = site(
        2,
        it=100.0,
        pv=[150.0, 0.0],
        price=0.3,
        carbon=0.0,
        grid_export_max_kw=1000.0,
        export_price_cny_per_kwh=0.5,
    )
    for solver in ("highs", "cbc"):
        res = solve(Problem(sites=[s]), solver=solver)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(-15.0, abs=1e-6)
        p = res.plan
        assert (p["grid_export_kw"] <= p["pv_used_kw"] + p["wind_used_kw"] + 1e-6).all()
        assert p["grid_export_kw"].tolist() == pytest.approx([150.0, 0.0], abs=1e-6)
