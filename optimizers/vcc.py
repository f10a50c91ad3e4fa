"""Virtual capacity curves (VCC) for the cluster scheduler (issue 13 §4): pure, no I/O.

From a solved :class:`~optimizers.problem.DispatchResult` and its
:class:`~optimizers.problem.Problem`, :func:`site_vcc` builds, for one site, the document a
Kubernetes admission webhook or a Slurm reservation script enforces (:func:`schedule_vcc` builds
it from any per-job schedule of the horizon: the intraday re-plan composes the plan in force
before its step ``k`` with the re-plan from ``k``, see ``optimizers.intraday``):

- per clock hour (Asia/Shanghai, hour-start timestamps with their ``+08:00`` offset) the
  **capacity** flexible compute may use, ``capacity_kw``: the planned flexible IT power of the
  hour's steps aggregated as the hour's energy over one hour (kWh in the hour / 1 h; IT kW,
  before PUE), and ``gpus = floor(capacity_kw / kw_per_gpu)`` where the site gives a kW per GPU
  (else ``None``);
- per hour the **admitted jobs**: each job whose window overlaps the hour and that the plan runs
  at this site, with its release, deadline, ``max_kw``, the hours of its window inside the hour
  and its planned kW in the hour (its grant: the hour's kWh of that job / 1 h);
- per plan day the **flexible work** (kWh), the sum of the day's hours: each day's total of the
  plan is preserved (the hours partition the steps, nothing is rounded);
- the jobs of the site with their planned kWh here.

:func:`simulate_admission` is a reference admission controller (earliest deadline first, each job
limited by its ``max_kw`` and window, the total by the curve; optionally by its grant): the tests
check that running the jobs under the curve reproduces the planned energy. The JSON form is
documented in docs/dispatch.md and docs/vcc.schema.json; writing is ``optimizers.vcc_io``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizers.problem import TZ, DispatchResult, Job, Problem, Site

SCHEMA_VERSION = "1.0"
KIND = "virtual_capacity_curve"
HOUR = pd.Timedelta(hours=1)
# a GPU count is floor(kW / kW-per-GPU); the slack keeps 2.9999999999 (float noise) at 3
GPU_FLOOR_EPS = 1e-9
# planned job power below 0 by more than this (kW) is an error, not solver noise
NEG_TOL_KW = 1e-6
UNITS: dict[str, str] = {
    "capacity_kw": "kW: IT power (before PUE) flexible compute may draw, mean over the hour "
    "(= kWh in the hour / 1 h)",
    "planned_kw": "kW: the job's planned IT power, mean over the hour (= its kWh in the hour / 1 h)",
    "max_kw": "kW: the job's maximum IT power",
    "window_hours": "h: hours of the job's window inside the hour",
    "flexible_kwh": "kWh: flexible IT energy",
    "energy_kwh": "kWh: the job's required IT energy (all sites)",
    "kw_per_gpu": "kW per GPU (IT), from the scenario's sites[].kw_per_gpu",
    "gpus": "GPUs: floor(capacity_kw / kw_per_gpu); null when the site gives no kW per GPU",
}


def _iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert(TZ).isoformat()


def _site(problem: Problem, site_id: str) -> Site:
    for s in problem.sites:
        if s.site_id == site_id:
            return s
    raise ValueError(
        f"VCC: site {site_id!r} is not in the problem (sites: "
        f"{', '.join(s.site_id for s in problem.sites)})"
    )


def _check_grid(site: Site) -> int:
    """Steps per hour; the steps must tile whole clock hours (Asia/Shanghai)."""
    sph = 1.0 / site.step_hours if site.step_hours > 0 else math.nan
    if not math.isfinite(sph) or sph < 1 or abs(sph - round(sph)) > 1e-9:
        raise ValueError(
            f"VCC: site {site.site_id}: step of {site.step_hours} h does not divide one hour "
            "(the curve is hourly)"
        )
    k = round(sph)
    idx = site.index
    if len(idx) == 0:
        raise ValueError(f"VCC: site {site.site_id}: the plan has no steps")
    if idx.tz is None or str(idx.tz) != TZ:
        raise ValueError(f"VCC: site {site.site_id}: plan index must be in {TZ}, got {idx.tz}")
    if idx[0] != idx[0].floor("h") or len(idx) % k:
        raise ValueError(
            f"VCC: site {site.site_id}: the plan ({idx[0]}, {len(idx)} steps of "
            f"{site.step_hours} h) does not cover whole clock hours"
        )
    return k


def _bound(site: Site, step: int) -> pd.Timestamp:
    """Timestamp of step boundary ``step`` (``n`` = the end of the horizon)."""
    idx = site.index
    if step < len(idx):
        return idx[step]
    return idx[-1] + pd.Timedelta(hours=site.step_hours) * (step - len(idx) + 1)


def _site_jobs(problem: Problem, site: Site, planned: dict[str, float]) -> list[Job]:
    """The site's own jobs, and the shared jobs the plan runs here (planned kWh > 0)."""
    shared = [j for j in problem.shared_jobs if j.sites is None or site.site_id in j.sites]
    return [*site.jobs, *(j for j in shared if planned.get(j.job_id, 0.0) > 0.0)]


