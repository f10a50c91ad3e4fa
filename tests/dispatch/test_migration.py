"""Moving shared jobs between sites (东数西算, issue 13 §5): migration cost, the link's daily data
budget, the link's transfer time, the moves table and the KPIs, on small hand-made problems
that HiGHS really solves; and the scenario keys with their named errors."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import EAST_WEST

from optimizers import solve
from optimizers.problem import Job, Link, Problem, Site
from optimizers.runner import site_moves
from optimizers.scenario import ScenarioError, build_problem, parse_scenario

N = 24
# flat prices (CNY/kWh): running the job at the cheap site saves (1.0 − 0.2) × PUE per kWh
PRICE = {"HOME": 1.0, "FAR": 0.2}


def site(sid: str) -> Site:
    idx = pd.date_range("2026-07-15", periods=N, freq="h", tz="Asia/Shanghai")
    return Site(
        site_id=sid,
        uscc=None,
        index=idx,
        step_hours=1.0,
        it_base_kw=np.full(N, 100.0),
        pue=np.full(N, 1.0),
        pv_kw=np.zeros(N),
        wind_kw=np.zeros(N),
        price_cny_per_kwh=np.full(N, PRICE[sid]),
        carbon_kg_per_kwh=np.zeros(N),
        grid_import_max_kw=1000.0,
    )


def problem(
    *,
    migration_cny: float = 0.0,
    data_gb: float = 0.0,
    links: list[Link] | None = None,
    deadline: int = N,
    energy_kwh: float = 1000.0,
) -> Problem:
    job = Job(
        job_id="train",
        release=0,
        deadline=deadline,
        energy_kwh=energy_kwh,
        max_kw=200.0,
        sites=("HOME", "FAR"),
        home_site="HOME",
        data_gb=data_gb,
        migration_cost_cny=migration_cny,
    )
    return Problem(sites=[site("HOME"), site("FAR")], shared_jobs=[job], links=links or [])


def kwh_at(res, sid: str, job_id: str = "train") -> float:
    j = res.jobs
    return float(j[(j["site_id"] == sid) & (j["job_id"] == job_id)]["kw"].sum()) * 1.0


def test_moves_when_migration_is_cheaper_than_the_saving_and_stays_otherwise():
    saving = 1000.0 * (PRICE["HOME"] - PRICE["FAR"])  # CNY of running all of it far away
    cheap = solve(problem(migration_cny=0.5 * saving))
    assert cheap.status == "optimal"
    assert kwh_at(cheap, "FAR") == pytest.approx(1000.0, abs=1e-6)
    assert kwh_at(cheap, "HOME") == pytest.approx(0.0, abs=1e-6)
    mv = cheap.moves
    assert len(mv) == 1
    r = mv.iloc[0]
    assert (r["job_id"], r["from_site"], r["to_site"]) == ("train", "HOME", "FAR")
    assert r["moved_share"] == pytest.approx(1.0, abs=1e-9)
    assert r["migration_cost_cny"] == pytest.approx(0.5 * saving)

    dear = solve(problem(migration_cny=1.5 * saving))
    assert dear.status == "optimal"
    assert kwh_at(dear, "HOME") == pytest.approx(1000.0, abs=1e-6)
    assert kwh_at(dear, "FAR") == pytest.approx(0.0, abs=1e-6)
    assert dear.moves.empty
    k = dear.kpis.set_index("site_id")
    assert k.loc["FAR", "jobs_moved_in"] == 0
    assert k.loc["HOME", "shared_jobs_run"] == 1
    # the migration cost is in the objective: moving cost half the saving, so the cheap plan
    # costs exactly that much more than a free move would
    free = solve(problem())
    assert cheap.objective - free.objective == pytest.approx(0.5 * saving, rel=1e-9)


def test_link_budget_caps_the_moved_share():
    fast = dict(gbit_s=100.0)  # 100 GB take 8 s: the transfer time plays no part here
    budget = 40.0
    res = solve(
        problem(data_gb=100.0, links=[Link("HOME", "FAR", budget_gb_per_day=budget, **fast)])
    )
    assert res.status == "optimal"
    r = res.moves.iloc[0]
    assert r["moved_share"] == pytest.approx(budget / 100.0, abs=1e-9)
    assert r["data_gb"] == pytest.approx(budget, abs=1e-6)
    assert kwh_at(res, "FAR") == pytest.approx(1000.0 * budget / 100.0, abs=1e-6)
    assert "link_budget" in set(res.binding["family"])
    # a budget above data_gb does not bind: the whole job moves
    big = solve(problem(data_gb=100.0, links=[Link("HOME", "FAR", budget_gb_per_day=500, **fast)]))
    assert big.moves.iloc[0]["moved_share"] == pytest.approx(1.0, abs=1e-9)


def test_transfer_time_keeps_the_job_at_home_in_the_first_hours():
    # 100 GB at 0.1 Gbit/s: 100·8/0.1/3600 = 2.22 h, so no kW far away in steps 0, 1, 2;
    # the 6 h window needs 5 h at 200 kW: 3 h far (steps 3–5), the other 400 kWh at home
    slow = Link("HOME", "FAR", gbit_s=0.1, budget_gb_per_day=1e6)
    res = solve(problem(data_gb=100.0, links=[slow], deadline=6))
    assert res.status == "optimal"
    j = res.jobs
    far = j[(j["site_id"] == "FAR")]
    assert (far["step"] >= 3).all() and not far.empty
    assert kwh_at(res, "FAR") == pytest.approx(600.0, abs=1e-6)
    assert kwh_at(res, "HOME") == pytest.approx(400.0, abs=1e-6)
    home = j[(j["site_id"] == "HOME")]
    # its 400 kWh at home run in the steps it cannot run far away (any two of them: same price)
    assert set(home["step"]) <= {0, 1, 2}
    assert res.moves.iloc[0]["transfer_hours"] == pytest.approx(100 * 8 / 0.1 / 3600)
    # a fast link: the same job runs all of it far away
    fast = Link("HOME", "FAR", gbit_s=100.0, budget_gb_per_day=1e6)
    quick = solve(problem(data_gb=100.0, links=[fast], deadline=6))
    assert kwh_at(quick, "FAR") == pytest.approx(1000.0, abs=1e-6)


def test_kpis_and_moves_agree_with_the_plan_energies():
    link = Link("HOME", "FAR", gbit_s=1.0, budget_gb_per_day=30.0)
    res = solve(problem(data_gb=100.0, migration_cny=50.0, links=[link]))
    assert res.status == "optimal"
    far_kwh = kwh_at(res, "FAR")
    share = far_kwh / 1000.0
    assert 0 < share < 1  # the budget makes a partial move
    r = res.moves.iloc[0]
    assert r["moved_kwh"] == pytest.approx(far_kwh, abs=1e-6)
    assert r["moved_share"] == pytest.approx(share, abs=1e-6)
    assert r["data_gb"] == pytest.approx(100.0 * share, abs=1e-6)
    assert r["migration_cost_cny"] == pytest.approx(50.0 * share, abs=1e-6)
    k = res.kpis.set_index("site_id")
    ran = res.jobs.groupby("site_id")["job_id"].nunique()
    for sid in ("HOME", "FAR"):
        assert k.loc[sid, "shared_jobs_run"] == ran.get(sid, 0)
    assert k.loc["FAR", "jobs_moved_in"] == 1 and k.loc["HOME", "jobs_moved_in"] == 0
    assert k.loc["FAR", "migration_cost_cny"] == pytest.approx(50.0 * share, abs=1e-6)
    assert k.loc["FAR", "data_moved_gb"] == pytest.approx(100.0 * share, abs=1e-6)
    assert k.loc["HOME", "migration_cost_cny"] == 0.0
    assert k.loc["HOME", "data_moved_gb"] == 0.0
    # the objective is the sum of the sites' costs, migration included
    assert res.objective == pytest.approx(float(k["cost_cny"].sum()), rel=1e-9)
    # the KPI JSON's moves of each site
    assert site_moves(res, "FAR")[0]["moved_kwh"] == pytest.approx(far_kwh, abs=1e-6)
    assert site_moves(res, "HOME") == site_moves(res, "FAR")


def test_problem_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="no link HOME -> FAR: the job cannot move to FAR"):
        solve(problem(data_gb=10.0))
    with pytest.raises(ValueError, match="unknown site 'XX'"):
        solve(problem(links=[Link("HOME", "XX", 1.0, 1.0)]))
    with pytest.raises(ValueError, match="data_gb must be ≥ 0"):
        solve(problem(data_gb=-1.0))
    with pytest.raises(ValueError, match="gbit_s must be > 0"):
        solve(problem(links=[Link("HOME", "FAR", 0.0, 1.0)]))


# ------------------------------------------------------------------------- scenario keys


def east_west(**job_keys) -> dict:
    raw = yaml.safe_load(EAST_WEST.read_text(encoding="utf-8"))
    raw["jobs"][0].update(job_keys)
    return raw


def test_scenario_keys_build_links_and_moving_jobs(tmp_path):
    raw = east_west(home_site="YC-DC-01", data_gb=2000, migration_cost_cny=300)
    raw["links"] = [{"from": "YC-DC-01", "to": "NX-ZW01", "gbit_s": 10, "budget_gb_per_day": 1500}]
    p = build_problem(parse_scenario(yaml.safe_dump(raw)), home=tmp_path)
    job = next(j for j in p.shared_jobs if j.job_id == "train-llm-a")
    assert (job.home_site, job.data_gb, job.migration_cost_cny) == ("YC-DC-01", 2000.0, 300.0)
    assert p.links == [Link("YC-DC-01", "NX-ZW01", 10.0, 1500.0)]
    res = solve(p)
    assert res.status == "optimal"
    mv = res.moves[res.moves["job_id"] == "train-llm-a"]
    # the budget (1500 of 2000 GB) caps the share moved west
    assert len(mv) == 1 and mv.iloc[0]["moved_share"] <= 0.75 + 1e-9
    # 2000 GB at 10 Gbit/s: 0.44 h, so the job cannot run in Ningxia in hour 0
    j = res.jobs
    assert j[(j["job_id"] == "train-llm-a") & (j["site_id"] == "NX-ZW01")]["step"].min() >= 1


@pytest.mark.parametrize(
    "edit, key, text",
    [
        (lambda r: r["jobs"][0].update(data_gb=-5), "jobs[0].data_gb", "must be >= 0"),
        (
            lambda r: r["jobs"][0].update(data_gb=100),
            "jobs[0].data_gb",
            "no link YC-DC-01 -> NX-ZW01 in links: it cannot move to NX-ZW01",
        ),
        (
            lambda r: r["jobs"][0].update(home_site="NOWHERE"),
            "jobs[0].home_site",
            "is not one of the job's sites",
        ),
        (
            lambda r: r.update(
                links=[{"from": "YC-DC-01", "to": "XX", "gbit_s": 1, "budget_gb_per_day": 1}]
            ),
            "links[0].to",
            "unknown site_id 'XX'",
        ),
        (
            lambda r: r.update(
                links=[{"from": "YC-DC-01", "to": "NX-ZW01", "gbit_s": 0, "budget_gb_per_day": 1}]
            ),
            "links[0].gbit_s",
            "must be > 0",
        ),
        (
            lambda r: (
                r["sites"][0]
                .setdefault("jobs", [])
                .append(
                    {
                        "job_id": "local",
                        "release": "00:00",
                        "deadline": "08:00",
                        "energy_kwh": 10,
                        "max_kw": 5,
                        "data_gb": 1,
                    }
                )
            ),
            "sites[0].jobs[0].data_gb",
            "only shared (top-level) jobs can move",
        ),
    ],
)
def test_scenario_errors_name_the_key(edit, key, text):
    raw = copy.deepcopy(east_west())
    edit(raw)
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(yaml.safe_dump(raw))
    assert exc.value.key == key
    assert text in str(exc.value)


def test_chart_tags_the_shared_jobs_a_site_runs():
    from optimizers.plot import SHARED_HATCH, schedule_figure
    from optimizers.runner import shared_tags

    link = Link("HOME", "FAR", gbit_s=1.0, budget_gb_per_day=30.0)
    p = problem(data_gb=100.0, migration_cny=50.0, links=[link])
    res = solve(p)
    for sid, tag in (("FAR", "moved in from HOME 迁入"), ("HOME", "shared 共享")):
        jobs = res.jobs[res.jobs["site_id"] == sid]
        tags = shared_tags(res, p, sid, set(jobs["job_id"].astype(str)))
        assert tags == {"train": tag}
        fig = schedule_figure(res.plan[res.plan["site_id"] == sid], jobs, shared_jobs=tags)
        gantt = fig.axes[2]
        labels = [t.get_text() for t in gantt.get_yticklabels()]
        assert labels == [f"train\n[{tag}]"]
        assert any(b.get_hatch() == SHARED_HATCH for b in gantt.patches)


def test_intraday_replan_of_a_moving_plan_is_a_named_error():
    from optimizers.mpc import MeasuredState, replan

    p = problem(migration_cny=50.0)
    with pytest.raises(ValueError, match="not supported in a window of the plan"):
        replan(p, 6, MeasuredState())
    # the same re-plan of the free pool job runs
    free = dataclasses.replace(
        p, shared_jobs=[dataclasses.replace(p.shared_jobs[0], home_site=None, migration_cost_cny=0)]
    )
    assert replan(free, 6, MeasuredState()).result.status == "optimal"


def test_rolling_horizon_with_moves_is_a_named_error():
    p = problem(migration_cny=50.0)
    p.options = dataclasses.replace(p.options, rolling_window_steps=12)
    with pytest.raises(ValueError, match="not supported with a rolling horizon"):
        solve(p)


def test_carbon_dispatch_writes_the_moves(tmp_path, capsys):
    """``carbon dispatch`` on scenarios/east_west_moves.yaml: the lake KPIs and the KPI JSON
    carry the moves, and they agree with the plan's job energies in the lake."""
    import json

    import pyarrow.parquet as pq
    from dispatch_helpers import REPO

    from carbon.cli import main as carbon_main

    scenario = REPO / "scenarios" / "east_west_moves.yaml"
    assert carbon_main(["--home", str(tmp_path), "dispatch", "--scenario", str(scenario)]) == 0
    printed = capsys.readouterr().out
    assert "moves between sites 跨站迁移" in printed and "train-vision-b" in printed, printed
    lake = tmp_path / "lake"
    kwh: dict[tuple[str, str], float] = {}
    for f in (lake / "dispatch_job_plans").glob("*/*.parquet"):
        for r in pq.read_table(f).to_pylist():
            key = (r["job_id"], r["site_id"])
            kwh[key] = kwh.get(key, 0.0) + r["kw"] * r["step_hours"]
    raw = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    spec = {j["job_id"]: j for j in raw["jobs"]}
    out = tmp_path / "outputs" / "dispatch"
    nx = json.loads((out / "2026-07-15__NX-ZW01.kpis.json").read_text(encoding="utf-8"))
    assert nx["moves"], "the scenario is built so that work moves west"
    gb = cny = 0.0
    for mv in nx["moves"]:
        j = spec[mv["job_id"]]
        moved = kwh[(mv["job_id"], "NX-ZW01")]
        assert mv["moved_kwh"] == pytest.approx(moved, abs=1e-6)
        assert mv["moved_share"] == pytest.approx(moved / j["energy_kwh"], abs=1e-6)
        gb += j["data_gb"] * moved / j["energy_kwh"]
        cny += j["migration_cost_cny"] * moved / j["energy_kwh"]
    assert nx["data_moved_gb"] == pytest.approx(gb, abs=1e-6)
    assert nx["migration_cost_cny"] == pytest.approx(cny, abs=1e-6)
    assert nx["jobs_moved_in"] == len(nx["moves"])
    # the day's data over the link stays within its budget
    assert gb <= raw["links"][0]["budget_gb_per_day"] + 1e-6
    k = pq.read_table(lake / "dispatch_kpis" / "plan=2026-07-15__NX-ZW01").to_pylist()[0]
    assert k["data_moved_gb"] == pytest.approx(gb, abs=1e-6)
    assert k["shared_jobs_run"] == len({j for (j, s) in kwh if s == "NX-ZW01" and j in spec})


