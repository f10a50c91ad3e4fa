"""dispatch_day_ahead under real Airflow: every site planned, one infeasible site fails alone."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from dispatch_helpers import REPO, YANCHENG

from carbon.orchestration.dagrun import run_dag
from carbon.pipeline.lake import read_dataset
from optimizers.runner import KPIS, PLANS


@pytest.mark.slow
def test_dag_plans_every_site_and_isolates_an_infeasible_one(tmp_path):
    raw = yaml.safe_load(YANCHENG.read_text(encoding="utf-8"))
    bad = {
        "site_id": "YC-BAD",
        "uscc": "91320902MA1XYC098G",
        "lat": 33.38,
        "lon": 120.16,
        "tariff": "jiangsu",
        "grid": {"import_max_kw": 100},  # far below its 2,000 kW IT load, no PV, no battery
        "it_load": {"source": "profile", "base_kw": 2000},
        "pue": 1.3,
    }
    raw["sites"].append(bad)
    scenario = tmp_path / "with_bad_site.yaml"
    scenario.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    home = tmp_path / "home"

    res = run_dag(
        "dispatch_day_ahead", home, conf={"scenario": str(scenario), "date": "2026-07-16"}
    )
    states = res.task_states
    assert states["plan_groups"] == "success", res.output[-3000:]
    mapped = {k: v for k, v in states.items() if k.startswith("plan_sites[")}
    assert sorted(mapped.values()) == ["failed", "success", "success"], states
    assert states["summary"] == "success"  # all_done: runs and publishes despite the failure
    assert states["check_all_planned"] == "failed"
    assert res.state == "failed"  # the run shows red

    plans = read_dataset(PLANS, home)
    assert sorted(plans["site_id"].unique()) == ["YC-DC-01", "YC-DC-02"]
    assert (plans.groupby("site_id").size() == 96).all()
    assert set(read_dataset(KPIS, home)["plan"]) == {"2026-07-16__YC-DC-01", "2026-07-16__YC-DC-02"}
    # the outcome reaches the summary by XCom (no status file on disk any more)
    assert not (home / "outputs" / "dispatch" / "status").exists()
    report = json.loads(
        res.output[res.output.index('{\n  "date": "2026-07-16"') :].split("\n}")[0] + "\n}"
    )
    assert report["planned"] == ["YC-DC-01", "YC-DC-02"], report
    why = report["failed"]["YC-BAD"]  # the infeasibility explanation, not a bare "task failed"
    assert "YC-BAD" in why and "task failed" not in why, why
    assert '"failed": {\n    "YC-BAD"' in res.output  # the summary names the failed site
    for site in ("YC-DC-01", "YC-DC-02"):
        assert (home / "outputs" / "dispatch" / f"2026-07-16__{site}.png").exists()
        # the task log has the site's plan figures (issue 11 §5): cost, tCO2, green share
        kpi = json.loads(
            (home / "outputs" / "dispatch" / f"2026-07-16__{site}.kpis.json").read_text()
        )
        assert (
            f"figures dispatch/{site}: date=2026-07-16 status=optimal cost_cny={kpi['cost_cny']!r} "
            f"tco2={kpi['tco2']!r} green_share={kpi['green_share']!r}"
        ) in res.output, res.output[-3000:]
    # the virtual capacity curves of the planned sites (issue 13 §4), none for the failed one
    vcc = home / "outputs" / "dispatch" / "vcc"
    assert sorted(p.name for p in vcc.iterdir()) == [
        f"2026-07-16__{s}.{ext}" for s in ("YC-DC-01", "YC-DC-02") for ext in ("csv", "json")
    ]
    schema = json.loads((REPO / "docs" / "vcc.schema.json").read_text(encoding="utf-8"))
    for site in ("YC-DC-01", "YC-DC-02"):
        doc = json.loads((vcc / f"2026-07-16__{site}.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(doc)
        assert doc["site_id"] == site and doc["plan_date"] == "2026-07-16"
        assert len(doc["hours"]) == 24 and doc["total_flexible_kwh"] > 0


def test_report_names_failed_sites_and_why():
    from optimizers.runner import report

    groups = [
        {"label": "A", "site_ids": ["A"], "date": "2026-07-16"},
        {"label": "B+C", "site_ids": ["B", "C"], "date": "2026-07-16"},
        {"label": "D", "site_ids": ["D"], "date": "2026-07-16"},
    ]
    outcomes = [
        {"ok": True, "status": "optimal"},
        {"ok": False, "status": "infeasible", "explanation": "balance at B steps 0–3"},
        None,  # the task failed (e.g. I/O, after its retries) before it had an outcome
    ]
    rep = report(groups, outcomes)
    assert rep["planned"] == ["A"]
    assert rep["failed"] == {
        "B": "balance at B steps 0–3",
        "C": "balance at B steps 0–3",
        "D": "task failed (see the plan_sites log)",
    }
    assert report(None, [])["failed"] == {"*": "scenario not read (see plan_groups)"}
