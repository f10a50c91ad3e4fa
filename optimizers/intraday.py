"""The intraday re-planning runner (DAG ``dispatch_intraday``, issue 13 §2).

Every hour (at :05, Asia/Shanghai) each site group is re-planned from its latest telemetry, for
the rest of the plan day, by :func:`optimizers.mpc.replan`:

- ``k`` (:func:`replan_step`): the first step starting at or after ``now``; steps before it are
  executed (or executing) and committed.
- **the plan in force** (:func:`plan_in_force`): the day-ahead plan (``lake/dispatch_plans``,
  per-job kW in ``lake/dispatch_job_plans``) overlaid, step by step, by every earlier re-plan of
  the day (``lake/dispatch_replans``, ``replan_k < k``), the latest one winning from its own ``k``
  on.  Re-plans at ``k`` or later are ignored, so a rerun of the same hour gives the same plan.
- **measured state** (:func:`measured_state`):

  * SoC: the latest finite ``battery_soc`` (fraction × ``energy_kwh``) at or before ``now``,
    measured at the start of step ``s``, projected to the start of step ``k`` with the plan in
    force's charge and discharge for steps ``s … k−1`` (``η_c·charge − discharge/η_d``, kWh) when
    it is recent (``k − s ≤ mpc.STALE_STEPS``; a stale one is passed as measured, at its step).  The
    last good state is the plan in force's SoC at the end of step ``k−1``.  A missing, stale
    (``k − s > mpc.STALE_STEPS``) or out-of-bounds SoC falls back in ``mpc.replan`` with a reason.
  * delivered energy per job: the plan in force's kW of each job × step hours over steps ``< k``
    (telemetry has only the aggregate IT kW); a non-preemptive job with kW at step ``k−1`` and
    energy left is *running* and stays fixed.
  * the day's peak so far (demand charge): the measured grid import of each executed step with two
    consecutive SoC readings, ``facility − PV − wind + battery AC power`` (battery power from the
    SoC change: ``ΔE/(η_c·dt)`` when charging, ``ΔE·η_d/dt`` when discharging), at least 0.

- the rest of the day: the scenario's series as ``build_problem`` makes them (with telemetry up to
  now in the lake, ``it_load: auto`` falls back to persistence, see docs/dispatch.md).

Bad input never crashes the re-plan and is never silently assumed: every fallback (no day-ahead
plan, no per-job record, no telemetry, stale / out-of-bounds SoC, forecast gaps) is logged and
written with the re-plan as the KPI flags ``state_fallback``, ``forecast_gap`` and
``fallback_reason``.

Lake (docs/dispatch.md)::

    <home>/lake/dispatch_replans/plan=<YYYY-MM-DD>__<site_id>__k<kk>/part-0.parquet    step rows
    <home>/lake/dispatch_job_plans/plan=<YYYY-MM-DD>__<site_id>__k<kk>/part-0.parquet  job kW

(``k<kk>``, not ``k=<kk>``: DuckDB's hive reader takes a second ``=`` in a directory name as a
second partition key, drops the ``plan`` column and fails on a dataset mixing both forms.)

Virtual capacity curves (``optimizers.vcc_io``, docs/dispatch.md "Virtual capacity curves")::

    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>__k<kk>.json / .csv   after the re-plan
    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>.latest.json           the highest k's copy

The curve after a re-plan from ``k`` is the plan in force from then on, over the whole day: each
job's kW of the plan in force before ``k`` (:func:`replan_job_schedule`), of the re-plan from
``k`` (the re-plan starts at ``k``, usually not on a clock hour, so the hour of ``k`` mixes both),
derived by ``optimizers.vcc.schedule_vcc`` on the full-day problem.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from carbon.config import TZ
from optimizers.lake_keys import (
    JOB_PLANS,
    PLAN_KEY,
    PLANS,
    REPLANS,
    partition_value,
    replan_partition,
)
from optimizers.mpc import STALE_STEPS, MeasuredState, Replan

log = logging.getLogger(__name__)

STATE_PREFIXES = ("soc", "jobs", "plan")  # reasons that make ``state_fallback`` true


# ----------------------------------------------------------------------------- pure logic
def as_local(now: str | pd.Timestamp) -> pd.Timestamp:
    """``now`` as an Asia/Shanghai time stamp (a naive time is taken as Asia/Shanghai)."""
    try:
        t = pd.Timestamp(now)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"now: not an ISO time: {now!r}") from exc
    return t.tz_localize(TZ) if t.tzinfo is None else t.tz_convert(TZ)


def replan_step(index: pd.DatetimeIndex, now: pd.Timestamp) -> int:
    """k: the first step of ``index`` starting at or after ``now`` (0 before the horizon)."""
    if now >= index[-1] + (index[-1] - index[-2] if len(index) > 1 else pd.Timedelta(0)):
        raise ValueError(f"now {now.isoformat()} is after the plan horizon ({index[-1]} is last)")
    k = int(index.searchsorted(now, side="left"))
    if k >= len(index):
        raise ValueError(f"now {now.isoformat()}: no step left to re-plan (last {index[-1]})")
    return k


@dataclass
class PlanInForce:
    """The plan that governs each step of the day (``source[i]``: ``-1`` day-ahead, ``k'`` the
    re-plan from ``k'``, ``-2`` none), its battery columns and each job's kW."""

    source: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_end_kwh: np.ndarray
    job_kw: dict[str, np.ndarray] = field(default_factory=dict)
    has_day_ahead: bool = False
    has_job_record: bool = False


def _steps(index: pd.DatetimeIndex, ts: pd.Series) -> np.ndarray:
    return index.get_indexer(pd.DatetimeIndex(ts).tz_convert(TZ))


def plan_in_force(
    index: pd.DatetimeIndex,
    k: int,
    plans: pd.DataFrame,
    replans: pd.DataFrame,
    job_plans: pd.DataFrame,
    *,
    day_ahead_jobs_recorded: bool = True,
) -> PlanInForce:
    """Overlay the day-ahead plan by the earlier re-plans (``replan_k < k``), see the module doc.
    ``day_ahead_jobs_recorded``: the day-ahead plan's ``dispatch_job_plans`` partition exists
    (an empty one means no job ran; a missing one that the per-job energy is unknown)."""
    n = len(index)
    out = PlanInForce(np.full(n, -2), np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan))
    out.has_job_record = day_ahead_jobs_recorded
    frames: list[tuple[int, pd.DataFrame]] = []
    if not plans.empty:
        frames.append((-1, plans))
        out.has_day_ahead = True
    if not replans.empty:
        for kk, df in sorted(replans.groupby("replan_k"), key=lambda x: int(x[0])):
            if int(kk) < k:
                frames.append((int(kk), df))
    for kk, df in frames:
        st = _steps(index, df["ts"])
        ok = st >= 0
        st = st[ok]
        out.source[st] = kk
        out.charge_kw[st] = df["battery_charge_kw"].to_numpy(dtype=float)[ok]
        out.discharge_kw[st] = df["battery_discharge_kw"].to_numpy(dtype=float)[ok]
        out.soc_end_kwh[st] = df["soc_kwh"].to_numpy(dtype=float)[ok]
    if not job_plans.empty:
        jk = job_plans["replan_k"].astype("Int64").fillna(-1).astype(int).to_numpy()
        st = _steps(index, job_plans["ts"])
        rows = (st >= 0) & (out.source[np.clip(st, 0, n - 1)] == jk)
        for job, s, kw in zip(
            job_plans["job_id"].astype(str).to_numpy()[rows],
            st[rows],
            job_plans["kw"].to_numpy(dtype=float)[rows],
            strict=True,
        ):
            out.job_kw.setdefault(job, np.zeros(n))[s] += kw
    return out


def measured_peak_kw(
    tele: pd.DataFrame, index: pd.DatetimeIndex, k: int, battery
) -> tuple[float, int]:
    """The day's peak grid import (kW) over the executed steps ``< k`` measured with two
    consecutive SoC readings (see the module doc), and how many steps it was taken over."""
    if tele.empty or k == 0:
        return 0.0, 0
    st = _steps(index, tele["ts"])
    df = tele.assign(step=st)
    df = df[(df["step"] >= 0) & (df["step"] < k)].drop_duplicates("step", keep="last")
    df = df.set_index("step").sort_index()
    dt = float((index[1] - index[0]) / pd.Timedelta(hours=1))
    nxt = tele.assign(step=st).drop_duplicates("step", keep="last").set_index("step")
    peak, used = 0.0, 0
    for s, row in df.iterrows():
        base = (
            row["facility_kw"] - row["pv_kw"] - (row["wind_kw"] if pd.notna(row["wind_kw"]) else 0)
        )
        if not math.isfinite(base):
            continue
        p = 0.0
        if battery is not None and battery.energy_kwh > 0:
            if s + 1 not in nxt.index:
                continue
            a, b = row["battery_soc"], nxt.loc[s + 1, "battery_soc"]
            if not (math.isfinite(a) and math.isfinite(b)):
                continue
            de = (b - a) * battery.energy_kwh
            p = de / (battery.eta_charge * dt) if de > 0 else de * battery.eta_discharge / dt
        peak = max(peak, base + p)
        used += 1
    return max(0.0, float(peak)), used


@dataclass
class SiteState:
    """What :func:`measured_state` found for one site (written with the re-plan)."""

    soc_measured_kwh: float | None = None
    soc_measured_at: pd.Timestamp | None = None
    peak_so_far_kw: float = 0.0
    reasons: list[str] = field(default_factory=list)


def measured_state(
    problem,
    k: int,
    telemetry: dict[str, pd.DataFrame],
    force: dict[str, PlanInForce],
) -> tuple[MeasuredState, dict[str, SiteState]]:
    """Build :class:`~optimizers.mpc.MeasuredState` for ``replan(problem, k, ...)``."""
    from optimizers.variables import iter_jobs

    meas = MeasuredState()
    info: dict[str, SiteState] = {}
    dt = problem.step_hours
    index = problem.sites[0].index
    for site in problem.sites:
        sid, b = site.site_id, site.battery
        st = info[sid] = SiteState()
        f = force[sid]
        tele = telemetry.get(sid, pd.DataFrame())
        if not f.has_day_ahead:
            st.reasons.append(
                f"plan: no day-ahead plan for {index[0].date()} in lake/dispatch_plans "
                "(no last good state, no executed job energy)"
            )
        elif site.jobs and not f.has_job_record:
            st.reasons.append(
                "jobs: no per-job record of the executed plan in lake/dispatch_job_plans: "
                "delivered energy taken as 0 kWh"
            )
        if k > 0 and math.isfinite(f.soc_end_kwh[k - 1]):
            meas.last_good_soc_kwh[sid] = float(f.soc_end_kwh[k - 1])
        if b is not None and b.energy_kwh > 0:
            good = (
                tele[np.isfinite(tele["battery_soc"].to_numpy(dtype=float))] if len(tele) else tele
            )
            if len(good) == 0:
                meas.soc_kwh[sid] = None  # mpc.replan: "soc missing", falls back
            else:
                last = good.iloc[-1]
                ts = pd.Timestamp(last["ts"]).tz_convert(TZ)
                s = int(np.floor((ts - index[0]) / (index[1] - index[0])))
                soc = float(last["battery_soc"]) * b.energy_kwh
                st.soc_measured_kwh, st.soc_measured_at = soc, ts
                if 0 <= s < k and k - s <= STALE_STEPS:  # a stale one is judged, not moved
                    ch, dis = f.charge_kw[s:k], f.discharge_kw[s:k]
                    if np.isfinite(ch).all() and np.isfinite(dis).all():
                        soc += float((b.eta_charge * ch - dis / b.eta_discharge).sum() * dt)
                        s = k
                    else:
                        st.reasons.append(
                            f"soc: no plan for steps {s}–{k - 1} to project the measured SoC "
                            f"of {ts.isoformat()} to step {k}"
                        )
                meas.soc_kwh[sid], meas.soc_step[sid] = soc, s
        st.peak_so_far_kw, _ = measured_peak_kw(tele, index, k, b)
        meas.peak_so_far_kw[sid] = st.peak_so_far_kw
    for j, _allowed in iter_jobs(problem):
        kws = [force[s.site_id].job_kw.get(j.job_id) for s in problem.sites]
        kws = [a for a in kws if a is not None]
        if not kws:
            continue
        total = np.sum(kws, axis=0)
        meas.delivered_kwh[j.job_id] = float(total[:k].sum() * dt)
        if not j.preemptible and k > 0 and total[k - 1] > 1e-9:
            meas.running_kw[j.job_id] = float(total[k - 1])
    return meas, info


def site_flags(reasons: list[str]) -> dict:
    return {
        "state_fallback": any(r.startswith(STATE_PREFIXES) for r in reasons),
        "forecast_gap": any(r.startswith("forecast") for r in reasons),
        "fallback_reason": "; ".join(reasons) or None,
    }


def replan_frame(
    rp: Replan, site_id: str, scenario: str, plan_date: date, now: pd.Timestamp, st: SiteState
) -> pd.DataFrame:
    """The ``dispatch_replans`` rows of one site."""
    from optimizers.lake_schemas import DISPATCH_REPLANS
    from optimizers.runner import site_plan_frame

    df = site_plan_frame(rp.result, rp.problem, site_id, scenario, plan_date)
    reasons = [*st.reasons, *rp.fallbacks.get(site_id, [])]
    extra = {
        "replan_k": rp.k,
        "replanned_for": now.floor("s"),
        "soc_start_kwh": rp.soc_start_kwh[site_id],
        "soc_measured_kwh": st.soc_measured_kwh,
        "soc_measured_at": st.soc_measured_at,
        "peak_so_far_kw": st.peak_so_far_kw,
        **site_flags(reasons),
        "status": rp.result.status,
    }
    for c, v in extra.items():
        df[c] = [v] * len(df)
    return df[DISPATCH_REPLANS.names]


def replan_job_schedule(force: PlanInForce, rp: Replan, site_id: str) -> pd.DataFrame:
    """The site's per-job kW over the whole plan day after the re-plan ``rp`` from step ``k``
    (columns ``job_id, step, kw``, the day's step numbers): steps ``< k`` from the plan in force
    (``force``: the per-job record it was built from), steps ``>= k`` from the re-plan (its
    flexible jobs, plus the non-preemptive jobs it keeps running, ``rp.fixed_jobs``)."""
    k = rp.k
    parts: list[pd.DataFrame] = []
    for job, kw in force.job_kw.items():
        st = np.flatnonzero(kw[:k] != 0.0)
        parts.append(pd.DataFrame({"job_id": job, "step": st, "kw": kw[st]}))
    jb = rp.result.jobs[rp.result.jobs["site_id"].astype(str) == site_id]
    parts.append(
        pd.DataFrame(
            {
                "job_id": jb["job_id"].astype(str).to_numpy(),
                "step": jb["step"].to_numpy(dtype=np.int64) + k,  # the sub-problem starts at k
                "kw": jb["kw"].to_numpy(dtype=float),
            }
        )
    )
    for job, f in rp.fixed_jobs.items():
        if f["site_id"] == site_id:
            parts.append(
                pd.DataFrame(
                    {
                        "job_id": job,
                        "step": np.asarray(f["steps"], dtype=np.int64),
                        "kw": f["step_kw"],
                    }
                )
            )
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else None
    if out is None or out.empty:
        return pd.DataFrame(
            {"job_id": pd.Series(dtype=str), "step": np.zeros(0, np.int64), "kw": np.zeros(0)}
        )
    return out.astype({"job_id": str, "step": np.int64, "kw": float})


def replan_revision(force: PlanInForce, k: int, index: pd.DatetimeIndex) -> dict:
    """The re-planned curve's extra fields: ``revision`` ``"replan"``, ``replan_k``,
    ``replan_start`` (the time of step ``k``) and ``based_on``: the plan each part of the day
    comes from, in time order (``plan`` ``day_ahead`` / ``replan`` / ``none``, ``replan_k`` of a
    re-plan, ``start`` / ``end`` ISO times, ``end`` exclusive)."""
    n = len(index)
    step = index[1] - index[0] if n > 1 else pd.Timedelta(hours=1)
    src = [int(x) for x in force.source[:k]] + [k] * (n - k)

    def bound(i: int) -> str:
        t = index[i] if i < n else index[-1] + step
        return pd.Timestamp(t).tz_convert(TZ).isoformat()

    segments: list[dict] = []
    a = 0
    for i in range(1, n + 1):
        if i == n or src[i] != src[a]:
            v = src[a]
            plan = "day_ahead" if v == -1 else "none" if v == -2 else "replan"
            segments.append(
                {
                    "plan": plan,
                    "replan_k": v if v >= 0 else None,
                    "start": bound(a),
                    "end": bound(i),
                }
            )
            a = i
    return {
        "revision": "replan",
        "replan_k": int(k),
        "replan_start": bound(k),
        "based_on": segments,
    }


# ----------------------------------------------------------------------------- I/O at the edges
def replan_group(
    scenario,
    site_ids: list[str] | None,
    plan_date: date | str,
    now: str | pd.Timestamp,
    home: str | Path | None = None,
    *,
    solver: str = "highs",
) -> dict:
    """Re-plan one group of sites from the lake's telemetry and plans, write the re-plan and each
    site's virtual capacity curve of the plan in force (``optimizers.vcc_io.write_replan_vcc``) and
    return the outcome (``runner.GroupOutcome.summary()`` keys, with ``vccs`` the curves' JSON and
    CSV paths, plus ``k``, ``flags``, ``solve_s`` and ``vcc_latest``: site → the
    ``.latest.json`` path).  Bad data gives a fallback, never an exception; a bad ``now`` / scenario an
    outcome with ``error``."""
    from carbon.pipeline.lake import partition_dir, write_partition
    from optimizers import readers
    from optimizers.lake_schemas import DISPATCH_JOB_PLANS, DISPATCH_REPLANS
    from optimizers.mpc import replan
    from optimizers.runner import GroupOutcome, site_job_frame
    from optimizers.scenario import ScenarioError, build_problem
    from optimizers.vcc import schedule_vcc
    from optimizers.vcc_io import write_replan_vcc

    sc = scenario.subset(site_ids) if site_ids else scenario
    ids = sc.site_ids
    try:
        d = date.fromisoformat(str(plan_date))
        t_now = as_local(now)
        problem = build_problem(sc, d, "1d", home)
        index = problem.sites[0].index
        k = replan_step(index, t_now)
    except (ScenarioError, ValueError) as exc:
        return GroupOutcome(ids, "error", error=str(exc)).summary()
    tele, force = {}, {}
    for s in problem.sites:
        sid = s.site_id
        tele[sid] = readers.read_telemetry_until(sid, d, t_now, home)
        force[sid] = plan_in_force(
            index,
            k,
            readers.read_plan_rows(PLANS, d, sid, home),
            readers.read_plan_rows(REPLANS, d, sid, home),
            readers.read_plan_rows(JOB_PLANS, d, sid, home),
            day_ahead_jobs_recorded=(
                partition_dir(JOB_PLANS, PLAN_KEY, partition_value(d, sid), home) / "part-0.parquet"
            ).exists(),
        )
    meas, info = measured_state(problem, k, tele, force)
    for sid, st in info.items():
        for r in st.reasons:
            log.warning("re-plan %s %s step %d: %s", sid, d, k, r)
    rp = replan(problem, k, meas, solver=solver)
    if not rp.ok and "green_share" in (rp.result.explanation or ""):
        # the target holds over the whole day, but the re-plan sees steps k… only: the renewable
        # energy already used is not carried, so the rest of a day may not reach it alone
        relaxed = dataclasses.replace(
            problem,
            sites=[dataclasses.replace(s, green_share_target=None) for s in problem.sites],
        )
        again = replan(relaxed, k, meas, solver=solver)
        if again.ok:
            for s in problem.sites:
                if s.green_share_target is not None:
                    info[s.site_id].reasons.append(
                        f"green_share: the {s.green_share_target:.0%} target cannot be met over "
                        f"steps {k}–{problem.n_steps - 1} alone (the executed part of the day is "
                        "not carried): re-planned without it"
                    )
                    log.warning(
                        "re-plan %s %s step %d: %s", s.site_id, d, k, info[s.site_id].reasons[-1]
                    )
            rp = again
    out = GroupOutcome(ids, rp.result.status, rp.result.explanation)
    summary = out.summary() | {"k": k, "now": t_now.isoformat(), "solve_s": rp.solve_s}
    if not rp.ok:
        return summary
    flags, vcc_latest = {}, {}
    for s in problem.sites:
        sid = s.site_id
        value = replan_partition(d, sid, k)
        frame = replan_frame(rp, sid, sc.name, d, t_now, info[sid])
        write_partition(REPLANS, PLAN_KEY, value, frame, schema=DISPATCH_REPLANS, home=home)
        jobs = site_job_frame(rp.result, rp.problem, sid, sc.name, d, replan_k=k)
        write_partition(JOB_PLANS, PLAN_KEY, value, jobs, schema=DISPATCH_JOB_PLANS, home=home)
        out.partitions.append(value)
        # the curve the scheduler enforces from now on: the plan in force before k, the re-plan
        # from k (the full-day problem gives the day's jobs and clock hours)
        doc = schedule_vcc(
            replan_job_schedule(force[sid], rp, sid),
            problem,
            sid,
            status=rp.result.status,
            solver=rp.result.solver,
            plan_date=d,
            scenario=sc.name,
            revision=replan_revision(force[sid], k, index),
        )
        written = write_replan_vcc(doc, d, sid, k, home)
        out.vccs += [written["json"], written["csv"]]
        vcc_latest[sid] = written["latest"]
        flags[sid] = {
            c: frame[c].iloc[0]
            for c in ("state_fallback", "forecast_gap", "fallback_reason", "soc_start_kwh")
        } | {"peak_so_far_kw": info[sid].peak_so_far_kw}
        flags[sid] = {c: (v.item() if hasattr(v, "item") else v) for c, v in flags[sid].items()}
    return summary | {
        "partitions": out.partitions,
        "flags": flags,
        "vccs": out.vccs,
        "vcc_latest": vcc_latest,
    }


# ----------------------------------------------------------------------------- the DAG's steps
def list_replan_groups(
    scenario_path: str | None, plan_date: str, now: str, *, solver: str = "highs"
) -> list[dict]:
    """The site groups of :func:`optimizers.runner.list_groups`, each with the re-plan's ``now``
    (one mapped task of ``dispatch_intraday`` per group)."""
    from optimizers.runner import list_groups

    return [g | {"now": now} for g in list_groups(scenario_path, plan_date, solver=solver)]


def run_replan_group(group: dict, home=None) -> dict:
    """Re-plan one group of :func:`list_replan_groups` and write it."""
    from optimizers.runner import group_args

    out = replan_group(*group_args(group, "now", home), solver=group["solver"])
    if out.get("error") and not out.get("explanation"):
        out["explanation"] = out["error"]  # the summary names it (runner.report)
    return out
