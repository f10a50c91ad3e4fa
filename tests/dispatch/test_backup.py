"""The backup generator has a fuel cost, the library's diesel factor and a minimum load, and by
default runs only where the grid cannot serve (issue 9, item 12)."""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import numpy as np
import pytest
import yaml
from dispatch_helpers import REPO, small_raw

from carbon.pipeline.lake import read_dataset
from optimizers import solve
from optimizers.runner import KPIS, plan_group
from optimizers.scenario import ScenarioError, build_problem, parse_scenario

FACTORS = REPO / "carbon" / "domain" / "factors" / "data" / "emission_factors.csv"
OUTAGE = [{"start": "14:00", "end": "16:00", "import_max_kw": 0, "reason": "grid outage"}]


def _raw(backup: dict | None = None, limits: list | None = None) -> dict:
    raw = copy.deepcopy(small_raw())
    site = raw["sites"][0]
    site["backup"] = backup or {"kw": 3000}
    if limits is not None:
        site["grid"]["import_limits"] = limits
    return raw


def _problem(raw: dict, tmp_path: Path, milp: bool | None = None):
    return build_problem(parse_scenario(yaml.safe_dump(raw)), home=tmp_path, milp=milp)


def _library_factor(kpi_factor: str) -> float:
    """tCO2/t of the factor row the KPIs name (``<factor_id> <factor_version>``), read from the
    library CSV itself."""
    fid, version = kpi_factor.split(" ")
    with FACTORS.open(encoding="utf-8") as fh:
        rows = [
            r for r in csv.DictReader(fh) if (r["factor_id"], r["factor_version"]) == (fid, version)
        ]
    assert len(rows) == 1 and rows[0]["unit"] == "tCO2/t"
    r = rows[0]
    if r["value"]:
        return float(r["value"])
    # fuel rows store the published parameters; the factor is NCV x CC x OF x 44/12 / 1000
    return (
        float(r["ncv"])
        * float(r["carbon_content_tc_per_tj"])
        * float(r["oxidation_rate"])
        * 44.0
        / 12.0
        / 1000.0
    )


def test_normal_grid_runs_no_backup_even_when_diesel_is_free(tmp_path):
    # 3 MW of backup, free fuel and no carbon price: still 0 kWh, because on a normal grid the
    # generator has no column in the model at all (a bound, not a price)
    free = {"kw": 3000, "fuel_price_cny_per_t": 0, "om_cny_per_kwh": 0}
    raw = _raw(free)
    raw["carbon_price_cny_per_t"] = 0
    r = solve(_problem(raw, tmp_path))
    assert r.status == "optimal"
    assert float(r.plan["backup_kw"].abs().max()) == 0.0
    assert r.kpis.loc[0, "backup_kwh"] == 0 and r.kpis.loc[0, "backup_cost_cny"] == 0
    assert r.kpis.loc[0, "curtailment_kwh"] == pytest.approx(0.0, abs=1e-6)
    # the same generator allowed to run economically does run (so the check above can fail)
    eco = solve(_problem(_raw({**free, "run": "economic"}), tmp_path))
    assert eco.kpis.loc[0, "backup_kwh"] > 1000


def test_outage_runs_backup_at_its_cost_and_emissions(tmp_path):
    backup = {
        "kw": 3000,
        "fuel_price_cny_per_t": 7900,
        "fuel_g_per_kwh": 215,
        "om_cny_per_kwh": 0.05,
    }
    r = solve(_problem(_raw(backup, OUTAGE), tmp_path))
    assert r.status == "optimal"
    plan = r.plan
    hours = plan["ts"].dt.hour.to_numpy()
    outage = (hours >= 14) & (hours < 16)
    assert (plan.loc[outage, "grid_import_kw"] == 0).all()
    assert (plan.loc[outage, "backup_kw"] > 0).any()
    assert (plan.loc[~outage, "backup_kw"] == 0).all()  # only where the grid cannot serve
    k = r.kpis.iloc[0]
    kwh = float(plan["backup_kw"].sum())  # hourly steps
    assert k["backup_kwh"] == pytest.approx(kwh) and kwh > 0
    assert k["backup_cost_cny"] == pytest.approx(kwh * (7900 * 215 / 1e6 + 0.05))
    factor = _library_factor(k["backup_factor"])  # tCO2 per t of diesel
    assert k["backup_factor"].startswith("fuel_diesel ")
    assert k["backup_tco2"] == pytest.approx(kwh * 215 / 1e6 * factor, rel=1e-12)
    grid_t = float((plan["grid_import_kw"] * plan["carbon_kg_per_kwh"]).sum()) / 1000
    assert k["tco2"] == pytest.approx(grid_t + k["backup_tco2"], rel=1e-12)
    assert any("minimum load" in w and "relaxed" in w for w in r.warnings)  # LP mode


