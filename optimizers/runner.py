"""The dispatch runner: plan a group of sites and write the plans, for the CLI and the DAG.

``plan_group`` (build → solve → write lake partitions, KPI files and PNGs for a group of sites
solved together) and ``write_plans`` are the one path from a scenario to the lake: both
``carbon dispatch`` (``optimizers.cli``) and the Airflow DAG ``dispatch_day_ahead`` call them.
This is where the dispatch plan is written to the lake.

Lake layout (documented in docs/dispatch.md)::

    <home>/lake/dispatch_plans/plan=<YYYY-MM-DD>__<site_id>/part-0.parquet   one row per step
    <home>/lake/dispatch_kpis/plan=<YYYY-MM-DD>__<site_id>/part-0.parquet    one row (the KPIs)
    <home>/lake/dispatch_job_plans/plan=<YYYY-MM-DD>__<site_id>/part-0.parquet  job × step kW
    <home>/outputs/dispatch/<YYYY-MM-DD>__<site_id>.png / .kpis.json
    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>.json / .csv   virtual capacity curves

``carbon.pipeline.lake.write_partition`` takes one partition key, and each mapped DAG task must own its own
partition (no two tasks writing one file), so the key is ``plan`` with value
``<plan date>__<site_id>``; ``plan_date`` and ``site_id`` are also stored as columns, so readers
never parse the partition value. The plan date is the first day of the horizon.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from optimizers.lake_keys import JOB_PLANS, KPIS, PLAN_KEY, PLANS, partition_value

DEFAULT_CARBON_PRICES = (0.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)


# ----------------------------------------------------------------------------- pure shaping
def plans_schema():
    """Arrow schema of ``dispatch_plans`` (generated from ``carbon.domain.datasets.OUTPUTS``)."""
    from optimizers.lake_schemas import DISPATCH_PLANS

    return DISPATCH_PLANS


def kpis_schema():
    """Arrow schema of ``dispatch_kpis`` (generated from ``carbon.domain.datasets.OUTPUTS``)."""
    from optimizers.lake_schemas import DISPATCH_KPIS

    return DISPATCH_KPIS


def job_plans_schema():
    """Arrow schema of ``dispatch_job_plans`` (generated from ``carbon.domain.datasets.OUTPUTS``)."""
    from optimizers.lake_schemas import DISPATCH_JOB_PLANS

    return DISPATCH_JOB_PLANS


def site_job_frame(
    result, problem, site_id: str, scenario: str, plan_date: date, replan_k: int | None = None
):
    """The per-job kW of one site (non-zero steps only), in the ``dispatch_job_plans`` schema:
    what the intraday re-plan needs to know which energy each job has already had.
    ``replan_k`` is ``None`` for the day-ahead plan, else the re-plan's first step."""
    import pandas as pd

    site = next(s for s in problem.sites if s.site_id == site_id)
    jb = result.jobs[(result.jobs["site_id"] == site_id) & (result.jobs["kw"] > 1e-9)]
    jb = jb.sort_values(["job_id", "step"]).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "plan_date": pd.Series([plan_date] * len(jb), dtype="object"),
            "site_id": site_id,
            "uscc": site.uscc,
            "scenario": scenario,
            "replan_k": pd.array([replan_k] * len(jb), dtype="Int64"),
            "job_id": jb["job_id"].astype(str).to_numpy(),
            "ts": site.index[jb["step"].to_numpy(dtype=int)],
            "step_hours": float(site.step_hours),
            "kw": jb["kw"].astype("float64").to_numpy(),
        }
    )
    return out[job_plans_schema().names]


