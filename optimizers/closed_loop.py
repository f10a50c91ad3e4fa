"""Closed-loop simulation of a day's dispatch against "real" telemetry (issue 13 §2).

A day is a one-site :class:`~optimizers.problem.Problem` built on the *forecast* IT base load
and PV (kW), plus the *real* series of the same day.  Three strategies are executed step by
step on the real series (:func:`simulate_day`):

- ``day_ahead``: one plan from the forecast; the battery (charge / discharge kW) and the jobs
  (kW per step) follow it; the difference between real and forecast load / PV is absorbed by
  the grid (more or less import) or by curtailing PV / wind.
- ``mpc``: every ``replan_every`` steps (4 × 15 min = 1 h) :func:`optimizers.mpc.replan`
  re-plans the rest of the day from the executed state (SoC kWh, delivered job kWh, peak import
  kW so far) on the forecast, and the first ``replan_every`` steps are executed.  A re-plan that
  fails keeps the previous plan (counted in ``replan_failures``).
- ``mpc_updated``: the same, but each re-plan first updates the rest of the day's forecast
  with the error just measured (:func:`updated_forecast`): IT load + the last step's error
  (kW), PV × the last step's real / forecast ratio, both fading with :data:`UPDATE_PHI` per
  step.
- ``mpc_margin``: ``mpc_updated`` whose re-plans see the peak so far lowered by
  ``peak_margin_kw``: import up to the peak already paid for is then not "free" in the plan,
  which keeps that much headroom for forecast errors (without it a re-plan fills the import up
  to the peak so far and any positive error sets a new peak: a ratchet). Only the plan sees
  the lowered peak; the executed day is scored on its real peak.
- ``perfect``: one plan from the real series (perfect foresight), executed.

Execution (:func:`execute_step`): facility kW = PUE·(IT base + jobs); the battery's planned
charge / discharge and the jobs' planned kW are applied; renewable power (PV + wind, free) serves
facility + charge − discharge first, the rest is curtailed (no export in this simulation); grid
import covers what is left.  If even with all renewables curtailed the battery would discharge
more than the facility draws (real load far below forecast), the discharge is cut to the load.
Every executed step satisfies the power balance of the model:
``pv_used + wind_used + import + discharge − charge = facility`` (``balance_residual_kw``).

The day's outcome is scored with the model's own objective (:func:`day_objective`): energy
cost, demand charge on the day's peak import (at the site's — prorated — rate, above its
``peak_floor_kw``), carbon price × tCO2 and battery degradation.  Perfect foresight minimises
exactly that over the same realised series, so for any strategy whose executed schedule is
feasible for the model (every job delivered inside its window, SoC within bounds and ending at
or above its floor, import within its limits; :attr:`DayOutcome.feasible`),
``objective(perfect) ≤ objective(strategy)``.  A schedule that misses a deadline is not a
feasible point of that LP and may be cheaper: the bound is not claimed for it.

Pure: no I/O.  The benchmark is ``benchmarks/mpc_closed_loop.py``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizers.mpc import MeasuredState, replan
from optimizers.problem import TZ, Battery, DispatchResult, Job, Options, Problem, Site
from optimizers.variables import iter_jobs

STRATEGIES = ("day_ahead", "mpc", "mpc_updated", "mpc_margin", "perfect")
UPDATE_PHI = 0.95  # per 15-min step: the measured forecast error's weight decays with this factor
JOB_TOL_KWH = 1e-3  # a job delivered less than energy − this (kWh) by its deadline is missed
SOC_TOL_KWH = 1e-6


@dataclass
class DayOutcome:
    """What one strategy did on one day (arrays per executed step; kW unless named)."""

    strategy: str
    import_kw: np.ndarray
    renewable_used_kw: np.ndarray
    curtailed_kw: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    soc_kwh: np.ndarray  # at the END of each step
    facility_kw: np.ndarray
    job_kw: dict[str, np.ndarray]
    balance_residual_kw: np.ndarray
    delivered_kwh: dict[str, float]
    required_kwh: dict[str, float]
    missed: list[str]
    objective_cny: float
    cost_cny: float  # money paid: energy + demand charge + degradation (no carbon price)
    tco2: float
    green_share: float
    peak_kw: float
    violations: list[str] = field(default_factory=list)
    replans: int = 0
    replan_failures: int = 0
    replan_s: list[float] = field(default_factory=list)
    step_hours: float = 0.25

    @property
    def feasible(self) -> bool:
        """The executed schedule is a feasible point of the day's model (see the module doc)."""
        return not self.missed and not self.violations


