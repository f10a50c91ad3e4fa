"""Risk-aware plans (issue 13 §3, ``forecast: risk_aware``, ``optimizers.risk``).

A hand-made day where the adverse scenario (P90 IT load, P10 PV) binds: the risk-neutral plan
runs its job at full power in the valley hours and exports the midday PV surplus, which breaks
the contract limit and the green-share target once the adverse series come true.  The plans are
re-evaluated against the adverse series here, independently of ``optimizers.risk``.  Then the
demo scenario is switched between the three modes with the one key, on forecasts issued by the
real quantile model from generated demo telemetry."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import REPO

from carbon.config import TZ
from optimizers import risk, solve
from optimizers.problem import Job, Options, Problem, Site

N = 24
H = np.arange(N) + 0.5  # hour of the step's middle
BELL = np.clip(np.sin((H - 6) / 12 * np.pi), 0.0, None)
IT_P50, IT_P90 = 1000.0, 1100.0  # kW
PV_P50, PV_P10 = 2000.0 * BELL, 1400.0 * BELL  # kW
CONTRACT_KW = 1500.0
TARGET = 0.36
JOB_KWH, JOB_MAX_KW = 2000.0, 500.0


def hand_problem(
    *, contract_kw: float | None = CONTRACT_KW, target: float | None = TARGET
) -> Problem:
    """One site, hourly: valley price (0.30 CNY/kWh) only 00–04 and an export price (0.40) above
    it, so the risk-neutral plan runs the 2,000 kWh job at 500 kW in the valley and exports the
    PV surplus; 500 kW on top of the P90 load is over the contract, and the P10 PV leaves the
    green share short unless the job absorbs the midday surplus."""
    site = Site(
        "S1",
        None,
        pd.date_range("2026-07-15", periods=N, freq="1h", tz=TZ),
        1.0,
        it_base_kw=np.full(N, IT_P50),
        pue=np.full(N, 1.0),
        pv_kw=PV_P50,
        wind_kw=np.zeros(N),
        price_cny_per_kwh=np.where(H < 4, 0.30, 1.00),
        carbon_kg_per_kwh=np.full(N, 0.6),
        export_price_cny_per_kwh=0.40,
        grid_export_max_kw=3000.0,
        contract_kw=contract_kw,
        green_share_target=target,
        jobs=[Job("batch", 0, N, JOB_KWH, JOB_MAX_KW)],
        forecast_mode="risk_aware",
        it_adverse_kw=np.full(N, IT_P90),
        pv_adverse_kw=PV_P10,
    )
    return Problem([site], options=Options(carbon_price_cny_per_t=90.0))


def realised_adverse(plan: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Re-evaluate a plan when P90 load and P10 PV come true, keeping its job and battery
    schedule: the grid import each step needs (kW, PV used first, no import commitment) and the
    green share.  Deliberately more lenient than the LP's recourse (it may even undo planned
    import), so a plan that fails here fails there too."""
    load = 1.0 * (IT_P90 + plan["job_kw"].to_numpy())
    net = load - plan["battery_discharge_kw"].to_numpy() + plan["battery_charge_kw"].to_numpy()
    pv_used = np.minimum(PV_P10, np.clip(net, 0.0, None))
    return net - pv_used, float(pv_used.sum() / load.sum())


@pytest.fixture(scope="module")
def plans():
    p = hand_problem()
    return p, solve(p), solve(risk.risk_neutral(p))


def test_risk_aware_plan_holds_in_the_adverse_scenario(plans):
    _, aware, _ = plans
    assert aware.status == "optimal"
    imp, green = realised_adverse(aware.plan)
    # (a) every deadline: the job got its energy, and the adverse load fits the contract, so
    # nothing of it has to be shed
    assert int(aware.kpis["jobs_on_time"].iloc[0]) == 1
    assert imp.max() <= CONTRACT_KW + 1e-6
    assert green >= TARGET - 1e-9
    k = aware.kpis.iloc[0]
    assert k["forecast_mode"] == "risk_aware"
    assert k["adverse_unserved_kwh"] == 0.0 and k["adverse_jobs_on_time"] == 1
    assert k["adverse_green_share"] >= TARGET - 1e-9
    # the P50 targets still hold too
    assert k["green_share"] >= TARGET - 1e-9
    assert aware.plan["grid_import_kw"].max() <= CONTRACT_KW + 1e-6


