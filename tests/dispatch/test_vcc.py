"""Virtual capacity curves (issue 13 §4): the curve a cluster scheduler enforces must reproduce the
plan. An admission controller run under the curve (earliest deadline first, each job within its
max kW and window, the hour's total within the curve) delivers every job's planned energy by its
deadline, on the demo scenarios and on random small problems; a curve cut by 10 % in one hour
misses energy; daily totals are preserved; the JSON validates against docs/vcc.schema.json and
the CSV carries the same numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import EAST_WEST, REPO, YANCHENG, small_raw

from optimizers import solve
from optimizers.problem import Job, Problem, Site
from optimizers.runner import plan_group
from optimizers.scenario import ScenarioError, build_problem, load_scenario, parse_scenario
from optimizers.vcc import simulate_admission, site_vcc, vcc_frame
from optimizers.vcc_io import read_vcc, read_vcc_csv, write_vcc

SCHEMA = json.loads((REPO / "docs" / "vcc.schema.json").read_text(encoding="utf-8"))
TOL = 1e-6  # kWh


def _validate(doc: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    """Both demo scenarios planned (no lake: profiles and TOU tables), solved with HiGHS."""
    home = tmp_path_factory.mktemp("vcc-home")
    out = {}
    for path in (YANCHENG, EAST_WEST):
        sc = load_scenario(path)
        problem = build_problem(sc, None, None, home)
        result = solve(problem)
        assert result.status == "optimal"
        out[sc.name] = (problem, result)
    return out


def _planned_site_kwh(result, problem: Problem, site_id: str) -> dict[str, float]:
    """kWh per job at a site, straight from the plan's job table (kW × step hours)."""
    j = result.jobs[result.jobs["site_id"].astype(str) == site_id]
    return {
        str(k): float(v) * problem.step_hours
        for k, v in j.groupby(j["job_id"].astype(str))["kw"].sum().items()
    }


def _all_jobs(problem: Problem) -> dict[str, Job]:
    return {j.job_id: j for s in problem.sites for j in s.jobs} | {
        j.job_id: j for j in problem.shared_jobs
    }


def check_consistent(problem: Problem, result) -> None:
    """Run the controller under every site's curve: each job's planned kWh at each site is
    delivered, only in hours that overlap its window and within max_kw over that overlap, and
    across sites each job receives its whole energy (every deadline met)."""
    jobs = _all_jobs(problem)
    delivered_total: dict[str, float] = {}
    for site in problem.sites:
        doc = site_vcc(result, problem, site.site_id)
        _validate(doc)
        planned = _planned_site_kwh(result, problem, site.site_id)
        run = simulate_admission(doc)
        assert run.missed_kwh == {}, (site.site_id, run.missed_kwh)
        for jid, kwh in planned.items():
            assert run.delivered_kwh[jid] == pytest.approx(kwh, abs=TOL), (site.site_id, jid)
            delivered_total[jid] = delivered_total.get(jid, 0.0) + run.delivered_kwh[jid]
        # the hour's total never exceeds the curve
        for used, h in zip(run.used_kwh, doc["hours"], strict=True):
            assert used <= h["capacity_kw"] * 1.0 + TOL
        # deadlines and windows, checked on the timestamps (not the controller's own limits)
        for jid, per_hour in run.hourly_kwh.items():
            job = jobs[jid]
            release = site.index[job.release]
            deadline = (
                site.index[job.deadline]
                if job.deadline < site.n_steps
                else site.index[-1] + pd.Timedelta(hours=site.step_hours)
            )
            for h, kwh in zip(doc["hours"], per_hour, strict=True):
                if kwh <= TOL:
                    continue
                start, end = pd.Timestamp(h["start"]), pd.Timestamp(h["end"])
                assert start < deadline and end > release, (jid, h["start"])
                overlap_h = (min(end, deadline) - max(start, release)) / pd.Timedelta(hours=1)
                assert kwh <= job.max_kw * overlap_h + TOL, (jid, h["start"])
    for jid, job in jobs.items():
        assert delivered_total.get(jid, 0.0) == pytest.approx(job.energy_kwh, abs=TOL), jid