def day_jobs(it_nominal_kw: float, steps_per_hour: int = 4) -> list[Job]:
    """The day's flexible jobs (kWh of IT energy) in proportion to the site's nominal IT kW:
    ``batch`` any time (10 % of a day's nominal IT energy), ``train`` 08:00–20:00 (5 %),
    ``render`` 18:00–23:00 (2 %); all preemptible (the LP executes planned kW per step)."""
    day_kwh = it_nominal_kw * 24
    h = steps_per_hour
    return [
        Job("batch", 0, 24 * h, 0.10 * day_kwh, 0.25 * it_nominal_kw),
        Job("train", 8 * h, 20 * h, 0.05 * day_kwh, 0.20 * it_nominal_kw),
        Job("render", 18 * h, 23 * h, 0.02 * day_kwh, 0.15 * it_nominal_kw),
    ]


def day_problem(
    site_id: str,
    day: str,
    *,
    it_base_kw: np.ndarray,
    pv_kw: np.ndarray,
    wind_kw: np.ndarray,
    pue: np.ndarray,
    price_cny_per_kwh: np.ndarray,
    carbon_kg_per_kwh: np.ndarray,
    battery_kwh: float,
    battery_power_kw: float,
    jobs: list[Job],
    demand_charge_cny_per_kw_month: float = 40.0,
    carbon_price_cny_per_t: float = 0.0,
    uscc: str | None = None,
) -> Problem:
    """A one-site, one-day problem at 15-minute steps (96; arrays kW / CNY/kWh / kgCO2/kWh per
    step) for the closed loop: no export, no contract limit, the monthly demand charge
    prorated to the day (30-day month), battery starting and ending at ≥ 50 % SoC."""
    from optimizers import prorate_demand_charge

    index = pd.date_range(pd.Timestamp(day), periods=96, freq="15min", tz=TZ)
    n = len(index)
    arrays = {
        "wind_kw": wind_kw,
        "pue": pue,
        "price_cny_per_kwh": price_cny_per_kwh,
        "carbon_kg_per_kwh": carbon_kg_per_kwh,
    }
    for name, a in arrays.items():
        a = np.asarray(a, dtype=float)
        if a.shape != (n,) or not np.isfinite(a).all():
            raise ValueError(f"closed loop {day}: {name} must be {n} finite values, got {a.shape}")
    if (np.asarray(pue, float) < 1).any():
        raise ValueError(f"closed loop {day}: pue below 1")
    site = Site(
        site_id=site_id,
        uscc=uscc,
        index=index,
        step_hours=0.25,
        it_base_kw=np.asarray(it_base_kw, float),
        pue=np.asarray(pue, float),
        pv_kw=np.asarray(pv_kw, float),
        wind_kw=np.asarray(wind_kw, float),
        price_cny_per_kwh=np.asarray(price_cny_per_kwh, float),
        carbon_kg_per_kwh=np.asarray(carbon_kg_per_kwh, float),
        demand_charge_cny_per_kw=prorate_demand_charge(demand_charge_cny_per_kw_month, 24),
        battery=Battery(energy_kwh=battery_kwh, power_kw=battery_power_kw) if battery_kwh else None,
        jobs=list(jobs),
    )
    problem = Problem([site], options=Options(carbon_price_cny_per_t=carbon_price_cny_per_t))
    return with_series(problem, it_base_kw, pv_kw)


def with_series(problem: Problem, it_base_kw: np.ndarray, pv_kw: np.ndarray) -> Problem:
    """``problem`` (one site) with its IT base load and PV replaced (kW per step)."""
    if len(problem.sites) != 1:
        raise ValueError(f"closed loop: one site per problem, got {len(problem.sites)}")
    s = problem.sites[0]
    n = problem.n_steps
    for name, a in (("it_base_kw", it_base_kw), ("pv_kw", pv_kw)):
        a = np.asarray(a, dtype=float)
        if a.shape != (n,):
            raise ValueError(f"closed loop: {name} has shape {a.shape}, expected ({n},)")
        if not np.isfinite(a).all() or (a < 0).any():
            raise ValueError(f"closed loop: {name} has NaN or negative values")
    site = dataclasses.replace(
        s, it_base_kw=np.asarray(it_base_kw, float), pv_kw=np.asarray(pv_kw, float)
    )
    return dataclasses.replace(problem, sites=[site])


