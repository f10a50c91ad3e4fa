"""optimizers.vcc.schedule_vcc: the curve from a per-job schedule (what the intraday re-plan
composes) equals site_vcc's on a solved plan's own jobs; a re-plan's fields are placed in the
document; a bad schedule is refused naming the job and step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizers.scenario import DEFAULT_SCENARIO, build_problem, load_scenario
from optimizers.solve import solve
from optimizers.vcc import schedule_vcc, site_vcc


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    sc = load_scenario(str(DEFAULT_SCENARIO))
    problem = build_problem(sc, None, None, tmp_path_factory.mktemp("vs"))
    result = solve(problem)
    assert result.status == "optimal"
    return problem, result


def _schedule(result, site_id: str) -> pd.DataFrame:
    j = result.jobs[result.jobs["site_id"].astype(str) == site_id]
    return j[["job_id", "step", "kw"]].reset_index(drop=True)


def test_schedule_vcc_is_site_vcc_on_the_plans_jobs_and_adds_the_revision(plan):
    problem, result = plan
    for site in problem.sites:
        sched = _schedule(result, site.site_id)
        doc = site_vcc(result, problem, site.site_id, plan_date="2026-07-15", scenario="x")
        same = schedule_vcc(
            sched,
            problem,
            site.site_id,
            status=result.status,
            solver=result.solver,
            plan_date="2026-07-15",
            scenario="x",
        )
        assert same == doc
        # the same kWh split over two rows of one (job, step) sums to the same curve
        half = sched.assign(kw=sched["kw"] / 2)
        split = schedule_vcc(
            pd.concat([half, half]), problem, site.site_id, status="optimal", solver="highs"
        )
        for a, b in zip(split["hours"], doc["hours"], strict=True):
            assert a["capacity_kw"] == pytest.approx(b["capacity_kw"], abs=1e-9)
    rev = {"revision": "replan", "replan_k": 57, "replan_start": "x", "based_on": []}
    site_id = problem.sites[0].site_id
    doc = schedule_vcc(
        _schedule(result, site_id), problem, site_id, status="optimal", solver="highs", revision=rev
    )
    keys = list(doc)
    assert keys[keys.index("solver") + 1 : keys.index("solver") + 5] == list(rev)
    assert "revision" not in site_vcc(result, problem, site_id)


def test_a_bad_schedule_is_refused_naming_the_job_and_step(plan):
    problem, result = plan
    site = problem.sites[0]
    sched = _schedule(result, site.site_id)
    kw = dict(status="optimal", solver="highs")
    row = sched.iloc[[0]]
    job = row["job_id"].iloc[0]
    with pytest.raises(ValueError, match=f"job {job} is scheduled at step {site.n_steps}, outside"):
        schedule_vcc(pd.concat([sched, row.assign(step=site.n_steps)]), problem, site.site_id, **kw)
    with pytest.raises(ValueError, match="outside the plan's steps"):
        schedule_vcc(pd.concat([sched, row.assign(step=-1)]), problem, site.site_id, **kw)
    with pytest.raises(ValueError, match=f"job {job} has no finite planned power"):
        schedule_vcc(pd.concat([sched, row.assign(kw=np.nan)]), problem, site.site_id, **kw)
    with pytest.raises(ValueError, match="negative planned power"):
        schedule_vcc(pd.concat([sched, row.assign(kw=-5.0)]), problem, site.site_id, **kw)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['kw'\]"):
        schedule_vcc(sched.drop(columns="kw"), problem, site.site_id, **kw)
    with pytest.raises(ValueError, match="planned jobs not in the problem"):
        schedule_vcc(pd.concat([sched, row.assign(job_id="ghost")]), problem, site.site_id, **kw)