def site_plan_frame(result, problem, site_id: str, scenario: str, plan_date: date):
    """The plan rows of one site, in the ``dispatch_plans`` schema."""
    import pandas as pd

    site = next(s for s in problem.sites if s.site_id == site_id)
    df = result.plan[result.plan["site_id"] == site_id].sort_values("ts").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "plan_date": [plan_date] * len(df),
            "site_id": site_id,
            "uscc": site.uscc,
            "scenario": scenario,
            "ts": df["ts"],
            "step_hours": float(site.step_hours),
        }
    )
    schema = plans_schema()
    for f in schema:
        if f.name in out:
            continue
        if f.name == "pue":
            out["pue"] = pd.Series(site.pue, dtype="float64").to_numpy()
        elif f.name == "solver":
            out["solver"] = result.solver
        else:
            out[f.name] = df[f.name].astype("float64").to_numpy() if f.name in df else float("nan")
    return out[schema.names]


def site_kpi_frame(result, problem, site_id: str, scenario: str, plan_date: date, days: int):
    import pandas as pd

    from carbon.config import TZ

    site = next(s for s in problem.sites if s.site_id == site_id)
    k = result.kpis[result.kpis["site_id"] == site_id].iloc[0].to_dict()
    row: dict[str, Any] = {
        "plan_date": plan_date,
        "site_id": site_id,
        "uscc": site.uscc,
        "scenario": scenario,
        "horizon_days": int(days),
        "step_hours": float(site.step_hours),
        "status": result.status,
        "solver": result.solver,
        "objective_cny": float(result.objective),
        "carbon_price_cny_per_t": float(problem.options.carbon_price_cny_per_t),
        "planned_at": pd.Timestamp.now(TZ).floor("s"),
    }
    import pyarrow as pa

    schema = kpis_schema()
    for f in schema:
        if f.name in row:
            continue
        v = k.get(f.name)
        cast = (
            int
            if pa.types.is_integer(f.type)
            else bool
            if pa.types.is_boolean(f.type)
            else str
            if pa.types.is_string(f.type)
            else float
        )
        row[f.name] = None if v is None or pd.isna(v) else cast(v)
    return pd.DataFrame([row])[schema.names]


# ----------------------------------------------------------------------------- run a plan
@dataclass
class GroupOutcome:
    """What planning one group of sites (solved together) produced."""

    site_ids: list[str]
    status: str
    explanation: str | None = None
    error: str | None = None
    partitions: list[str] = field(default_factory=list)
    pngs: list[str] = field(default_factory=list)
    kpis: list[dict] = field(default_factory=list)
    vccs: list[str] = field(default_factory=list)  # VCC JSON and CSV paths (optimizers.vcc_io)
    result: Any = None
    problem: Any = None

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "time_limit") and self.error is None

    def summary(self) -> dict:
        return {
            "site_ids": self.site_ids,
            "status": self.status,
            "ok": self.ok,
            "explanation": self.explanation,
            "error": self.error,
            "partitions": self.partitions,
            "pngs": self.pngs,
            "kpis": self.kpis,
            "vccs": self.vccs,
        }


def site_moves(result, site_id: str) -> list[dict]:
    """The moves of shared jobs into or out of a site (rows of ``result.moves``), for its KPI
    JSON."""
    mv = result.moves
    mine = mv[(mv["to_site"] == site_id) | (mv["from_site"] == site_id)]
    return [
        {k: (str(v) if isinstance(v, str) else v) for k, v in r.items()}
        for r in mine.astype(object).to_dict("records")
    ]


def shared_tags(result, problem, site_id: str, ran_here: set[str]) -> dict[str, str]:
    """Tags of the shared (东数西算) jobs a site runs, for its chart's job rows: "shared 共享",
    or "moved in from <home> 迁入" when the job runs here away from its home site."""
    mv = result.moves
    moved = {str(r.job_id): str(r.from_site) for r in mv[mv["to_site"] == site_id].itertuples()}
    out: dict[str, str] = {}
    for j in problem.shared_jobs:
        if j.job_id in ran_here:
            base = j.job_id.split("@")[0]
            out[base] = (
                f"moved in from {moved[j.job_id]} 迁入" if j.job_id in moved else "shared 共享"
            )
    return out