def updated_forecast(
    fc_kw: np.ndarray, real_kw: np.ndarray, k: int, kind: str, phi: float = UPDATE_PHI
) -> np.ndarray:
    """The forecast (kW per step) with steps ``[k, n)`` corrected by the error measured at step
    ``k − 1``: additive for ``"load"`` (error × φ^(t−k+1)), multiplicative for ``"pv"`` (ratio
    real / forecast, clipped to [0, 2], pulled back to 1 by φ^(t−k+1); no correction when the
    forecast at ``k − 1`` is below 1 kW, e.g. at night). Steps before ``k`` are left as given."""
    if not 0.0 <= phi <= 1.0:
        raise ValueError(f"closed loop: forecast update factor phi must be in [0, 1], got {phi}")
    out = np.asarray(fc_kw, dtype=float).copy()
    if k < 1:
        return out
    w = phi ** np.arange(1, len(out) - k + 1)
    f, r = float(out[k - 1]), float(real_kw[k - 1])
    if kind == "load":
        out[k:] = out[k:] + (r - f) * w
    elif kind == "pv":
        if f >= 1.0:
            out[k:] = out[k:] * (1 + (float(np.clip(r / f, 0.0, 2.0)) - 1) * w)
    else:
        raise ValueError(f"closed loop: forecast kind {kind!r}, expected 'load' or 'pv'")
    return np.clip(out, 0.0, None)


def plan_actions(result: DispatchResult, n: int, job_ids: list[str]) -> dict[str, np.ndarray]:
    """The plan's decisions per step: ``charge``, ``discharge`` (kW) and ``job:<id>`` (kW)."""
    if not result.ok:
        raise ValueError(f"closed loop: no plan to execute (status {result.status})")
    p = result.plan
    if len(p) != n:
        raise ValueError(f"closed loop: plan has {len(p)} steps, expected {n}")
    out = {
        "charge": p["battery_charge_kw"].to_numpy(float).copy(),
        "discharge": p["battery_discharge_kw"].to_numpy(float).copy(),
    }
    for jid in job_ids:
        out[f"job:{jid}"] = np.zeros(n)
    for jid, g in result.jobs.groupby("job_id"):
        out[f"job:{jid}"][g["step"].to_numpy(int)] += g["kw"].to_numpy(float)
    return out


def execute_step(
    problem_real: Problem, t: int, soc_kwh: float, charge_kw: float, discharge_kw: float, job_kw
) -> dict[str, float]:
    """Execute step ``t`` on the real series: returns the executed kW of each flow and the SoC
    (kWh) at the end of the step (see the module doc)."""
    s = problem_real.sites[0]
    dt = problem_real.step_hours
    it = float(s.it_base_kw[t]) + float(job_kw)
    facility = float(np.asarray(s.pue, float)[t]) * it
    ren = float(np.asarray(s.pv_kw, float)[t]) + float(np.asarray(s.wind_kw, float)[t])
    c, d = max(0.0, float(charge_kw)), max(0.0, float(discharge_kw))
    if d > facility + c:  # would push power out of a connection that does not export
        d = facility + c
    net = facility + c - d  # ≥ 0
    used = min(ren, net)
    imp = net - used
    b = s.battery
    if b is not None and b.energy_kwh > 0:
        soc = soc_kwh + (b.eta_charge * c - d / b.eta_discharge) * dt
    else:
        soc, c, d = 0.0, 0.0, 0.0
    return {
        "facility": facility,
        "renewable_used": used,
        "curtailed": ren - used,
        "import": imp,
        "charge": c,
        "discharge": d,
        "soc": soc,
        "residual": used + imp + d - c - facility,
    }


def day_objective(
    problem_real: Problem, import_kw: np.ndarray, discharge_kw: np.ndarray
) -> tuple[float, float, float]:
    """(objective CNY, money cost CNY, tCO2) of an executed day, as the model counts them."""
    s = problem_real.sites[0]
    dt = problem_real.step_hours
    n = problem_real.n_steps
    price = np.broadcast_to(np.asarray(s.price_cny_per_kwh, float), (n,))
    ci = np.broadcast_to(np.asarray(s.carbon_kg_per_kwh, float), (n,))
    energy = float((price * import_kw).sum() * dt)
    tco2 = float((ci * import_kw).sum() * dt / 1000.0)
    demand = 0.0
    if s.demand_charge_cny_per_kw > 0:
        demand = s.demand_charge_cny_per_kw * max(s.peak_floor_kw, float(import_kw.max()))
    deg = 0.0
    if s.battery is not None and s.battery.degradation_cost_cny_per_kwh > 0:
        deg = s.battery.degradation_cost_cny_per_kwh * float(discharge_kw.sum() * dt)
    cost = energy + demand + deg
    return cost + problem_real.options.carbon_price_cny_per_t * tco2, cost, tco2


