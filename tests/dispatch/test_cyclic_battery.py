"""A cyclic battery whose starting charge the optimiser chooses (``soc_init: free``, issue 9
item 14): the same objective as PyPSA's cyclic storage to 1e-7, the start in the KPIs."""

from __future__ import annotations

import copy
import logging

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import small_raw

from benchmarks.pypsa_compare import (
    FULL_RANGE_BATTERY,
    ours_problem,
    pypsa_network,
    solve_pypsa,
    synthetic_series,
)
from optimizers import Battery, Problem, Site, solve
from optimizers.scenario import ScenarioError, build_problem, parse_scenario


def _quiet() -> None:
    for name in ("linopy", "pypsa"):
        logging.getLogger(name).setLevel(logging.ERROR)


@pytest.mark.slow
@pytest.mark.parametrize("storage_unit", [False, True], ids=["store_e_cyclic", "storage_unit"])
def test_cyclic_same_objective_as_pypsa(storage_unit):
    _quiet()
    s = synthetic_series(96)  # quarter-hour steps
    battery = FULL_RANGE_BATTERY if storage_unit else None
    ours = solve(ours_problem(s, battery=battery, cyclic=True))
    assert ours.status == "optimal"
    n = pypsa_network(s, battery=battery, cyclic=True, storage_unit=storage_unit)
    obj, _b, _s, status = solve_pypsa(n, end_ge_start=False)
    assert status == "ok"
    assert abs(ours.objective - obj) / max(abs(obj), 1.0) <= 1e-7, (ours.objective, obj)
    # ours: the start chosen is reported and the end equals it
    start = float(ours.kpis.loc[0, "soc_start_kwh"])
    assert start == pytest.approx(float(ours.plan["soc_kwh"].iloc[-1]), abs=1e-6)
    b = battery or ours_problem(s).sites[0].battery.__dict__
    assert b["soc_min"] * b["energy_kwh"] - 1e-6 <= start <= b["soc_max"] * b["energy_kwh"] + 1e-6
    # and the cyclic problem differs from the fixed-start one (the comparison can fail)
    fixed = solve(ours_problem(s, battery=battery))
    assert abs(fixed.objective - ours.objective) > 1e-3


def _two_step_site(battery: Battery) -> Site:
    idx = pd.date_range("2026-07-15", periods=2, freq="1h", tz="Asia/Shanghai")
    return Site(
        site_id="A",
        uscc=None,
        index=idx,
        step_hours=1.0,
        it_base_kw=np.array([100.0, 100.0]),
        pue=np.ones(2),
        pv_kw=np.zeros(2),
        wind_kw=np.zeros(2),
        price_cny_per_kwh=np.array([1.0, 0.2]),  # dear first, cheap second
        carbon_kg_per_kwh=np.zeros(2),
    )


def test_free_start_is_chosen_by_hand():
    # Lossless 100 kWh / 100 kW battery, SOC 10–90 %: start full (90 kWh), discharge 80 kWh in the
    # dear hour, recharge 80 kWh in the cheap one, end = start. Cost = 20·1.0 + 180·0.2 = 56 CNY.
    bat = Battery(
        100, 100, eta_charge=1, eta_discharge=1, soc_init="free", soc_min=0.1, soc_max=0.9
    )
    site = _two_step_site(bat)
    site.battery = bat
    r = solve(Problem(sites=[site]))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(56.0, abs=1e-6)
    assert r.kpis.loc[0, "soc_start_kwh"] == pytest.approx(90.0, abs=1e-6)
    np.testing.assert_allclose(r.plan["soc_kwh"], [10.0, 90.0], atol=1e-6)
    # a fixed start at 50 % can only shift 40 kWh: 60·1.0 + 140·0.2 = 88 CNY (end ≥ start)
    site.battery = Battery(
        100, 100, eta_charge=1, eta_discharge=1, soc_init=0.5, soc_min=0.1, soc_max=0.9
    )
    fixed = solve(Problem(sites=[site]))
    assert fixed.objective == pytest.approx(88.0, abs=1e-6)
    assert fixed.kpis.loc[0, "soc_start_kwh"] == pytest.approx(50.0)


def test_scenario_soc_init_free(tmp_path):
    raw = copy.deepcopy(small_raw())
    raw["sites"][0]["battery"]["soc_init"] = "free"
    p = build_problem(parse_scenario(yaml.safe_dump(raw)), home=tmp_path)
    assert p.sites[0].battery.cyclic
    r = solve(p)
    assert r.status == "optimal"
    start = float(r.kpis.loc[0, "soc_start_kwh"])
    assert start == pytest.approx(float(r.plan["soc_kwh"].iloc[-1]), abs=1e-6)
    assert 100 - 1e-6 <= start <= 950 + 1e-6  # soc_min 0.1, soc_max 0.95 of 1000 kWh
    raw["sites"][0]["battery"]["soc_init"] = "freee"
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(yaml.safe_dump(raw))
    assert ei.value.key == "sites[0].battery.soc_init" and "'free'" in ei.value.problem


def test_rolling_free_start_ends_at_or_above_it(tmp_path):
    raw = copy.deepcopy(small_raw())
    raw["sites"][0]["battery"]["soc_init"] = "free"
    raw["options"] = {"rolling_window": "1d"}
    p = build_problem(parse_scenario(yaml.safe_dump(raw)), horizon="3d", home=tmp_path)
    assert p.options.rolling_window_steps == 24
    r = solve(p)
    assert r.ok, r.explanation
    start = float(r.kpis.loc[0, "soc_start_kwh"])
    assert np.isfinite(start)
    assert float(r.plan["soc_kwh"].iloc[-1]) >= start - 1e-6