def test_milp_enforces_minimum_load(tmp_path):
    backup = {"kw": 3000, "min_load": 0.4}
    r = solve(_problem(_raw(backup, OUTAGE), tmp_path, milp=True))
    assert r.ok, r.explanation
    running = r.plan["backup_kw"].to_numpy()
    running = running[running > 1e-6]
    assert len(running) > 0 and (running >= 0.4 * 3000 - 1e-6).all()


def test_pinned_factor_version_and_its_errors(tmp_path):
    r = solve(_problem(_raw({"kw": 3000, "factor_version": "IPCC-2006"}, OUTAGE), tmp_path))
    k = r.kpis.iloc[0]
    assert k["backup_factor"] == "fuel_diesel IPCC-2006"
    assert k["backup_kg_per_kwh"] == pytest.approx(220 * _library_factor(k["backup_factor"]) / 1000)
    with pytest.raises(ScenarioError) as ei:
        _problem(_raw({"kw": 3000, "factor_version": "NO-SUCH"}), tmp_path)
    assert ei.value.key == "sites.S1.backup.factor_version" and "NO-SUCH" in ei.value.problem


@pytest.mark.parametrize(
    ("mutate", "key", "words"),
    [
        (lambda s: s["backup"].update(fuel_cost=2.0), "sites[0].backup.fuel_cost", "unknown key"),
        (lambda s: s["backup"].update(min_load=1.5), "sites[0].backup.min_load", "<= 1"),
        (lambda s: s["backup"].update(run="always"), "sites[0].backup.run", "grid_limited"),
        (lambda s: s.update(backup_gen_kw=3000), "sites[0].backup", "not both"),
        (
            lambda s: s["grid"].update(
                import_limits=[{"start": "14:00", "end": "13:00", "import_max_kw": 0}]
            ),
            "sites[0].grid.import_limits[0].end",
            "after start",
        ),
        (
            lambda s: s["grid"].update(import_limits=[{"start": "14:00", "end": "15:00", "kw": 0}]),
            "sites[0].grid.import_limits[0].kw",
            "unknown key",
        ),
    ],
)
def test_backup_keys_validated(mutate, key, words):
    raw = _raw({"kw": 3000, "fuel_price_cny_per_t": 8000, "fuel_g_per_kwh": 220})
    parse_scenario(yaml.safe_dump(raw))  # the cost keys are accepted
    mutate(raw["sites"][0])
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(yaml.safe_dump(raw))
    assert ei.value.key == key and words in ei.value.problem, str(ei.value)


def test_size_only_backup_gets_costed_defaults_and_lake_kpis_trace_the_factor(tmp_path):
    raw = copy.deepcopy(small_raw())
    raw["sites"][0]["backup_gen_kw"] = 3000
    raw["sites"][0]["grid"]["import_limits"] = OUTAGE
    out = plan_group(parse_scenario(yaml.safe_dump(raw)), None, None, None, tmp_path, png=False)
    assert out.ok, out.explanation or out.error
    k = read_dataset(KPIS, tmp_path).iloc[0]
    assert k["backup_kwh"] > 0 and k["backup_cost_cny"] == pytest.approx(k["backup_kwh"] * 1.76)
    assert k["backup_factor"].startswith("fuel_diesel ")
    assert k["backup_tco2"] == pytest.approx(
        k["backup_kwh"] * 220 / 1e6 * _library_factor(k["backup_factor"])
    )
    assert np.isfinite(k["backup_kg_per_kwh"])


def test_rolling_horizon_keeps_the_outage_steps(tmp_path):
    raw = _raw({"kw": 3000}, OUTAGE)
    raw["options"] = {"rolling_window": "1d"}
    p = build_problem(parse_scenario(yaml.safe_dump(raw)), horizon="3d", home=tmp_path)
    r = solve(p)
    assert r.ok, r.explanation
    hours = r.plan["ts"].dt.hour.to_numpy()
    outage = (hours >= 14) & (hours < 16)
    assert (r.plan.loc[~outage, "backup_kw"] == 0).all()
    assert (r.plan.loc[outage, "grid_import_kw"] == 0).all()
    assert r.kpis.loc[0, "backup_kwh"] > 0