def _check_problem(problem: Problem) -> None:
    s = problem.sites[0]
    if s.grid_export_max_kw > 0:
        raise ValueError("closed loop: export is not simulated; set grid_export_max_kw = 0")
    if s.backup_gen_kw > 0 or s.dr_events or s.green_share_target or problem.shared_jobs:
        raise ValueError(
            "closed loop: backup generation, demand-response events, a green-share target and "
            "shared jobs are not simulated"
        )
    if problem.options.is_milp:
        raise ValueError("closed loop: LP plans only (jobs are executed as planned kW per step)")
    if s.battery is not None and s.battery.cyclic:
        raise ValueError("closed loop: a fixed battery start (soc_init) is needed, not 'free'")


def simulate_day(
    problem_fc: Problem,
    it_real_kw: np.ndarray,
    pv_real_kw: np.ndarray,
    strategy: str,
    *,
    replan_every: int = 4,
    solver: str = "highs",
    plan: DispatchResult | None = None,
    peak_margin_kw: float = 0.0,
) -> DayOutcome:
    """Execute ``strategy`` for one day on the real series (see the module doc).

    ``plan``: for ``day_ahead`` / ``perfect``, the plan to execute instead of solving one (a
    test can hand in a plan that misses a job). ``peak_margin_kw``: the headroom of
    ``mpc_margin`` (kW ≥ 0)."""
    from optimizers.solve import solve

    if strategy not in STRATEGIES:
        raise ValueError(
            f"closed loop: unknown strategy {strategy!r}, expected one of {STRATEGIES}"
        )
    if replan_every < 1:
        raise ValueError(f"closed loop: replan_every must be ≥ 1, got {replan_every}")
    _check_problem(problem_fc)
    real = with_series(problem_fc, it_real_kw, pv_real_kw)
    n, dt = real.n_steps, real.step_hours
    site = real.sites[0]
    jobs = [j for j, _ in iter_jobs(real)]
    job_ids = [j.job_id for j in jobs]
    b = site.battery
    soc = b.soc_init_kwh if b is not None and b.energy_kwh > 0 else 0.0
    rec = {k: np.zeros(n) for k in ("import", "renewable_used", "curtailed", "facility")}
    rec |= {k: np.zeros(n) for k in ("charge", "discharge", "soc", "residual")}
    job_exec = {jid: np.zeros(n) for jid in job_ids}
    replans = failures = 0
    replan_s: list[float] = []

    if not (math.isfinite(peak_margin_kw) and peak_margin_kw >= 0):
        raise ValueError(f"closed loop: peak_margin_kw must be ≥ 0 kW, got {peak_margin_kw}")
    mpc = strategy in ("mpc", "mpc_updated", "mpc_margin")
    margin = peak_margin_kw if strategy == "mpc_margin" else 0.0
    fc_site = problem_fc.sites[0]
    if mpc:
        actions = None
    else:
        if plan is None:
            plan = solve(problem_fc if strategy == "day_ahead" else real, solver)
        actions = plan_actions(plan, n, job_ids)
        offset = 0
    for t in range(n):
        if mpc and t % replan_every == 0:
            meas = MeasuredState(
                soc_kwh={site.site_id: soc},
                soc_step={site.site_id: max(t - 1, 0)},
                last_good_soc_kwh={site.site_id: soc},
                delivered_kwh={j: float(job_exec[j][:t].sum() * dt) for j in job_ids},
                peak_so_far_kw={
                    site.site_id: max(0.0, float(rec["import"][:t].max()) - margin) if t else 0.0
                },
            )
            t0 = time.perf_counter()
            planned = problem_fc
            if strategy in ("mpc_updated", "mpc_margin") and t > 0:
                planned = with_series(
                    problem_fc,
                    updated_forecast(fc_site.it_base_kw, real.sites[0].it_base_kw, t, "load"),
                    updated_forecast(fc_site.pv_kw, real.sites[0].pv_kw, t, "pv"),
                )
            rp = replan(planned, t, meas, solver=solver)
            replan_s.append(time.perf_counter() - t0)
            replans += 1
            if rp.ok:
                actions, offset = plan_actions(rp.result, n - t, job_ids), t
            elif actions is None:
                raise RuntimeError(f"closed loop: the first re-plan failed ({rp.result.status})")
            else:
                failures += 1
        assert actions is not None
        i = t - offset
        jkw = {jid: float(actions[f"job:{jid}"][i]) for jid in job_ids}
        for jid in job_ids:
            job_exec[jid][t] = jkw[jid]
        step = execute_step(
            real, t, soc, actions["charge"][i], actions["discharge"][i], sum(jkw.values())
        )
        soc = step["soc"]
        for k in rec:
            rec[k][t] = step[k]

    violations = []
    if b is not None and b.energy_kwh > 0:
        lo, hi = b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh
        if (rec["soc"] < lo - SOC_TOL_KWH).any() or (rec["soc"] > hi + SOC_TOL_KWH).any():
            violations.append("soc outside its bounds")
        floor = (b.soc_end_min if b.soc_end_min is not None else b.soc_init) * b.energy_kwh
        if rec["soc"][-1] < floor - SOC_TOL_KWH:
            violations.append(f"soc ends at {rec['soc'][-1]:.3f} kWh below its floor {floor:.3f}")
    imax = np.broadcast_to(np.asarray(site.grid_import_max_kw, float), (n,))
    limit = np.minimum(imax, site.contract_kw if site.contract_kw is not None else math.inf)
    if (rec["import"] > limit + 1e-6).any():
        violations.append(
            f"import above its limit at {int((rec['import'] > limit + 1e-6).sum())} steps"
        )
    delivered, required, missed = {}, {}, []
    for j in jobs:
        e = job_exec[j.job_id]
        inside = float(e[j.release : j.deadline].sum() * dt)
        if float(e.sum() * dt) - inside > JOB_TOL_KWH:
            violations.append(f"job {j.job_id} ran outside its window")
        delivered[j.job_id], required[j.job_id] = inside, j.energy_kwh
        if inside < j.energy_kwh - JOB_TOL_KWH:
            missed.append(j.job_id)
    obj, cost, tco2 = day_objective(real, rec["import"], rec["discharge"])
    fac_kwh = float(rec["facility"].sum() * dt)
    green = float(rec["renewable_used"].sum() * dt + site.green_purchase_kwh) / fac_kwh
    return DayOutcome(
        strategy=strategy,
        import_kw=rec["import"],
        renewable_used_kw=rec["renewable_used"],
        curtailed_kw=rec["curtailed"],
        charge_kw=rec["charge"],
        discharge_kw=rec["discharge"],
        soc_kwh=rec["soc"],
        facility_kw=rec["facility"],
        job_kw=job_exec,
        balance_residual_kw=rec["residual"],
        delivered_kwh=delivered,
        required_kwh=required,
        missed=missed,
        objective_cny=obj,
        cost_cny=cost,
        tco2=tco2,
        green_share=green,
        peak_kw=float(rec["import"].max()),
        violations=violations,
        replans=replans,
        replan_failures=failures,
        replan_s=replan_s,
        step_hours=dt,
    )