def test_risk_neutral_plan_fails_in_the_adverse_scenario(plans):
    p, _, neutral = plans
    assert neutral.status == "optimal"
    assert neutral.kpis["forecast_mode"].iloc[0] == "model"
    imp, green = realised_adverse(neutral.plan)
    # (b) it meets everything in P50 but not when the adverse series come true
    assert neutral.kpis["green_share"].iloc[0] >= TARGET - 1e-9
    assert imp.max() > CONTRACT_KW + 1.0
    assert green < TARGET - 1e-3
    ev = risk.adverse_kpis(
        p, neutral.plan, neutral.jobs, neutral.kpis, p.options.carbon_price_cny_per_t
    )["S1"]
    over = np.clip(imp - CONTRACT_KW, 0.0, None).sum()  # kWh (1 h steps)
    assert ev["adverse_unserved_kwh"] == pytest.approx(over, rel=1e-9)
    assert ev["adverse_jobs_on_time"] == 0
    assert ev["adverse_green_share"] < TARGET


def test_price_of_robustness(plans):
    _, aware, neutral = plans
    a, n = aware.kpis.iloc[0], neutral.kpis.iloc[0]
    # (c) >= 0 and exactly the P50 cost / tCO2 difference to the risk-neutral plan of the day
    assert a["robustness_cost_cny"] >= 0.0
    assert a["robustness_cost_cny"] == pytest.approx(a["cost_cny"] - n["cost_cny"], abs=1e-9)
    assert a["robustness_tco2"] == pytest.approx(a["tco2"] - n["tco2"], abs=1e-12)
    # here the adverse scenario binds, so robustness is not free
    assert a["robustness_cost_cny"] > 1.0
    # the objective is the P50 cost plus the weighted adverse recourse
    assert aware.objective >= a["cost_cny"] - 1e-6
    assert neutral.objective == pytest.approx(n["cost_cny"], rel=1e-9)


def test_adverse_scenario_leaves_risk_neutral_plans_alone(plans):
    p, _, neutral = plans
    # (d) the risk-neutral problem is the model built without the adverse scenario at all
    plain = dataclasses.replace(
        p,
        sites=[
            dataclasses.replace(
                p.sites[0], it_adverse_kw=None, pv_adverse_kw=None, forecast_mode="model"
            )
        ],
    )
    r = solve(plain)
    assert r.objective == pytest.approx(neutral.objective, rel=1e-12)
    assert r.model_size == neutral.model_size
    assert np.isnan(r.kpis["adverse_cost_cny"].iloc[0])
    assert np.isnan(r.kpis["robustness_cost_cny"].iloc[0])
    # the adverse scenario adds 2 columns and 2 rows (+1 import limit, +1 green share) per step
    aware = solve(p)
    assert aware.model_size["columns"] == r.model_size["columns"] + 2 * N
    assert aware.model_size["rows"] == r.model_size["rows"] + 2 * N + 1


def test_adverse_green_share_beyond_reach_is_explained():
    r = solve(hand_problem(contract_kw=None, target=0.45))
    assert r.status == "infeasible"
    assert "adv_green_share at site S1" in (r.explanation or "")
    assert "adverse scenario" in (r.explanation or "")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("it_adverse_kw", np.full(N - 1, IT_P90), "it_adverse_kw has 23 values, expected 24"),
        ("pv_adverse_kw", -PV_P10, "pv_adverse_kw must be finite and >= 0 kW"),
    ],
)
def test_bad_adverse_series_named(field, value, words):
    p = hand_problem()
    bad = dataclasses.replace(p, sites=[dataclasses.replace(p.sites[0], **{field: value})])
    with pytest.raises(ValueError, match=words):
        solve(bad)