def test_infeasible_link_budget_is_explained_in_gb():
    # the home site can carry only its base load: the whole job (100 GB) must move, the link
    # takes 10 GB a day
    p = problem(data_gb=100.0, links=[Link("HOME", "FAR", gbit_s=100.0, budget_gb_per_day=10.0)])
    p.sites[0].grid_import_max_kw = 100.0
    res = solve(p)
    assert res.status == "infeasible"
    assert "link_budget of the link HOME -> FAR" in res.explanation
    assert "90.0 GB more data than its daily budget of 10.0 GB" in res.explanation
    # with the budget the job needs, it is feasible and moves all of it
    p.links = [Link("HOME", "FAR", gbit_s=100.0, budget_gb_per_day=100.0)]
    ok = solve(p)
    assert ok.status == "optimal" and ok.moves.iloc[0]["moved_share"] == pytest.approx(1.0)


def test_milp_mode_keeps_the_budget_and_the_transfer_time():
    from optimizers.problem import Options

    p = problem(data_gb=100.0, migration_cny=50.0, links=[Link("HOME", "FAR", 0.1, 40.0)])
    p.options = Options(milp=True, job_integrality=True)
    p.shared_jobs[0] = dataclasses.replace(
        p.shared_jobs[0], preemptible=False, min_kw_when_running=50.0
    )
    res = solve(p)
    assert res.status == "optimal"
    assert res.moves.iloc[0]["moved_share"] == pytest.approx(0.4, abs=1e-6)
    far = res.jobs[res.jobs["site_id"] == "FAR"]
    assert (far["step"] >= 3).all()  # 2.22 h of transfer
