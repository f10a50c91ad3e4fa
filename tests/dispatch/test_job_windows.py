"""Jobs that cannot be planned are scenario errors naming the job and the key (issue 9, item 13);
a window the horizon cuts is planned with a warning, a KPI and a line in the explanation."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import small_raw

from carbon.cli import main as carbon_main
from optimizers import Job, Problem, Site, solve
from optimizers.scenario import ScenarioError, build_problem, parse_scenario


def _raw(**job) -> dict:
    raw = copy.deepcopy(small_raw())
    raw["sites"][0]["jobs"][0].update(job)
    return raw


def _build(raw: dict, tmp_path, horizon: str | None = None):
    sc = parse_scenario(yaml.safe_dump(raw), tmp_path / "s.yaml")
    return build_problem(sc, horizon=horizon, home=tmp_path)


@pytest.mark.parametrize(
    ("job", "key", "words"),
    [
        ({"release": "08:00", "deadline": "08:00"}, "deadline", "at or before its release"),
        ({"release": "10:00", "deadline": "06:00"}, "deadline", "at or before its release"),
        (
            {"release": "2026-07-15T10:00", "deadline": "2026-07-15T09:00"},
            "deadline",
            "at or before its release",
        ),
        ({"release": "00:00", "deadline": "02:00", "min_run": "3h"}, "min_run", "longer than"),
    ],
)
def test_static_window_errors_at_load(job, key, words, tmp_path):
    with pytest.raises(ScenarioError) as ei:
        parse_scenario(yaml.safe_dump(_raw(**job)), "bad.yaml")
    e = ei.value
    assert e.key == f"sites[0].jobs[0].{key}", str(e)
    assert "job batch" in e.problem and words in e.problem
    assert str(e).startswith(f"bad.yaml: sites[0].jobs[0].{key}: job batch")


@pytest.mark.parametrize(
    ("job", "key", "words"),
    [
        # one-off job outside the 1-day horizon (after it, and before it)
        (
            {"release": "2026-08-01T00:00", "deadline": "2026-08-01T06:00"},
            "release",
            "outside the plan horizon",
        ),
        (
            {"release": "2026-07-10T00:00", "deadline": "2026-07-10T06:00"},
            "deadline",
            "outside the plan horizon",
        ),
        # a daily job whose first window starts after the horizon
        ({"release": "30:00", "deadline": "32:00"}, "release", "outside the plan horizon"),
        # shorter than one hourly step once rounded inward
        ({"release": "00:10", "deadline": "00:50"}, "deadline", "no whole step"),
        # clock release, ISO deadline before it (only the plan steps can tell)
        ({"release": "12:00", "deadline": "2026-07-15T06:00"}, "deadline", "no whole step"),
        # the horizon cuts the window to 2 steps, shorter than the minimum run
        ({"release": "22:00", "deadline": "30:00", "min_run": "3h"}, "min_run", "cut by the plan"),
    ],
)
def test_window_errors_on_the_plan_steps(job, key, words, tmp_path):
    with pytest.raises(ScenarioError) as ei:
        _build(_raw(**job), tmp_path)
    e = ei.value
    assert e.key == f"sites[0].jobs[0].{key}", str(e)
    assert "job batch" in e.problem and words in e.problem
    assert e.source == str(tmp_path / "s.yaml")


def test_shared_job_error_names_its_own_key(tmp_path):
    raw = small_raw()
    raw["jobs"] = [
        {
            "job_id": "pool-a",
            "release": "2026-09-01T00:00",
            "deadline": "2026-09-01T04:00",
            "energy_kwh": 100,
            "max_kw": 100,
        }
    ]
    with pytest.raises(ScenarioError) as ei:
        _build(raw, tmp_path)
    assert ei.value.key == "jobs[0].release" and "job pool-a" in ei.value.problem


def test_cut_window_planned_with_warning_kpi_and_explanation(tmp_path):
    # 22:00 – 30:00 on a 1-day hourly horizon: steps [22, 24) of the 8 asked for
    p = _build(_raw(release="22:00", deadline="30:00", energy_kwh=500, max_kw=400), tmp_path)
    job = p.sites[0].jobs[0]
    assert (job.release, job.deadline, job.requested_window) == (22, 24, (22, 30))
    r = solve(p)
    assert r.status == "optimal"
    assert any("job batch" in w and "cut by the plan horizon" in w for w in r.warnings)
    assert r.kpis.loc[0, "jobs_clipped"] == 1 and r.kpis.loc[0, "jobs_on_time"] == 1
    # more energy than the cut window holds: the explanation says the window was cut
    bad = solve(
        _build(_raw(release="22:00", deadline="30:00", energy_kwh=1000, max_kw=400), tmp_path)
    )
    assert bad.status == "infeasible"
    assert "job_energy of job batch" in bad.explanation
    assert "cut by the plan horizon from [22, 30) to [22, 24)" in bad.explanation
    # over 2 days the first instance is whole; the last day's one is cut
    p2 = _build(_raw(release="22:00", deadline="30:00", energy_kwh=500, max_kw=400), tmp_path, "2d")
    cut = {j.job_id: j.requested_window for j in p2.sites[0].jobs}
    assert cut == {"batch": None, "batch@2026-07-16": (46, 54)}


def test_daily_instance_after_the_horizon_is_noted(tmp_path):
    # 26:00 – 30:00 daily on a 2-day horizon: day 0's window is steps [26, 30), inside; day 1's
    # would be [50, 54), after the end (48): left to the next plan, with a note
    p = _build(_raw(release="26:00", deadline="30:00", energy_kwh=100, max_kw=400), tmp_path, "2d")
    assert [j.job_id for j in p.sites[0].jobs] == ["batch"]
    r = solve(p)
    assert any("batch@2026-07-16" in w and "later plan" in w for w in r.warnings)


def _site(n: int, jobs: list[Job]) -> Site:
    idx = pd.date_range("2026-07-15", periods=n, freq="1h", tz="Asia/Shanghai")
    z = np.zeros(n)
    return Site(
        site_id="A",
        uscc=None,
        index=idx,
        step_hours=1.0,
        it_base_kw=np.full(n, 100.0),
        pue=np.full(n, 1.2),
        pv_kw=z,
        wind_kw=z,
        price_cny_per_kwh=np.full(n, 0.5),
        carbon_kg_per_kwh=np.full(n, 0.6),
        jobs=jobs,
    )


def test_api_rejects_min_run_longer_than_window_and_empty_window():
    long_run = Job("j-long", release=2, deadline=5, energy_kwh=10, max_kw=10, min_run_steps=4)
    with pytest.raises(ValueError, match=r"job j-long: min_run_steps \(4\) is longer"):
        solve(Problem(sites=[_site(8, [long_run])]))
    empty = Job("j-empty", release=5, deadline=5, energy_kwh=10, max_kw=10)
    with pytest.raises(ValueError, match="job j-empty: need 0 ≤ release < deadline"):
        solve(Problem(sites=[_site(8, [empty])]))


def test_cli_exits_nonzero_naming_job_and_key(tmp_path, capsys):
    for job, key in (
        ({"release": "10:00", "deadline": "06:00"}, "sites[0].jobs[0].deadline"),
        (
            {"release": "2026-08-01T00:00", "deadline": "2026-08-01T06:00"},
            "sites[0].jobs[0].release",
        ),
        ({"release": "00:00", "deadline": "02:00", "min_run": "3h"}, "sites[0].jobs[0].min_run"),
    ):
        f = tmp_path / "bad.yaml"
        f.write_text(yaml.safe_dump(_raw(**job)), encoding="utf-8")
        rc = carbon_main(["--home", str(tmp_path / "h"), "dispatch", "--scenario", str(f)])
        out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
        assert rc == 1, out
        assert key in out and "job batch" in out, out
        assert "jobs 0/0" not in out and "optimal" not in out