def site_vcc(
    result: DispatchResult,
    problem: Problem,
    site_id: str,
    *,
    plan_date: Any = None,
    scenario: str | None = None,
) -> dict[str, Any]:
    """The VCC document of one site (JSON-able ``dict``, schema ``SCHEMA_VERSION``) from a
    solved plan: :func:`schedule_vcc` over the result's per-job kW of the site.

    Raises ``ValueError`` naming the problem when the result has no plan, the site is unknown or
    the plan's steps do not tile whole clock hours."""
    if not result.ok:
        raise ValueError(f"VCC: no plan to derive a curve from (status {result.status})")
    _site(problem, site_id)
    jobs_df = result.jobs[result.jobs["site_id"].astype(str) == site_id]
    return schedule_vcc(
        jobs_df[["job_id", "step", "kw"]],
        problem,
        site_id,
        status=result.status,
        solver=result.solver,
        plan_date=plan_date,
        scenario=scenario,
    )


def schedule_vcc(
    schedule: pd.DataFrame,
    problem: Problem,
    site_id: str,
    *,
    status: str,
    solver: str,
    plan_date: Any = None,
    scenario: str | None = None,
    revision: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The VCC document of one site from a per-job schedule of the whole horizon of ``problem``.

    ``schedule``: one row per job and step with planned power at this site, columns ``job_id``,
    ``step`` (0 … ``n_steps − 1`` of the site's index) and ``kw`` (kW, IT); a (job, step) may
    repeat (summed).  ``status`` / ``solver``: of the plan the schedule comes from.
    ``revision``: extra top-level fields of a re-planned curve (``revision``, ``replan_k``,
    ``replan_start``, ``based_on``: see docs/dispatch.md), placed after ``solver``; ``None`` for
    the day-ahead curve (then the document is exactly the day-ahead one).

    Raises ``ValueError`` naming the problem when the site is unknown, the steps do not tile
    whole clock hours, a column is missing, a step is outside the horizon or a kW is negative or
    not finite."""
    site = _site(problem, site_id)
    k = _check_grid(site)
    n = site.n_steps
    dt = site.step_hours
    missing = {"job_id", "step", "kw"} - set(schedule.columns)
    if missing:
        raise ValueError(f"VCC: site {site_id}: schedule lacks column(s) {sorted(missing)}")
    jid_col = schedule["job_id"].astype(str).to_numpy()
    step_col = schedule["step"].to_numpy(dtype=np.int64)
    kw_col = schedule["kw"].to_numpy(dtype=float)
    if len(step_col) and (step_col.min() < 0 or step_col.max() >= n):
        i = int(step_col.argmin() if step_col.min() < 0 else step_col.argmax())
        raise ValueError(
            f"VCC: site {site_id}: job {jid_col[i]} is scheduled at step {int(step_col[i])}, "
            f"outside the plan's steps 0–{n - 1}"
        )
    if not np.isfinite(kw_col).all():
        i = int(np.flatnonzero(~np.isfinite(kw_col))[0])
        raise ValueError(
            f"VCC: site {site_id}: job {jid_col[i]} has no finite planned power "
            f"({kw_col[i]} kW at step {int(step_col[i])})"
        )
    if len(kw_col) and kw_col.min() < -NEG_TOL_KW:
        i = int(kw_col.argmin())
        raise ValueError(
            f"VCC: site {site_id}: job {jid_col[i]} has negative planned power "
            f"({kw_col[i]:g} kW at step {int(step_col[i])})"
        )
    kw_col = np.maximum(kw_col, 0.0)  # solver noise (> -NEG_TOL_KW) to 0
    step_kw = np.zeros(n)  # flexible kW per step, all jobs
    np.add.at(step_kw, step_col, kw_col)
    n_hours = n // k
    # kWh in each hour = Σ step kW · dt over the hour's steps; / 1 h = mean kW
    hour_kwh = step_kw.reshape(n_hours, k).sum(axis=1) * dt
    # kWh per job and hour (its grant), and per job at this site
    by = pd.DataFrame({"job": jid_col, "hour": step_col // k, "kw": kw_col})
    per = by.groupby(["job", "hour"], sort=False)["kw"].sum() * dt
    job_hour_kwh = {(str(j), int(h)): float(v) for (j, h), v in per.items()}
    planned = {str(j): float(v) for j, v in by.groupby("job")["kw"].sum().mul(dt).items()}
    jobs = _site_jobs(problem, site, planned)
    unknown = set(planned) - {j.job_id for j in jobs}
    if unknown:
        raise ValueError(f"VCC: site {site_id}: planned jobs not in the problem: {sorted(unknown)}")
    kpg = site.kw_per_gpu
    starts = site.index[::k]
    admitted: list[list[dict[str, Any]]] = [[] for _ in range(n_hours)]
    for j in jobs:  # each job into the hours its window overlaps
        release, deadline = _iso(_bound(site, j.release)), _iso(_bound(site, j.deadline))
        for h in range(j.release // k, -(-j.deadline // k)):
            a, b = max(j.release, h * k), min(j.deadline, (h + 1) * k)
            admitted[h].append(
                {
                    "job_id": j.job_id,
                    "release": release,
                    "deadline": deadline,
                    "max_kw": float(j.max_kw),
                    "window_hours": (b - a) * dt,
                    "planned_kw": job_hour_kwh.get((j.job_id, h), 0.0) / 1.0,
                }
            )
    hours: list[dict[str, Any]] = []
    for h, start in enumerate(starts):
        admitted[h].sort(key=lambda r: (r["deadline"], r["job_id"]))
        cap = float(hour_kwh[h]) / 1.0  # kWh in one hour → mean kW
        hours.append(
            {
                "start": _iso(start),
                "end": _iso(start + HOUR),
                "capacity_kw": cap,
                "gpus": None if kpg is None else math.floor(cap / kpg + GPU_FLOOR_EPS),
                "jobs_admitted": admitted[h],
            }
        )
    day_of = pd.DatetimeIndex(starts).tz_convert(TZ).date
    days: dict[str, float] = {}
    for d, e in zip(day_of, hour_kwh, strict=True):
        days[d.isoformat()] = days.get(d.isoformat(), 0.0) + float(e)
    first = pd.Timestamp(site.index[0]).tz_convert(TZ).date()
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "site_id": site_id,
        "uscc": site.uscc,
        "scenario": scenario,
        "plan_date": str(plan_date if plan_date is not None else first),
        "timezone": TZ,
        "step_hours": float(dt),
        "kw_per_gpu": None if kpg is None else float(kpg),
        "status": status,
        "solver": solver,
        **(revision or {}),
        "units": dict(UNITS),
        "hours": hours,
        "days": [{"date": d, "flexible_kwh": e} for d, e in days.items()],
        "total_flexible_kwh": float(sum(days.values())),
        "jobs": [
            {
                "job_id": j.job_id,
                "release": _iso(_bound(site, j.release)),
                "deadline": _iso(_bound(site, j.deadline)),
                "max_kw": float(j.max_kw),
                "energy_kwh": float(j.energy_kwh),
                "planned_kwh": planned.get(j.job_id, 0.0),
            }
            for j in jobs
        ],
    }


def vcc_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """The hourly curve as a table (the CSV form): ``site_id, start, end, capacity_kw, gpus,
    jobs_admitted`` (space-separated job ids, earliest deadline first)."""
    rows = [
        {
            "site_id": doc["site_id"],
            "start": h["start"],
            "end": h["end"],
            "capacity_kw": h["capacity_kw"],
            "gpus": h["gpus"],
            "jobs_admitted": " ".join(a["job_id"] for a in h["jobs_admitted"]),
        }
        for h in doc["hours"]
    ]
    df = pd.DataFrame(
        rows, columns=["site_id", "start", "end", "capacity_kw", "gpus", "jobs_admitted"]
    )
    df["gpus"] = df["gpus"].astype("Int64")
    return df


# ----------------------------------------------------------------------------- reference controller
@dataclass
class AdmissionRun:
    """What :func:`simulate_admission` ran: kWh per job, per hour and job, and the jobs short of
    their planned energy (kWh missing) or running outside their window."""

    delivered_kwh: dict[str, float]
    hourly_kwh: dict[str, list[float]]
    missed_kwh: dict[str, float]
    used_kwh: list[float]


def simulate_admission(
    doc: dict[str, Any],
    *,
    curve_kw: list[float] | None = None,
    use_grants: bool = True,
    tol_kwh: float = 1e-6,
) -> AdmissionRun:
    """Run the site's jobs hour by hour under the curve as an admission controller would.

    In each hour, the admitted jobs run earliest deadline first; a job draws at most
    ``max_kw × window_hours`` (its own power limit over the part of its window inside the
    hour), at most the energy it still needs (its planned kWh at this site), with
    ``use_grants`` at most its grant ``planned_kw × 1 h``; the hour's total is at most the
    curve (``curve_kw``: a replacement curve, one kW per hour, to test a wrong one). A job
    that has not received its planned kWh by its deadline is missed (kWh short)."""
    hours = doc["hours"]
    cap = [h["capacity_kw"] for h in hours] if curve_kw is None else list(curve_kw)
    if len(cap) != len(hours):
        raise ValueError(f"curve has {len(cap)} hours, the VCC {len(hours)}")
    need = {j["job_id"]: float(j["planned_kwh"]) for j in doc["jobs"]}
    got = dict.fromkeys(need, 0.0)
    hourly = {j: [0.0] * len(hours) for j in need}
    used = []
    for h, hour in enumerate(hours):
        left = float(cap[h]) * 1.0  # kWh the curve allows in this hour
        total = 0.0
        for a in hour["jobs_admitted"]:  # sorted by deadline
            jid = a["job_id"]
            lim = a["max_kw"] * a["window_hours"]
            if use_grants:
                lim = min(lim, a["planned_kw"] * 1.0)
            e = max(0.0, min(lim, need[jid] - got[jid], left))
            got[jid] += e
            hourly[jid][h] += e
            left -= e
            total += e
        used.append(total)
    missed = {j: need[j] - got[j] for j in need if need[j] - got[j] > tol_kwh}
    return AdmissionRun(got, hourly, missed, used)
