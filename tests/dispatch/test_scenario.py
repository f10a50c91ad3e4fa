"""Scenario YAML → Problem, and validation errors that name the key and the problem."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from dispatch_helpers import EAST_WEST, YANCHENG, small_raw

from optimizers.scenario import (
    ScenarioError,
    build_problem,
    job_window,
    load_scenario,
    parse_scenario,
)


def test_examples_parse_and_build(tmp_path):
    sc = load_scenario(YANCHENG)
    assert sc.site_ids == ["YC-DC-01", "YC-DC-02"]
    assert sc.site_groups() == [["YC-DC-01"], ["YC-DC-02"]]
    p = build_problem(sc, home=tmp_path)  # empty lake: TOU table and scenario profiles
    assert p.n_steps == 96 and p.step_hours == 0.25
    s1 = p.sites[0]
    assert str(s1.index.tz) == "Asia/Shanghai" and s1.index[0].hour == 0
    # TOU: valley at 03:00, peak at 09:00 (Jiangsu periods of the example)
    assert s1.price_cny_per_kwh[12] == pytest.approx(0.2717)
    assert s1.price_cny_per_kwh[36] == pytest.approx(1.0798)
    assert {j.job_id for j in s1.jobs} == {"nightly-etl", "llm-finetune", "video-transcode"}
    etl = next(j for j in s1.jobs if j.job_id == "nightly-etl")
    assert (etl.release, etl.deadline) == (0, 32)
    ft = next(j for j in s1.jobs if j.job_id == "llm-finetune")
    assert ft.min_run_steps == 4  # 1 h of 15-minute steps
    # weather-driven PUE is warmest (highest) mid-afternoon
    assert s1.pue.argmax() in range(56, 64)
    assert s1.green_purchase_kwh == 80000
    # monthly demand charge prorated to one day
    assert s1.demand_charge_cny_per_kw == pytest.approx(40.0 / 30)

    ew = load_scenario(EAST_WEST)
    assert ew.site_groups() == [["YC-DC-01", "NX-ZW01"]]
    pe = build_problem(ew, home=tmp_path)
    assert pe.n_steps == 24
    assert {j.job_id: j.sites for j in pe.shared_jobs}["east-only-report"] == ("YC-DC-01",)
    assert next(j for j in pe.shared_jobs if j.job_id == "train-llm-a").deadline == 24


def test_clock_jobs_repeat_each_day_and_horizon_override(tmp_path):
    sc = parse_scenario(yaml.safe_dump(small_raw()))
    p = build_problem(sc, "2026-07-20", "3d", home=tmp_path)
    assert p.n_steps == 72
    jobs = {j.job_id: (j.release, j.deadline) for j in p.sites[0].jobs}
    assert jobs == {"batch": (0, 12), "batch@2026-07-21": (24, 36), "batch@2026-07-22": (48, 60)}


def test_job_window_rounds_inward():
    import pandas as pd

    idx = pd.date_range("2026-07-15", periods=96, freq="15min", tz="Asia/Shanghai")
    assert job_window("00:10", "01:50", idx) == (1, 7)
    assert job_window("2026-07-15T06:00", "2026-07-15T08:00+08:00", idx) == (24, 32)
    assert job_window("22:00", "30:00", idx)[1] == 120  # past the horizon: clipped by make_jobs


def _err(mutate) -> ScenarioError:
    raw = copy.deepcopy(small_raw())
    mutate(raw)
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(yaml.safe_dump(raw), "bad.yaml")
    return ei.value


@pytest.mark.parametrize(
    ("mutate", "key", "words"),
    [
        (lambda r: r["sites"][0].update(batery={}), "sites[0].batery", "unknown key"),
        (lambda r: r["sites"][0].update(uscc="91320902MA1XYC0120"), "sites[0].uscc", "USCC"),
        (
            lambda r: r["sites"][0]["battery"].update(power_kw=-5),
            "sites[0].battery.power_kw",
            "> 0",
        ),
        (
            lambda r: r["sites"][0]["battery"].update(soc_min=0.9, soc_max=0.5),
            "sites[0].battery.soc_min",
            "soc_max",
        ),
        (lambda r: r["sites"][0].update(tariff="zj"), "sites[0].tariff", "tariffs"),
        (
            lambda r: r["sites"][0]["grid"].pop("import_max_kw"),
            "sites[0].grid.import_max_kw",
            "required",
        ),
        (
            lambda r: r["sites"][0]["jobs"][0].update(release="noon"),
            "sites[0].jobs[0].release",
            "not understood",
        ),
        (
            lambda r: r["sites"][0]["jobs"][0].update(min_kw_when_running=900),
            "sites[0].jobs[0].min_kw_when_running",
            "max_kw",
        ),
        (
            lambda r: r.update(jobs=[dict(r["sites"][0]["jobs"][0], job_id="x", sites=["S9"])]),
            "jobs[0].sites[0]",
            "unknown site_id",
        ),
        (
            lambda r: r["sites"].append(copy.deepcopy(r["sites"][0])),
            "sites[1].site_id",
            "duplicate",
        ),
        (lambda r: r.update(horizon="2w"), "horizon", "not understood"),
        (lambda r: r.update(step="5min"), "step", "15min or 1h"),
        (
            lambda r: r["tariffs"]["js"]["tou"]["peak"].update(hours=[[8, 11]]),
            "tariffs.js.tou",
            "uncovered",
        ),
        (
            lambda r: r["tariffs"]["js"].update(province_code=320000),
            "tariffs.js.province_code",
            "province code",
        ),
        (lambda r: r["sites"][0].update(pue=0.9), "sites[0].pue", ">= 1"),
        (
            lambda r: r["sites"][0].update(pue={"profile": [1.2] * 23}),
            "sites[0].pue.profile",
            "24 hourly",
        ),
        (lambda r: r.update(date="2026-13-01"), "date", "YYYY-MM-DD"),
    ],
)
def test_validation_names_key_and_problem(mutate, key, words):
    e = _err(mutate)
    assert e.key == key, str(e)
    assert words in e.problem
    assert str(e).startswith("bad.yaml: " + key)


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not valid YAML"):
        parse_scenario("sites: [a, b\n")
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_lake_tariff_source_required_but_missing(tmp_path):
    raw = small_raw()
    raw["tariffs"]["js"]["source"] = "lake"
    sc = parse_scenario(yaml.safe_dump(raw))
    with pytest.raises(ScenarioError, match=r"tariffs\.js\.source: no grid_signals"):
        build_problem(sc, home=tmp_path)


def test_weather_pue_and_wind_profile(tmp_path):
    raw = small_raw()
    s = raw["sites"][0]
    s["pue"] = {"weather": {"base": 1.15, "ref_c": 20, "per_deg_c": 0.01, "temp_mean_c": 25}}
    s["wind"] = {"kw": 1000, "profile": [0.5] * 12 + [0.2] * 12}
    p = build_problem(parse_scenario(yaml.safe_dump(raw)), home=tmp_path)
    site = p.sites[0]
    assert np.all(site.pue >= 1.15) and site.pue.max() == pytest.approx(1.15 + 0.01 * 10)
    assert site.wind_kw[3] == 500 and site.wind_kw[20] == 200