@pytest.mark.parametrize("name", ["yancheng_dc", "east_west_shared"])
def test_controller_under_the_curve_reproduces_the_demo_plan(demo, name):
    problem, result = demo[name]
    check_consistent(problem, result)


@pytest.mark.parametrize(
    ("path", "horizon", "window_days", "milp"),
    [(YANCHENG, "7d", 2, False), (EAST_WEST, "7d", None, False), (YANCHENG, "1d", None, True)],
    ids=["yancheng-7d-rolling-2d", "east-west-7d", "yancheng-milp"],
)
def test_controller_reproduces_multi_day_rolling_and_milp_plans(
    tmp_path, path, horizon, window_days, milp
):
    problem = build_problem(load_scenario(path), None, horizon, tmp_path, milp=milp)
    if window_days:
        problem.options.rolling_window_steps = window_days * round(24 / problem.step_hours)
    result = solve(problem)
    assert result.status == "optimal"
    check_consistent(problem, result)


def _random_problem(seed: int) -> Problem:
    rng = np.random.default_rng(seed)
    freq, sh = [("1h", 1.0), ("15min", 0.25)][seed % 2]
    n = round(24 / sh)
    idx = pd.date_range("2026-07-15", periods=n, freq=freq, tz="Asia/Shanghai")
    sph = round(1 / sh)
    sites = []
    for s in range(1 + seed % 2):
        jobs = []
        for k in range(int(rng.integers(2, 6))):
            rel = int(rng.integers(0, n // 2))
            dl = int(rng.integers(rel + 2 * sph, n + 1))
            max_kw = float(rng.uniform(50, 400))
            energy = float(rng.uniform(0.2, 0.8)) * max_kw * (dl - rel) * sh
            jobs.append(Job(f"s{s}-j{k}", rel, dl, energy, max_kw))
        hour = np.arange(n) * sh % 24
        sites.append(
            Site(
                site_id=f"R{s}",
                uscc=None,
                index=idx,
                step_hours=sh,
                it_base_kw=np.full(n, float(rng.uniform(200, 600))),
                pue=np.full(n, 1.3),
                pv_kw=np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None) * rng.uniform(0, 800),
                wind_kw=np.zeros(n),
                price_cny_per_kwh=rng.uniform(0.2, 1.1, n),
                carbon_kg_per_kwh=rng.uniform(0.4, 0.7, n),
                grid_import_max_kw=5000.0,
                jobs=jobs,
                kw_per_gpu=[None, 0.7][s % 2],
            )
        )
    shared = []
    if len(sites) > 1:
        shared.append(Job("pool", 0, n, 0.5 * 300 * 24, 300.0, sites=("R0", "R1")))
    return Problem(sites=sites, shared_jobs=shared)


@pytest.mark.parametrize("seed", range(6))
def test_controller_under_the_curve_reproduces_random_plans(seed):
    problem = _random_problem(seed)
    result = solve(problem)
    assert result.status == "optimal"
    check_consistent(problem, result)


def test_a_curve_cut_by_ten_percent_in_one_hour_misses_energy(demo):
    problem, result = demo["yancheng_dc"]
    doc = site_vcc(result, problem, "YC-DC-01")
    curve = [h["capacity_kw"] for h in doc["hours"]]
    h = int(np.argmax(curve))
    assert curve[h] > 0
    assert simulate_admission(doc).missed_kwh == {}
    cut = list(curve)
    cut[h] *= 0.9
    run = simulate_admission(doc, curve_kw=cut)
    assert run.missed_kwh, "a curve 10 % short in one hour must leave a job short"
    assert sum(run.missed_kwh.values()) == pytest.approx(0.1 * curve[h], abs=TOL)


def test_curve_alone_is_not_enough_for_plain_edf_the_grants_are():
    """Why each hour carries the per-job grants: with rate limits, earliest deadline first on the
    curve alone can starve a long job (two short jobs with an earlier deadline take the whole
    first hours); with the grants it reproduces the plan."""

    def ts(h: int) -> str:
        return (pd.Timestamp("2026-07-15", tz="Asia/Shanghai") + pd.Timedelta(hours=h)).isoformat()

    def adm(jid: str, dl: int, kw: float) -> dict:
        return {
            "job_id": jid,
            "release": ts(0),
            "deadline": ts(dl),
            "max_kw": 1.0,
            "window_hours": 1.0,
            "planned_kw": kw,
        }

    doc = {
        "hours": [
            {
                "capacity_kw": 2.0,
                "jobs_admitted": [adm("a", 2, 0.5), adm("b", 2, 0.5), adm("c", 3, 1)],
            },
            {
                "capacity_kw": 2.0,
                "jobs_admitted": [adm("a", 2, 0.5), adm("b", 2, 0.5), adm("c", 3, 1)],
            },
            {"capacity_kw": 1.0, "jobs_admitted": [adm("c", 3, 1.0)]},
        ],
        "jobs": [
            {"job_id": "a", "planned_kwh": 1.0},
            {"job_id": "b", "planned_kwh": 1.0},
            {"job_id": "c", "planned_kwh": 3.0},
        ],
    }
    assert simulate_admission(doc).missed_kwh == {}
    plain = simulate_admission(doc, use_grants=False)
    assert plain.missed_kwh == pytest.approx({"c": 1.0})


def test_daily_totals_are_preserved_over_a_week(tmp_path):
    raw = small_raw()
    raw["horizon"] = "7d"
    raw["step"] = "15min"
    sc = parse_scenario(yaml.safe_dump(raw), tmp_path / "small.yaml")
    problem = build_problem(sc, None, None, tmp_path)
    result = solve(problem)
    assert result.ok
    doc = site_vcc(result, problem, "S1")
    plan = result.plan[result.plan["site_id"] == "S1"]
    by_day = (plan["job_kw"] * problem.step_hours).groupby(plan["ts"].dt.date).sum()
    assert [d["date"] for d in doc["days"]] == [d.isoformat() for d in by_day.index]
    assert len(doc["days"]) == 7
    for d, kwh in zip(doc["days"], by_day.to_numpy(), strict=True):
        assert d["flexible_kwh"] == pytest.approx(kwh, rel=1e-12, abs=1e-9)
        hours = [h["capacity_kw"] for h in doc["hours"] if h["start"].startswith(d["date"])]
        assert len(hours) == 24
        assert math.fsum(hours) * 1.0 == pytest.approx(d["flexible_kwh"], rel=1e-12, abs=1e-9)
        # the daily job (1200 kWh/day) is the day's flexible work
        assert d["flexible_kwh"] == pytest.approx(1200.0, abs=TOL)
    assert doc["total_flexible_kwh"] == pytest.approx(by_day.sum(), rel=1e-12)
    assert len(doc["hours"]) == 7 * 24
    assert doc["hours"][0]["start"] == "2026-07-15T00:00:00+08:00"
    assert doc["hours"][-1]["end"] == "2026-07-22T00:00:00+08:00"
    check_consistent(problem, result)


def test_gpus_where_the_site_gives_kw_per_gpu(demo):
    problem, result = demo["yancheng_dc"]
    gpu_site = site_vcc(result, problem, "YC-DC-01")
    assert gpu_site["kw_per_gpu"] == 1.3
    assert any(h["gpus"] > 0 for h in gpu_site["hours"])
    for h in gpu_site["hours"]:
        assert h["gpus"] == math.floor(h["capacity_kw"] / 1.3 + 1e-9)
        assert h["gpus"] * 1.3 <= h["capacity_kw"] + 1e-9
    other = site_vcc(result, problem, "YC-DC-02")
    assert other["kw_per_gpu"] is None
    assert all(h["gpus"] is None for h in other["hours"])


def test_kw_per_gpu_must_be_positive(tmp_path):
    raw = small_raw()
    for bad, msg in ((0, "must be > 0"), ("1.3", "must be a number")):
        raw["sites"][0]["kw_per_gpu"] = bad
        with pytest.raises(ScenarioError, match=rf"sites\[0\]\.kw_per_gpu.*{msg}"):
            parse_scenario(yaml.safe_dump(raw), tmp_path / "bad.yaml")


def test_json_validates_and_csv_has_the_same_numbers(demo, tmp_path):
    problem, result = demo["east_west_shared"]
    for site in problem.sites:
        doc = site_vcc(result, problem, site.site_id, plan_date="2026-07-15", scenario="ew")
        js, csv = write_vcc(doc, tmp_path, f"2026-07-15__{site.site_id}")
        back = read_vcc(js)
        _validate(back)
        assert back == doc
        table = read_vcc_csv(csv)
        assert list(table.columns) == list(vcc_frame(doc).columns)
        assert table["capacity_kw"].tolist() == [h["capacity_kw"] for h in doc["hours"]]
        assert table["start"].tolist() == [h["start"] for h in doc["hours"]]
        assert table["gpus"].isna().all()
        assert table["jobs_admitted"].tolist() == [
            " ".join(a["job_id"] for a in h["jobs_admitted"]) for h in doc["hours"]
        ]
    # the schema is not vacuous: a negative capacity or a missing unit field fails
    bad = json.loads(json.dumps(doc))
    bad["hours"][0]["capacity_kw"] = -1.0
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)
    del bad["timezone"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)


