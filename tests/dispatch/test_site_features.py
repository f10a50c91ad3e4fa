"""What a real site has (issue 13 §5): battery degradation (a cost per kWh of throughput or a cycle
limit per day) and demand-response / 有序用电 events as data (a window, a kW cap or a reduction,
a compensation price). Real HiGHS solves of the small one-site scenario."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import small_raw

from optimizers import solve
from optimizers.scenario import ScenarioError, build_problem, parse_scenario


def _solve(raw: dict, horizon: str = "1d", milp: bool | None = None, **kw):
    sc = parse_scenario(yaml.safe_dump(raw))
    p = build_problem(sc, "2026-07-15", horizon, milp=milp)
    for k, v in kw.items():
        setattr(p.options, k, v)
    return p, solve(p)


def _raw(**battery) -> dict:
    raw = small_raw()
    raw["sites"][0]["battery"].update(battery)
    return raw


def _local_hour(plan: pd.DataFrame) -> np.ndarray:
    return pd.DatetimeIndex(plan.sort_values("ts")["ts"]).tz_convert("Asia/Shanghai").hour


def test_degradation_cost_prices_throughput_and_can_stop_arbitrage():
    _, free = _solve(_raw())
    assert free.ok and free.kpis.iloc[0]["battery_cycles"] > 0.3
    assert free.kpis.iloc[0]["battery_degradation_cny"] == 0.0
    # the TOU spread (1.08 − 0.27/0.9025 ≈ 0.78 CNY per kWh discharged) pays a 0.10 cost …
    _, cheap = _solve(_raw(degradation_cost_cny_per_kwh=0.10))
    k = cheap.kpis.iloc[0]
    plan = cheap.plan
    discharge_kwh = float(plan["battery_discharge_kw"].sum()) * 1.0
    assert discharge_kwh > 0
    assert k["battery_degradation_cny"] == pytest.approx(0.10 * discharge_kwh, rel=1e-9)
    assert k["cost_cny"] == pytest.approx(cheap.objective, rel=1e-9)
    # … but not a 1.50 cost: the battery then only discharges what its end-SOC floor allows
    _, dear = _solve(_raw(degradation_cost_cny_per_kwh=1.50))
    assert dear.kpis.iloc[0]["battery_cycles"] < 0.05
    assert dear.kpis.iloc[0]["battery_cycles"] < k["battery_cycles"]


@pytest.mark.parametrize("limit", [0.3, 0.1])
def test_cycle_limit_per_day_holds(limit):
    p, r = _solve(_raw(max_cycles_per_day=limit), horizon="3d")
    assert r.ok, r.explanation
    plan = r.plan.sort_values("ts")
    day = pd.DatetimeIndex(plan["ts"]).tz_convert("Asia/Shanghai").normalize()
    per_day = plan.groupby(day)["battery_discharge_kw"].sum().to_numpy() * p.step_hours / 1000.0
    assert len(per_day) == 3
    assert (per_day <= limit + 1e-7).all()
    assert per_day.max() == pytest.approx(limit, abs=1e-6)  # it binds: arbitrage wants more


def _dr(**event) -> dict:
    raw = small_raw()
    raw["sites"][0]["demand_response"] = [
        {"event_id": "js-2026-07-15", "start": "17:00", "end": "19:00", **event}
    ]
    return raw


def test_cap_event_is_met_and_its_compensation_reported():
    _, base = _solve(small_raw())
    hours = _local_hour(base.plan)
    before = base.plan.sort_values("ts")["grid_import_kw"].to_numpy()
    assert before[(hours >= 17) & (hours < 19)].max() > 900  # the cap below will bind
    p, r = _solve(_dr(cap_kw=900, compensation_cny_per_kwh=2.0, reason="有序用电 B级"))
    assert r.ok, r.explanation
    imp = r.plan.sort_values("ts")["grid_import_kw"].to_numpy()
    window = (hours >= 17) & (hours < 19)
    assert (imp[window] <= 900 + 1e-6).all()
    site = p.sites[0]
    baseline = (np.asarray(site.pue) * site.it_base_kw)[window]  # fixed facility load
    paid_kwh = float(np.clip(baseline - imp[window], 0, None).sum()) * p.step_hours
    k = r.kpis.iloc[0]
    assert k["dr_events"] == 1
    assert k["dr_reduction_kwh"] == pytest.approx(paid_kwh, rel=1e-9)
    assert k["dr_compensation_cny"] == pytest.approx(2.0 * paid_kwh, rel=1e-9)
    assert k["cost_cny"] == pytest.approx(r.objective, rel=1e-9)
    # the compensation is an incentive: with it, import in the window is never higher
    _, unpaid = _solve(_dr(cap_kw=900))
    unpaid_imp = unpaid.plan.sort_values("ts")["grid_import_kw"].to_numpy()
    assert imp[window].sum() <= unpaid_imp[window].sum() + 1e-6
    assert unpaid.kpis.iloc[0]["dr_compensation_cny"] == 0.0


def test_reduction_event_caps_at_baseline_less_the_reduction():
    _, r = _solve(_dr(reduction_kw=400, baseline_kw=1500, compensation_cny_per_kwh=1.0))
    assert r.ok, r.explanation
    hours = _local_hour(r.plan)
    imp = r.plan.sort_values("ts")["grid_import_kw"].to_numpy()
    window = (hours >= 17) & (hours < 19)
    assert (imp[window] <= 1100 + 1e-6).all()
    k = r.kpis.iloc[0]
    assert k["dr_reduction_kwh"] == pytest.approx(float((1500 - imp[window]).sum()), rel=1e-9)


def test_event_that_cannot_be_met_is_named():
    raw = _dr(cap_kw=0, reason="有序用电 A级")
    del raw["sites"][0]["battery"]
    _, r = _solve(raw)
    assert r.status == "infeasible"
    assert "demand_response event js-2026-07-15 at site S1" in r.explanation
    assert "有序用电 A级" in r.explanation


def test_daily_clock_event_repeats_and_survives_rolling_windows():
    raw = _dr(cap_kw=900, compensation_cny_per_kwh=1.0)
    p, r = _solve(raw, horizon="4d", rolling_window_steps=48)
    assert r.ok, r.explanation
    assert [e.event_id for e in p.sites[0].dr_events] == [
        "js-2026-07-15",
        "js-2026-07-15@2026-07-16",
        "js-2026-07-15@2026-07-17",
        "js-2026-07-15@2026-07-18",
    ]
    hours = _local_hour(r.plan)
    imp = r.plan.sort_values("ts")["grid_import_kw"].to_numpy()
    assert (imp[(hours >= 17) & (hours < 19)] <= 900 + 1e-6).all()
    assert r.kpis.iloc[0]["dr_events"] == 4


@pytest.mark.parametrize(
    "event,key",
    [
        ({"cap_kw": 1, "reduction_kw": 1}, "sites[0].demand_response[0]"),
        ({}, "sites[0].demand_response[0]"),
        ({"cap_kw": -1}, "sites[0].demand_response[0].cap_kw"),
        ({"cap_kw": 5, "compensaton": 1}, "sites[0].demand_response[0].compensaton"),
    ],
)
def test_bad_events_are_scenario_errors_naming_the_key(event, key):
    raw = _dr(**event)
    with pytest.raises(ScenarioError) as e:
        parse_scenario(yaml.safe_dump(raw))
    assert key in str(e.value)


def test_bad_degradation_keys_are_scenario_errors():
    for bad in ({"max_cycles_per_day": 0}, {"degradation_cost_cny_per_kwh": -1}):
        raw = copy.deepcopy(_raw(**bad))
        with pytest.raises(ScenarioError) as e:
            parse_scenario(yaml.safe_dump(raw))
        assert "sites[0].battery." + next(iter(bad)) in str(e.value)


def _backup(outages: list[tuple[str, str]], **backup) -> dict:
    raw = small_raw()
    site = raw["sites"][0]
    del site["battery"]
    site["grid"]["import_limits"] = [
        {"start": a, "end": b, "import_max_kw": 0, "reason": "outage"} for a, b in outages
    ]
    site["backup"] = {"kw": 2000, "min_load": 0.3, **backup}
    return raw


def _runs(on: np.ndarray) -> list[int]:
    out, n = [], 0
    for v in [*on, False]:
        if v:
            n += 1
        elif n:
            out.append(n)
            n = 0
    return out


def test_backup_start_up_cost_counts_each_start():
    p, r = _solve(_backup([("10:00", "11:00"), ("12:00", "13:00")], startup_cny=500), milp=True)
    assert r.ok, r.explanation
    k = r.kpis.iloc[0]
    backup = r.plan.sort_values("ts")["backup_kw"].to_numpy()
    assert _runs(backup > 1e-6) == [1, 1]  # the grid is back at 11:00: no diesel then
    assert k["backup_starts"] == 2
    fuel = float(backup.sum()) * p.step_hours * p.sites[0].backup_cost_cny_per_kwh
    assert k["backup_cost_cny"] == pytest.approx(fuel + 2 * 500, rel=1e-9)
    assert k["cost_cny"] == pytest.approx(r.objective, rel=1e-7)
    # LP mode: not modelled, with a warning, and no start-up cost counted
    _, lp = _solve(_backup([("10:00", "11:00")], startup_cny=500))
    assert any("start-up cost" in w for w in lp.warnings)
    assert lp.kpis.iloc[0]["backup_starts"] == 0


def test_backup_minimum_up_time_holds_in_economic_mode():
    # diesel in every step (economic) at a fuel price that pays only at the evening peak price
    raw = _backup([], run="economic", fuel_price_cny_per_t=4000, min_load=0.1)
    _, free = _solve(raw, milp=True)
    assert free.ok, free.explanation
    on_free = free.plan.sort_values("ts")["backup_kw"].to_numpy() > 1e-6
    assert on_free.any()
    raw["sites"][0]["backup"]["min_up"] = "6h"
    _, r = _solve(raw, milp=True)
    assert r.ok, r.explanation
    on = r.plan.sort_values("ts")["backup_kw"].to_numpy() > 1e-6
    assert min(_runs(on_free)) < 6  # without a minimum up-time it runs shorter (3 h, 5 h)
    runs = _runs(on)
    assert runs and all(n >= 6 for n in runs), runs  # (none is cut by the horizon here)
    assert r.kpis.iloc[0]["backup_starts"] == len(runs)
    assert r.objective >= free.objective - 1e-6  # a constraint never lowers the cost