def summarise(days: list[dict[str, DayOutcome]]) -> dict[str, dict[str, float]]:
    """Totals per strategy over days (each a ``{strategy: DayOutcome}``): cost and objective
    CNY, tCO2, green share (renewable kWh used / facility kWh), deadlines missed, peak kW (the
    highest day's), infeasible days, re-plans; and the gaps to perfect foresight (%)."""
    out: dict[str, dict[str, float]] = {}
    for strat in days[0]:
        ds = [d[strat] for d in days]
        fac = sum(float(o.facility_kw.sum()) for o in ds)
        ren = sum(float(o.renewable_used_kw.sum()) for o in ds)
        out[strat] = {
            "days": len(ds),
            "cost_cny": sum(o.cost_cny for o in ds),
            "objective_cny": sum(o.objective_cny for o in ds),
            "tco2": sum(o.tco2 for o in ds),
            "green_share": ren / fac,
            "curtailed_kwh": sum(float(o.curtailed_kw.sum()) * o.step_hours for o in ds),
            "deadlines_missed": sum(len(o.missed) for o in ds),
            "jobs": sum(len(o.required_kwh) for o in ds),
            "peak_kw": max(o.peak_kw for o in ds),
            "infeasible_days": sum(not o.feasible for o in ds),
            "replans": sum(o.replans for o in ds),
            "replan_failures": sum(o.replan_failures for o in ds),
            "max_balance_residual_kw": max(float(np.abs(o.balance_residual_kw).max()) for o in ds),
        }
    if "perfect" in out:
        pf = out["perfect"]
        for r in out.values():
            r["cost_gap_to_perfect_pct"] = 100 * (r["cost_cny"] / pf["cost_cny"] - 1)
            r["objective_gap_to_perfect_pct"] = 100 * (r["objective_cny"] / pf["objective_cny"] - 1)
    return out