def test_plan_group_writes_the_curves_atomically_and_idempotently(tmp_path):
    home = tmp_path / "home"
    sc = load_scenario(YANCHENG)
    out = plan_group(sc, None, None, None, home, png=False)
    assert out.ok, out.error or out.explanation
    vdir = home / "outputs" / "dispatch" / "vcc"
    expected = sorted(
        str(vdir / f"2026-07-15__{s}.{ext}") for s in sc.site_ids for ext in ("json", "csv")
    )
    assert sorted(out.vccs) == expected
    assert out.summary()["vccs"] == out.vccs
    first = {p: Path(p).read_bytes() for p in out.vccs}
    for p in out.vccs:
        if p.endswith(".json"):
            _validate(read_vcc(p))
    again = plan_group(sc, None, None, None, home, png=False)
    assert {p: Path(p).read_bytes() for p in again.vccs} == first
    # no temporary files left beside them
    assert sorted(str(p) for p in vdir.iterdir()) == expected


def test_bad_input_is_named(demo):
    problem, result = demo["yancheng_dc"]
    with pytest.raises(ValueError, match="site 'NOPE' is not in the problem"):
        site_vcc(result, problem, "NOPE")
    failed = type(result)(**{**result.__dict__, "status": "infeasible"})
    with pytest.raises(ValueError, match=r"no plan .*status infeasible"):
        site_vcc(failed, problem, "YC-DC-01")
    n = 12
    idx = pd.date_range("2026-07-15", periods=n, freq="2h", tz="Asia/Shanghai")
    z = np.zeros(n)
    coarse = Site("C", None, idx, 2.0, np.full(n, 10.0), np.full(n, 1.2), z, z, z + 0.5, z + 0.5)
    p2 = Problem(sites=[coarse])
    r2 = solve(p2)
    with pytest.raises(ValueError, match=r"step of 2\.0 h does not divide one hour"):
        site_vcc(r2, p2, "C")
    with pytest.raises(ValueError, match="curve has 3 hours, the VCC 24"):
        simulate_admission(site_vcc(result, problem, "YC-DC-01"), curve_kw=[1.0, 2.0, 3.0])