# ----------------------------------------------------------------------------- the demo
DAY = "2026-07-15"
MODES = ("perfect", "model", "risk_aware")


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    """A home whose lake holds real day-ahead forecasts for the demo scenario's sites: generated
    demo telemetry (``carbon.demo.history``, the sites sized as in scenarios/yancheng_dc.yaml)
    → the LightGBM quantile model (fewer trees, as tests/forecast) → ``dispatch_forecasts``."""
    from carbon.demo.history import demo_sites, telemetry_history
    from optimizers.forecast import io as fio

    home = tmp_path_factory.mktemp("risk_demo")
    raw = yaml.safe_load((REPO / "scenarios" / "yancheng_dc.yaml").read_text(encoding="utf-8"))
    spec = {s["site_id"]: s for s in raw["sites"]}
    sites = [
        dataclasses.replace(
            d,
            it_kw=float(spec[d.site_id]["it_load"]["base_kw"]),
            pv_kwp=float(spec[d.site_id]["pv"]["kwp"]),
        )
        for d in demo_sites()
    ]
    hist = telemetry_history(sites, "2026-05-15", "2026-07-14", seed=7)
    for sid, g in hist.groupby("site_id"):
        fc = fio.forecast_site(
            g, DAY, lat=spec[sid]["lat"], lon=spec[sid]["lon"], params={"num_iterations": 60}
        )
        df = fio.long_frame(
            sid,
            DAY,
            fc,
            issued_at=pd.Timestamp("2026-07-14 09:30", tz=TZ),
            history_end=pd.Timestamp(g["ts"].max()),
        )
        fio.write_forecasts(df, home=home)
    return home, raw


def _plan(demo_home, mode: str, **site0):
    from optimizers.scenario import build_problem, parse_scenario

    home, raw = demo_home
    r = copy.deepcopy(raw)
    r["forecast"] = mode  # the one key
    r["sites"][0].update(site0)
    p = build_problem(parse_scenario(yaml.safe_dump(r, allow_unicode=True)), DAY, home=home)
    return p, solve(p)


def test_demo_switches_between_the_three_modes_with_one_key(demo_home):
    out = {m: _plan(demo_home, m) for m in MODES}
    for m, (p, r) in out.items():
        assert r.status == "optimal", (m, r.explanation)
        assert not p.notes, p.notes  # no forecast fell back
        assert (r.kpis["forecast_mode"] == m).all()
    perfect, model, aware = (out[m][1].kpis.set_index("site_id") for m in MODES)
    # perfect vs model: other inputs (profile / clear sky vs the P50), other plan
    assert not np.allclose(perfect["cost_cny"], model["cost_cny"], rtol=1e-3)
    for k in (perfect, model):
        assert k[["adverse_cost_cny", "robustness_cost_cny"]].isna().all().all()
    # risk-aware: the P50 plan costs at least the model plan, by the price of robustness
    diff = aware["cost_cny"] - model.loc[aware.index, "cost_cny"]
    np.testing.assert_allclose(aware["robustness_cost_cny"], diff, atol=1e-6)
    assert (aware["robustness_cost_cny"] >= -1e-6).all()
    # the adverse scenario costs more (more load, less PV) and is fully served
    assert (aware["adverse_cost_cny"] > aware["cost_cny"]).all()
    assert (aware["adverse_tco2"] > aware["tco2"]).all()
    assert (aware["adverse_unserved_kwh"] == 0).all()
    assert (aware["adverse_jobs_on_time"] == aware["jobs_total"]).all()
    target = aware.loc["YC-DC-01", "green_share_target"]
    assert aware.loc["YC-DC-01", "adverse_green_share"] >= target - 1e-9
    assert aware.loc["YC-DC-01", "adverse_green_share"] < aware.loc["YC-DC-01", "green_share"]
    # the adverse series are the P90 load and the P10 PV of the lake forecasts
    p_aware = out["risk_aware"][0].sites[0]
    assert (p_aware.it_adverse_kw >= p_aware.it_base_kw - 1e-9).all()
    assert (p_aware.pv_adverse_kw <= p_aware.pv_kw + 1e-9).all()
    assert p_aware.it_adverse_kw.sum() > p_aware.it_base_kw.sum()


