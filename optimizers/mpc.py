"""Intraday re-planning (model-predictive control, issue 13 §2).

:func:`replan` re-plans the rest of the horizon from step ``k`` (the first step not yet
executed) given what was measured up to ``k``:

- **state of charge**: the measured ``battery_soc`` (kWh) becomes the initial state.  It is
  validated: missing / NaN, stale (measured more than :data:`STALE_STEPS` steps before ``k``) or
  outside ``[soc_min, soc_max]·energy_kwh`` (± :data:`SOC_TOL_KWH`) → the *last good state*
  (``MeasuredState.last_good_soc_kwh``, e.g. the executed plan's SoC at ``k − 1``; else the
  day-ahead initial state) is used, with the reason logged and returned in
  :attr:`Replan.fallbacks` (KPI flag ``state_fallback``).  Never silently assumed.
- **job energy**: each job's remaining energy = ``energy_kwh − delivered_kwh[job]``.  The
  delivered energy is what the caller measured or executed (the DAG takes it from the executed
  part of the last plan, since telemetry carries only aggregate IT kW, not per-job energy).
- **non-preemptive jobs already running** (``MeasuredState.running_kw``) stay fixed: they keep
  running at their current kW from ``k`` until their remaining energy is delivered; they are
  taken out of the flexible set and added to the site's fixed IT load (and reported back in
  :attr:`Replan.fixed_jobs`).
- **demand charge**: charged on ``max(peak so far, future import)``: the peak measured so far
  is the floor of the ``peak`` variable (``Site.peak_floor_kw``).
- **PV / load**: the problem's series after ``k`` are the forecast (P50 from
  ``optimizers.forecast.io`` when the scenario says ``forecast: model`` — that is how
  ``build_problem`` built them — else the scenario's series).  Gaps (NaN) in the future part are
  filled from the last good value, with a reason and the flag ``forecast_gap``.

The sub-problem is built by :func:`optimizers.solve.window_problem` (the same slicing the
rolling horizon uses: one function, not a copy), and solved by ``solve_once``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from optimizers.problem import DispatchResult, Problem
from optimizers.variables import iter_jobs

log = logging.getLogger(__name__)

STALE_STEPS = 2  # a measurement older than this many steps before k is stale
SOC_TOL_KWH = 1e-6


@dataclass
class MeasuredState:
    """What was measured (or executed) up to step ``k``, per site / job."""

    soc_kwh: dict[str, float | None] = field(default_factory=dict)
    soc_step: dict[str, int] = field(default_factory=dict)  # step the SoC was measured at
    last_good_soc_kwh: dict[str, float] = field(default_factory=dict)
    delivered_kwh: dict[str, float] = field(default_factory=dict)
    running_kw: dict[str, float] = field(default_factory=dict)  # non-preemptive, running now
    peak_so_far_kw: dict[str, float] = field(default_factory=dict)


@dataclass
class Replan:
    k: int
    problem: Problem
    result: DispatchResult
    soc_start_kwh: dict[str, float]
    fallbacks: dict[str, list[str]]  # site_id → reasons (empty: none)
    fixed_jobs: dict[str, dict]  # job_id → {site_id, kw, steps, step_kw}
    solve_s: float

    @property
    def ok(self) -> bool:
        return self.result.ok

    def kpi_flags(self) -> dict[str, dict]:
        return {
            sid: {
                "state_fallback": any(r.startswith("soc") for r in reasons),
                "forecast_gap": any(r.startswith("forecast") for r in reasons),
                "fallback_reason": "; ".join(reasons) or None,
            }
            for sid, reasons in self.fallbacks.items()
        }


def checked_soc(site, k: int, measured: MeasuredState, reasons: list[str]) -> float | None:
    """The start state (kWh) of ``site`` at step ``k``: the measured one when good, else the
    last good state (reason appended to ``reasons``)."""
    b = site.battery
    if b is None or b.energy_kwh <= 0:
        return 0.0
    lo, hi = b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh
    v = measured.soc_kwh.get(site.site_id)
    step = measured.soc_step.get(site.site_id, k)
    why = None
    if v is None or not math.isfinite(float(v)):
        why = "soc missing (telemetry stopped or no battery_soc)"
    elif k - step > STALE_STEPS:
        why = f"soc stale (last measured at step {step}, re-plan at step {k})"
    elif not lo - SOC_TOL_KWH <= float(v) <= hi + SOC_TOL_KWH:
        why = f"soc {float(v):.3f} kWh outside [{lo:.3f}, {hi:.3f}] kWh"
    if why is None:
        return float(v)
    good = measured.last_good_soc_kwh.get(site.site_id)
    if good is None or not math.isfinite(float(good)):
        good = None if b.cyclic else b.soc_init_kwh
        src = "day-ahead initial state" if good is not None else "free start"
    else:
        src = "last good state"
    if good is not None:
        good = float(np.clip(good, lo, hi))
    reasons.append(f"{why}: using {src} {good if good is None else round(good, 6)} kWh")
    return good


def _fill_gaps(arr, k: int, name: str, reasons: list[str]):
    a = np.asarray(arr, dtype=float)
    if a.ndim == 0 or not np.isnan(a[k:]).any():
        return arr
    a = a.copy()
    bad = int(np.isnan(a[k:]).sum())
    good = a[~np.isnan(a)]
    last = float(good[-1]) if good.size else 0.0
    for i in range(len(a)):
        if np.isnan(a[i]):
            a[i] = last if i == 0 else a[i - 1]
    reasons.append(f"forecast {name}: {bad} missing future steps filled with the last good value")
    return a


def replan(
    problem: Problem,
    k: int,
    measured: MeasuredState,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
) -> Replan:
    """Re-plan steps ``[k, n)`` of ``problem`` from the measured state (see the module doc)."""
    from optimizers.solve import solve_once, window_problem

    n = problem.n_steps
    if not 0 <= k < n:
        raise ValueError(f"re-plan step {k} outside the horizon [0, {n})")
    dt = problem.step_hours
    fallbacks: dict[str, list[str]] = {s.site_id: [] for s in problem.sites}
    soc: dict[str, float | None] = {}
    sites = []
    fixed: dict[str, dict] = {}
    site_of = {}
    for j, allowed in iter_jobs(problem):
        site_of[j.job_id] = allowed
    # jobs fixed: non-preemptive and running now
    extra_it = {s.site_id: np.zeros(n) for s in problem.sites}
    remaining: dict[str, float] = {}
    for j, allowed in iter_jobs(problem):
        rem = max(0.0, j.energy_kwh - float(measured.delivered_kwh.get(j.job_id, 0.0)))
        kw = float(measured.running_kw.get(j.job_id, 0.0))
        if kw > 1e-9 and not j.preemptible and rem > 1e-9:
            sid = allowed[0] if len(allowed) == 1 else measured_site(measured, j.job_id, allowed)
            full, part = divmod(rem / (kw * dt), 1.0)
            steps = np.arange(k, min(n, k + int(full)))
            extra_it[sid][steps] += kw
            step_kw = [kw] * len(steps)
            last = k + int(full)
            if part > 1e-12 and last < n:
                extra_it[sid][last] += part * kw
                steps = np.append(steps, last)
                step_kw.append(part * kw)
            fixed[j.job_id] = {
                "site_id": sid,
                "kw": kw,
                "steps": steps.tolist(),
                "step_kw": step_kw,  # kW at each of ``steps`` (the last may be a part)
            }
            rem = 0.0
        remaining[j.job_id] = rem
    for s in problem.sites:
        reasons = fallbacks[s.site_id]
        soc[s.site_id] = checked_soc(s, k, measured, reasons)
        sites.append(
            dataclasses.replace(
                s,
                it_base_kw=_fill_gaps(s.it_base_kw, k, "it_load", reasons) + extra_it[s.site_id],
                pv_kw=_fill_gaps(s.pv_kw, k, "pv", reasons),
                wind_kw=_fill_gaps(s.wind_kw, k, "wind", reasons),
            )
        )
        for r in reasons:
            log.warning("re-plan %s step %d: %s", s.site_id, k, r)
    base = dataclasses.replace(problem, sites=sites)
    peak = {s.site_id: float(measured.peak_so_far_kw.get(s.site_id, 0.0)) for s in sites}
    sub = window_problem(base, k, n, soc, peak, remaining, problem.options.emission_cap_t)
    t0 = time.perf_counter()
    result = solve_once(sub, solver, time_limit, step_offset=k)
    spent = time.perf_counter() - t0
    start = {s.site_id: float(soc[s.site_id] or 0.0) for s in problem.sites}
    return Replan(k, sub, result, start, fallbacks, fixed, spent)


def measured_site(measured: MeasuredState, job_id: str, allowed: tuple[str, ...]) -> str:
    return allowed[0]