def write_plans(
    result, problem, scenario_name: str, plan_date: date, days: int, home=None, *, png: bool = True
) -> tuple[list[str], list[str], list[dict]]:
    """Write each site's plan and KPIs to the lake (+ KPI JSON and schedule PNG under outputs)."""
    from carbon.config import paths
    from carbon.pipeline.lake import atomic_path, write_partition
    from optimizers.plot import plot_schedule

    out_dir = paths(home).outputs / "dispatch"
    out_dir.mkdir(parents=True, exist_ok=True)
    parts, pngs, kpis = [], [], []
    for site in problem.sites:
        value = partition_value(plan_date, site.site_id)
        plan = site_plan_frame(result, problem, site.site_id, scenario_name, plan_date)
        kpi = site_kpi_frame(result, problem, site.site_id, scenario_name, plan_date, days)
        write_partition(PLANS, PLAN_KEY, value, plan, schema=plans_schema(), home=home)
        write_partition(KPIS, PLAN_KEY, value, kpi, schema=kpis_schema(), home=home)
        jobs = site_job_frame(result, problem, site.site_id, scenario_name, plan_date)
        write_partition(JOB_PLANS, PLAN_KEY, value, jobs, schema=job_plans_schema(), home=home)
        parts.append(value)
        rec = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in kpi.iloc[0].to_dict().items()
        }
        rec = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}
        rec["moves"] = site_moves(result, site.site_id)
        kpis.append(rec)
        with atomic_path(out_dir / f"{value}.kpis.json") as tmp:
            tmp.write_text(
                json.dumps(rec, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        if png:
            site_jobs = result.jobs[result.jobs["site_id"] == site.site_id]
            max_kw = {j.job_id: j.max_kw for j in [*site.jobs, *problem.shared_jobs]}
            ran_here = set(site_jobs["job_id"].astype(str))
            windows = {j.job_id: (j.release, j.deadline) for j in site.jobs} | {
                j.job_id: (j.release, j.deadline)
                for j in problem.shared_jobs
                if j.job_id in ran_here
            }
            b = site.battery
            path = plot_schedule(
                result.plan[result.plan["site_id"] == site.site_id],
                site_jobs,
                out_dir / f"{value}.png",
                title=f"{site.site_id} {plan_date} ({days} d) · {scenario_name} · {result.status}",
                battery_kwh=b.energy_kwh if b else None,
                soc_limits=(b.soc_min, b.soc_max) if b else None,
                job_max_kw=max_kw,
                job_windows=windows,
                contract_kw=site.contract_kw,
                import_max_kw=site.grid_import_max_kw,
                shared_jobs=shared_tags(result, problem, site.site_id, ran_here),
            )
            pngs.append(str(path))
    return parts, pngs, kpis


def plan_group(
    scenario,
    site_ids: list[str] | None = None,
    plan_date: date | str | None = None,
    horizon: str | int | None = None,
    home=None,
    *,
    solver: str = "highs",
    milp: bool | None = None,
    window: str | None = None,
    time_limit: float | None = None,
    progress=None,
    png: bool = True,
) -> GroupOutcome:
    """Plan ``site_ids`` (default: all) of a scenario together and write the outputs (lake
    partitions, KPI JSON, PNGs and the virtual capacity curves, ``optimizers.vcc_io``).

    Never raises for an infeasible plan or bad input data: the outcome carries the status and
    the explanation (the DAG turns that into a failed task; the CLI into a non-zero exit)."""
    from optimizers import inputs, solve
    from optimizers.scenario import ScenarioError, build_problem, plan_window
    from optimizers.vcc_io import write_site_vccs

    sc = scenario.subset(site_ids) if site_ids else scenario
    ids = sc.site_ids
    try:
        d, days, _ = plan_window(sc, plan_date, horizon)
        problem = build_problem(sc, d, days, home, milp=milp)
        w = window or (sc.raw.get("options", {}) or {}).get("rolling_window")
        if w is None and days >= 30:
            w = "7d"
        if w is not None and inputs.parse_horizon(w) < days:
            problem.options.rolling_window_steps = inputs.parse_horizon(w) * round(
                24 / problem.step_hours
            )
        result = solve(problem, solver=solver, time_limit=time_limit, progress=progress)
    except (ScenarioError, ValueError) as exc:
        return GroupOutcome(ids, "error", error=str(exc))
    out = GroupOutcome(ids, result.status, result.explanation, result=result, problem=problem)
    if not result.ok:
        return out
    out.partitions, out.pngs, out.kpis = write_plans(
        result, problem, sc.name, d, days, home, png=png
    )
    out.vccs = write_site_vccs(result, problem, sc.name, d, home)
    return out


def run_frontier(problem, home, stem: str, *, solver: str = "highs", progress=None):
    """Sweep the carbon price, write ``<stem>.frontier.csv`` and ``.png``; return the table."""
    import pandas as pd

    from carbon.config import paths
    from optimizers import frontier
    from optimizers.plot import plot_frontier

    rows = []
    for i, cp in enumerate(DEFAULT_CARBON_PRICES):
        rows.append(frontier(problem, carbon_prices=[cp], solver=solver))
        if progress:
            progress("frontier", (i + 1) / len(DEFAULT_CARBON_PRICES))
    table = pd.concat(rows, ignore_index=True)
    out_dir = paths(home).outputs / "dispatch"
    out_dir.mkdir(parents=True, exist_ok=True)
    csv = out_dir / f"{stem}.frontier.csv"
    table.to_csv(csv, index=False)
    png = plot_frontier(table, out_dir / f"{stem}.frontier.png", title=f"{stem} cost–carbon")
    return table, csv, png


# ----------------------------------------------------------------------------- the DAG's steps
def list_groups(
    scenario_path: str | None,
    plan_date: str,
    *,
    horizon: str | None = None,
    solver: str = "highs",
    milp: bool = False,
) -> list[dict]:
    """The groups of sites of a scenario solved together (sites sharing a job pool form one
    group, every other site is its own), each as the JSON-able arguments of :func:`plan_group`
    (one mapped task of ``dispatch_day_ahead`` per group)."""
    from optimizers.scenario import DEFAULT_SCENARIO, load_scenario

    sc = load_scenario(scenario_path or str(DEFAULT_SCENARIO))
    return [
        {
            "label": "+".join(ids),
            "site_ids": ids,
            "scenario": str(sc.path),
            "date": plan_date,
            "horizon": horizon,
            "solver": solver or "highs",
            "milp": bool(milp),
        }
        for ids in sc.site_groups()
    ]


def group_args(group: dict, when: str, home=None) -> tuple:
    """The leading arguments of a group's planner (``plan_group`` or ``intraday.replan_group``):
    the scenario read again, the group's sites, its date, ``group[when]`` (the horizon or the
    re-plan's ``now``) and the data home (``home`` or ``$CARBON_HOME``)."""
    from carbon.config import paths
    from optimizers.scenario import load_scenario

    sc = load_scenario(group["scenario"])
    return sc, group["site_ids"], group["date"], group[when], paths(home).home


def run_group(group: dict, home=None) -> dict:
    """Plan one group of :func:`list_groups` and write it; returns ``GroupOutcome.summary()``."""
    return plan_group(
        *group_args(group, "horizon", home),
        solver=group["solver"],
        milp=True if group["milp"] else None,
    ).summary()


def report(groups: list[dict] | None, outcomes: list[dict | None]) -> dict:
    """Which sites were planned and which failed, and why (``None`` outcome: the task failed
    before it had one; ``groups is None``: the scenario could not be read)."""
    planned: list[str] = []
    failed: dict[str, str] = {}
    if groups is None:
        failed["*"] = "scenario not read (see plan_groups)"
    for g, s in zip(groups or [], outcomes, strict=True):
        if s and s.get("ok"):
            planned += g["site_ids"]
        else:
            why = (s or {}).get("explanation") or (s or {}).get("status")
            for sid in g["site_ids"]:
                failed[sid] = str(why or "task failed (see the plan_sites log)")[:500]
    return {"date": groups[0]["date"] if groups else None, "planned": planned, "failed": failed}