def test_demo_with_less_green_power_bought_is_infeasible_risk_aware_only(demo_home):
    # 55 MWh/day of green purchases: the P50 plan meets 80 %, the adverse scenario cannot
    _, model = _plan(demo_home, "model", green_purchase_kwh_per_day=55000)
    _, aware = _plan(demo_home, "risk_aware", green_purchase_kwh_per_day=55000)
    assert model.status == "optimal"
    assert model.kpis["green_share"].iloc[0] >= 0.8 - 1e-9
    assert aware.status == "infeasible"
    assert "adv_green_share at site YC-DC-01" in (aware.explanation or "")


def test_demo_risk_aware_plan_written_to_the_lake(demo_home):
    """The runner writes the mode, the adverse KPIs and the price of robustness to
    ``dispatch_kpis`` and the KPI JSON; a rerun replaces the partition (idempotent)."""
    import json

    import pyarrow.parquet as pq

    from optimizers.runner import plan_group
    from optimizers.scenario import parse_scenario

    home, raw = demo_home
    r = copy.deepcopy(raw)
    r["forecast"] = "risk_aware"
    sc = parse_scenario(yaml.safe_dump(r, allow_unicode=True))
    for _ in range(2):
        out = plan_group(sc, plan_date=DAY, home=home, png=False)
        assert out.status == "optimal", out.error or out.explanation
    files = sorted((home / "lake" / "dispatch_kpis").glob("*/part-0.parquet"))
    assert [f.parent.name for f in files] == [f"plan={DAY}__YC-DC-01", f"plan={DAY}__YC-DC-02"]
    rows = pq.read_table(files[0]).to_pylist()
    assert len(rows) == 1
    k = rows[0]
    want = out.result.kpis.set_index("site_id").loc["YC-DC-01"]
    assert k["forecast_mode"] == "risk_aware"
    assert k["adverse_cost_cny"] == pytest.approx(want["adverse_cost_cny"], rel=1e-12)
    assert k["adverse_jobs_on_time"] == int(want["adverse_jobs_on_time"])
    assert k["robustness_cost_cny"] == pytest.approx(want["robustness_cost_cny"], abs=1e-9)
    js = json.loads(
        (home / "outputs" / "dispatch" / f"{DAY}__YC-DC-01.kpis.json").read_text(encoding="utf-8")
    )
    assert js["forecast_mode"] == "risk_aware" and js["adverse_green_share"] > 0.8 - 1e-9


def test_milp_risk_aware_plan_holds_in_the_adverse_scenario():
    """MILP (a non-preemptible job with a minimum power): the adverse rows are added the same
    way, and the plan still meets the contract and the green share with P90 load / P10 PV."""
    p = hand_problem()
    job = dataclasses.replace(p.sites[0].jobs[0], preemptible=False, min_kw_when_running=100.0)
    p = dataclasses.replace(
        p,
        sites=[dataclasses.replace(p.sites[0], jobs=[job])],
        options=Options(carbon_price_cny_per_t=90.0, job_integrality=True),
    )
    r = solve(p)
    assert r.status == "optimal" and r.mip_gap is not None
    imp, green = realised_adverse(r.plan)
    assert imp.max() <= CONTRACT_KW + 1e-6 and green >= TARGET - 1e-9
    on = r.jobs.groupby("step")["kw"].sum()
    assert (on >= 100.0 - 1e-6).all() and on.index.max() - on.index.min() + 1 == len(on)
    assert r.kpis["adverse_jobs_on_time"].iloc[0] == 1
