"""Solve a :class:`~optimizers.problem.Problem`: build, solve, duals, results, explanations.

Infeasible problems are never reported bare: an elastic copy of the model (a penalised slack on
every relaxable row, see ``model.ELASTIC_WEIGHTS``) is solved and the families, sites, jobs and
steps whose slack is non-zero are named in ``DispatchResult.explanation``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from optimizers import risk
from optimizers.highs_bridge import RawSolution, solve_arrays
from optimizers.model import (
    ELASTIC_WEIGHTS,
    LinearModel,
    backup_allowed,
    build_model,
    iter_jobs,
    job_min_kw,
    validate,
)
from optimizers.problem import DispatchResult, Job, Problem, ProgressFn
from optimizers.results import (
    binding_table,
    empty_binding,
    empty_jobs,
    empty_kpis,
    empty_moves,
    empty_plan,
    job_delivery,
    jobs_table,
    kpi_table,
    moves_table,
    plan_table,
    soc_start,
)
from optimizers.validation import uses_moves, validate_moves

SLACK_TOL = 1e-6
# Relative MIP gap used when the caller gives none (HiGHS' own default is 1e-4).  A day-ahead
# plan faces price and load forecasts far less certain than 0.5 %; pass ``mip_gap`` to tighten.
DEFAULT_MIP_GAP = 5e-3
# A MILP never runs unbounded in a nightly pipeline: without a caller's time limit it stops here
# and returns its best plan with status "time_limit".
DEFAULT_MILP_TIME_LIMIT = 120.0


def solve(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress: ProgressFn | None = None,
) -> DispatchResult:
    """Build and solve the dispatch model (the public ``optimizers.solve``).  ``solver``:
    ``"highs"`` (highspy, default) or ``"cbc"`` (PuLP's ``PULP_CBC_CMD``).  ``time_limit`` in
    seconds (whole call), ``mip_gap`` relative (MILP only; default 0.5 %, see
    :data:`DEFAULT_MIP_GAP`; a MILP without a time limit stops after ``DEFAULT_MILP_TIME_LIMIT`` =
    120 s).  ``progress`` is called as ``progress(stage, fraction_done)``.  Never raises on
    infeasibility: see :attr:`DispatchResult.explanation`.  Raises ``ValueError`` on invalid input
    data.

    A risk-aware problem (``optimizers.risk``) is solved twice: as given, and without its
    adverse scenario (the risk-neutral plan of the same day), for the price of robustness in the
    KPIs ``robustness_cost_cny`` and ``robustness_tco2``."""
    result = _solve(problem, solver, time_limit, mip_gap, progress)
    if risk.risk_aware(problem) and result.ok:
        neutral = _solve(risk.risk_neutral(problem), solver, time_limit, mip_gap, None)
        result = risk.with_robustness(result, neutral)
    return result


def _solve(
    problem: Problem,
    solver: str,
    time_limit: float | None,
    mip_gap: float | None,
    progress: ProgressFn | None,
) -> DispatchResult:
    w = problem.options.rolling_window_steps
    if w is not None and w < problem.n_steps:
        validate_moves(problem)  # moving shared jobs is not supported in rolling windows
        return solve_rolling(problem, solver, time_limit, mip_gap, progress)
    return solve_once(problem, solver, time_limit, mip_gap, progress)


def _progress(progress: ProgressFn | None, stage: str, frac: float) -> None:
    if progress is not None:
        progress(stage, frac)


def solve_once(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress: ProgressFn | None = None,
    step_offset: int = 0,
) -> DispatchResult:
    """Solve ``problem`` as one model.  ``step_offset`` shifts the steps named in an
    infeasibility explanation (rolling windows)."""
    _progress(progress, "build", 0.0)
    t0 = time.perf_counter()
    m = build_model(problem)
    cost = m.objective_vector()
    m.arrays()
    build_s = time.perf_counter() - t0
    _progress(progress, "solve", 0.1)
    start, start_s = None, 0.0
    if m.is_mip and time_limit is None:
        time_limit = DEFAULT_MILP_TIME_LIMIT
    if m.is_mip and solver.lower() in ("highs", "highspy"):
        start, start_s = mip_start(problem, m, cost, time_limit)
    if m.is_mip and mip_gap is None:
        mip_gap = DEFAULT_MIP_GAP
    remaining = None if time_limit is None else max(0.1, time_limit - start_s)
    sol = solve_arrays(m, solver, cost, time_limit=remaining, mip_gap=mip_gap, start=start)
    solve_s = sol.solve_s + start_s
    size = model_size(m)
    if sol.x is None:
        _progress(progress, "explain", 0.8)
        explanation = None
        if sol.status in ("infeasible", "error", "unbounded"):
            explanation = explain_infeasible(problem, m, solver, time_limit, step_offset)
        elif sol.status == "no_solution":
            explanation = f"no feasible solution found within the time limit ({time_limit} s)"
        _progress(progress, "done", 1.0)
        return DispatchResult(
            status=sol.status,
            objective=float("nan"),
            plan=empty_plan(),
            jobs=empty_jobs(),
            kpis=empty_kpis(),
            binding=empty_binding(),
            moves=empty_moves(),
            explanation=explanation,
            solver=solver,
            build_s=build_s,
            solve_s=solve_s,
            warnings=list(m.warnings),
            model_size=size,
        )
    _progress(progress, "results", 0.8)
    row_dual, col_dual, row_act = sol.row_dual, sol.col_dual, sol.row_act
    warnings = list(m.warnings)
    if m.is_mip:
        fixed = fixed_lp_duals(m, solver, cost, sol.x)
        solve_s += fixed.solve_s
        if fixed.row_dual is not None:
            row_dual, col_dual, row_act = fixed.row_dual, fixed.col_dual, fixed.row_act
        else:
            warnings.append(f"no duals: the LP with integers fixed ended {fixed.status}")
    return make_result(
        problem,
        m,
        sol,
        row_dual,
        col_dual,
        row_act,
        solver,
        build_s,
        solve_s,
        warnings,
        size,
        progress,
    )


def make_result(
    problem: Problem,
    m: LinearModel,
    sol: RawSolution,
    row_dual: np.ndarray | None,
    col_dual: np.ndarray | None,
    row_act: np.ndarray | None,
    solver: str,
    build_s: float,
    solve_s: float,
    warnings: list[str],
    size: dict[str, int],
    progress: ProgressFn | None = None,
) -> DispatchResult:
    assert sol.x is not None and row_act is not None
    plan = plan_table(problem, m, sol, row_dual)
    jobs = jobs_table(problem, m, sol.x)
    delivered = job_delivery(problem, m, sol.x)
    kpis = kpi_table(
        problem,
        plan,
        delivered,
        m.carbon_price_cny_per_t,
        soc_start(problem, m, sol.x),
        jobs,
    )
    binding = binding_table(m, sol.x, row_act, row_dual, col_dual)
    _progress(progress, "done", 1.0)
    return DispatchResult(
        status=sol.status,
        objective=float(sol.objective),
        plan=plan,
        jobs=jobs,
        kpis=kpis,
        binding=binding,
        explanation=None,
        solver=solver,
        build_s=build_s,
        solve_s=solve_s,
        mip_gap=sol.mip_gap,
        warnings=warnings,
        model_size=size,
        moves=moves_table(problem, delivered),
    )


def model_size(m: LinearModel) -> dict[str, int]:
    a = m.arrays()
    return {
        "columns": m.n_cols,
        "rows": m.n_rows,
        "nonzeros": len(a["vals"]),
        "integers": int(a["integer"].sum()),
    }


def fixed_lp_duals(m: LinearModel, solver: str, cost: np.ndarray, x: np.ndarray) -> RawSolution:
    """Duals of a MILP: re-solve the LP with every integer variable fixed at its value."""
    a = m.arrays()
    integer = a["integer"]
    lb = a["lb"].copy()
    ub = a["ub"].copy()
    xi = np.round(x[integer])
    lb[integer] = xi
    ub[integer] = xi
    return solve_arrays(m, solver, cost, lb=lb, ub=ub, integer=np.zeros_like(integer))


# ---------------------------------------------------------------------------------------------
# infeasibility: elastic relaxation


def elastic_model(m: LinearModel, dt: float) -> tuple[LinearModel, list[tuple[int, int, float]]]:
    """Copy of ``m`` with a penalised slack column on each relaxable row.

    Returns the copy and ``[(slack_col_start, row_block_index, sign)]``.  The copy's ``cost``
    holds the penalties only (the original objective is dropped: phase-1 style)."""
    e = m.copy(zero_cost=True)
    a = m.arrays()
    slacks: list[tuple[int, int, float]] = []
    for k, b in enumerate(m.row_blocks):
        w = ELASTIC_WEIGHTS.get(b.kind, 1.0)
        if w <= 0:
            continue
        scale = w * (dt if b.steps[0] >= 0 else 1.0)
        rows = b.idx
        for sign, finite in (
            (1.0, np.isfinite(a["row_lo"][rows]).any()),
            (-1.0, np.isfinite(a["row_hi"][rows]).any()),
        ):
            if not finite:
                continue
            tag = "up" if sign > 0 else "down"
            cols = e.add_vars("slack", b.site, b.steps, 0.0, np.inf, cost=scale, item=f"{k}:{tag}")
            e.add_coefs(rows, cols, sign)
            slacks.append((int(cols[0]), k, sign))
    return e, slacks


def explain_infeasible(
    problem: Problem,
    m: LinearModel,
    solver: str,
    time_limit: float | None = None,
    step_offset: int = 0,
) -> str:
    """Name the constraint families (site, job, steps) that make ``problem`` infeasible.

    For a MILP the elastic LP relaxation is tried first (fast); only if the LP needs no slack
    (the integer features alone make it infeasible) is the elastic MILP solved."""
    e, slacks = elastic_model(m, problem.step_hours)
    ea = e.arrays()
    sol = None
    if m.is_mip:
        sol = solve_arrays(
            e, solver, ea["cost"], integer=np.zeros_like(ea["integer"]), time_limit=time_limit
        )
        if sol.x is not None and sol.objective <= SLACK_TOL:
            sol = None  # the LP relaxation is feasible: the integers are to blame
    if sol is None:
        sol = solve_arrays(e, solver, ea["cost"], time_limit=time_limit)
    if sol.x is None:
        return (
            f"infeasible, and the elastic relaxation ended {sol.status} — check the data "
            "(bounds that contradict each other)"
        )
    found: dict[tuple[str, str | None, str | None], dict[str, object]] = {}
    for start, k, sign in slacks:
        b = m.row_blocks[k]
        v = sol.x[start : start + b.n]
        nz = v > SLACK_TOL
        if not nz.any():
            continue
        key = (b.kind, b.site, b.item)
        entry = found.setdefault(key, {"steps": [], "amount": 0.0, "max": 0.0, "block": b})
        entry["steps"] += [int(t) for t in b.steps[nz]]  # type: ignore[operator]
        entry["amount"] = float(entry["amount"]) + float(v[nz].sum()) * sign  # type: ignore[arg-type]
        entry["max"] = max(float(entry["max"]), float(v[nz].max()))  # type: ignore[arg-type]
    if not found:
        return "infeasible, but the elastic relaxation needs no slack: numerical trouble?"
    lines = ["Infeasible. Constraints that cannot all hold (elastic relaxation):"]
    for (kind, site, item), ent in found.items():
        lines.append("- " + describe(problem, kind, site, item, ent, step_offset))
    return "\n".join(lines)


def step_ranges(steps: list[int]) -> str:
    s = sorted(set(steps))
    if not s:
        return ""
    out, a, prev = [], s[0], s[0]
    for t in [*s[1:], None]:
        if t is not None and t == prev + 1:
            prev = t
            continue
        out.append(f"{a}" if a == prev else f"{a}–{prev}")
        if t is not None:
            a = prev = t
    return ", ".join(out)


def describe(
    problem: Problem,
    kind: str,
    site: str | None,
    item: str | None,
    ent: dict[str, object],
    step_offset: int = 0,
) -> str:
    off = step_offset
    steps: list[int] = [t + off if t >= 0 else t for t in ent["steps"]]  # type: ignore[attr-defined]
    b = ent["block"]
    amount = abs(float(ent["amount"]))  # type: ignore[arg-type]
    peak = float(ent["max"])  # type: ignore[arg-type]
    horizon = all(t < 0 for t in steps)
    span = getattr(b, "span", None)
    where = (
        f"steps {span[0] + off}–{span[1] - 1 + off}"
        if horizon and span
        else f"steps {step_ranges(steps)}"
    )
    sites = {s.site_id: s for s in problem.sites}
    if kind == "link_budget" and item is not None:
        a, _, b_ = item.partition("->")
        lk = next((x for x in problem.links if (x.from_site, x.to_site) == (a, b_)), None)
        budget = f"{lk.budget_gb_per_day:,.1f} GB" if lk is not None else "its budget"
        return (
            f"link_budget of the link {a} -> {b_} ({where}): the shared jobs must move "
            f"{amount:,.1f} GB more data than its daily budget of {budget} (raise "
            "budget_gb_per_day, or let the jobs run at home)"
        )
    if kind == "green_share" and site is not None:
        s = sites[site]
        return (
            f"green_share at site {site} ({where}): the target {s.green_share_target:.0%} "
            f"needs {amount:,.1f} kWh more renewable energy than PV/wind can supply"
        )
    if kind == "adv_green_share" and site is not None:
        s = sites[site]
        return (
            f"adv_green_share at site {site} ({where}): in the adverse scenario (forecast: "
            f"risk_aware, P90 IT load, P10 PV) the target {s.green_share_target:.0%} needs "
            f"{amount:,.1f} kWh more renewable energy than PV/wind can supply; buy green power "
            "(green_purchase_kwh_per_day) or plan with forecast: model"
        )
    if kind == "adv_balance":
        return (
            f"adv_balance at site {site} ({where}): the adverse scenario's load (P90 IT load, "
            f"P10 PV) cannot be met, short by up to {peak:,.1f} kW"
        )
    if kind == "adv_import_limit":
        return (
            f"adv_import_limit at site {site} ({where}): serving the adverse scenario (P90 IT "
            f"load, P10 PV) needs up to {peak:,.1f} kW more import than the connection allows"
        )
    if kind == "job_energy":
        job = next(j for j, _ in iter_jobs(problem) if j.job_id == item)
        cap = job.max_kw * (job.deadline - job.release) * problem.step_hours
        text = (
            f"job_energy of job {item} ({where}, window [{job.release + off}, "
            f"{job.deadline + off})): "
            f"{amount:,.1f} kWh of its {job.energy_kwh:,.1f} kWh cannot be delivered "
            f"(max_kw × window = {cap:,.1f} kWh, other limits apply too)"
        )
        if job.requested_window is not None:
            a, b = job.requested_window
            text += (
                f"; its window was cut by the plan horizon from [{a + off}, {b + off}) "
                f"to [{job.release + off}, {job.deadline + off})"
            )
        if problem.options.is_milp and job.needs_integers:
            text += (
                f"; MILP: min_kw_when_running={job.min_kw_when_running:g} kW, "
                f"min_run_steps={job.min_run_steps}, preemptible={job.preemptible} "
                "leave no schedule of exactly that energy"
            )
        return text
    if kind == "job_max_kw":
        return f"job_max_kw of job {item} ({where}): over by up to {peak:,.1f} kW"
    if kind == "balance":
        return (
            f"balance at site {site} ({where}): load cannot be met, short by up to {peak:,.1f} kW "
            "(grid_import_max_kw + PV + wind + battery + backup too small)"
        )
    if kind == "contract":
        s = sites[site] if site else None
        c = s.contract_kw if s else None
        return f"contract limit {c} kW at site {site} ({where}): exceeded by up to {peak:,.1f} kW"
    if kind == "emission_cap":
        return (
            f"emission_cap {problem.options.emission_cap_t} tCO2e ({where}): "
            f"needs {amount:,.3f} tCO2e more"
        )
    if kind == "demand_response" and site is not None:
        ev = next(e for e in sites[site].dr_events if e.event_id == item)
        what = (
            f"cap {float(ev.cap_kw.min()):,.1f} kW"
            if ev.kind == "cap"
            else f"reduction to {float(ev.cap_kw.min()):,.1f} kW below the baseline"
        )
        return (
            f"demand_response event {item} at site {site} ({where}"
            + (f", {ev.reason}" if ev.reason else "")
            + f"): the {what} cannot be met, grid import over it by up to {peak:,.1f} kW "
            "(the fixed load less PV, wind, battery and backup is higher)"
        )
    if kind == "battery_cycles":
        s = sites[site] if site else None
        lim = s.battery.max_cycles_per_day if s and s.battery else None
        return (
            f"battery_cycles at site {site} (days {step_ranges(steps)}): the limit of {lim:g} "
            f"cycles/day is exceeded by {amount:,.1f} kWh of discharge"
        )
    if kind == "battery_end_soc":
        return f"battery_end_soc at site {site}: ending SOC short by {amount:,.1f} kWh"
    label = f"{kind}" + (f" of {item}" if item else "") + (f" at site {site}" if site else "")
    return f"{label} ({where}): violated by {amount:,.3f}"


# ---------------------------------------------------------------------------------------------
# rolling horizon


def window_problem(
    problem: Problem,
    a: int,
    b: int,
    soc_kwh: dict[str, float | None],
    peak_kw: dict[str, float],
    remaining_kwh: dict[str, float],
    cap_left_t: float | None,
    soc_start_kwh: dict[str, float] | None = None,
) -> Problem:
    """The sub-problem of steps ``[a, b)`` given the state carried from earlier windows.

    Jobs get the energy they must deliver inside ``[a, b)`` to stay feasible afterwards
    (remaining − max_kw × steps left after ``b``); the emission cap and green purchases are
    prorated by steps; the battery must end at its original ending floor.

    A free (cyclic) start: ``soc_kwh[site]`` is ``None`` in the first window, which is then
    solved cyclic (its start chosen, its end equal to it); later windows start from the carried
    state and must end at or above the start the first window chose (``soc_start_kwh``), so the
    horizon ends ≥ its start: the rolling approximation of a cyclic battery."""
    if uses_moves(problem):
        raise ValueError(
            "moving shared jobs between sites (links, data_gb, migration_cost_cny) is not "
            "supported in a window of the plan (rolling horizon or intraday re-plan): the data "
            "already moved and the link budget already used are not carried; plan the day in "
            "one model"
        )
    n = problem.n_steps
    dt = problem.step_hours
    sl = slice(a, b)
    start_kwh = soc_start_kwh or {}

    def cut(v: np.ndarray | float) -> np.ndarray | float:
        arr = np.asarray(v, dtype=float)
        return arr[sl] if arr.ndim else float(arr)

    def window_jobs(jobs: list[Job]) -> list[Job]:
        out = []
        for j in jobs:
            rem = remaining_kwh.get(j.job_id, 0.0)
            if rem <= 1e-9 or j.release >= b or j.deadline <= a:
                continue
            need = max(0.0, rem - j.max_kw * dt * max(0, j.deadline - b))
            if need <= 1e-9:
                continue
            release, deadline = max(j.release, a) - a, min(j.deadline, b) - a
            out.append(
                dataclasses.replace(
                    j,
                    release=release,
                    deadline=deadline,
                    energy_kwh=need,
                    # the window cuts the job; its minimum run holds within the window only
                    min_run_steps=min(j.min_run_steps, deadline - release),
                    requested_window=None,  # reported once, for the whole horizon
                )
            )
        return out

    sites = []
    for s in problem.sites:
        bat = s.battery
        if bat is not None and bat.energy_kwh > 0 and soc_kwh[s.site_id] is not None:
            frac = float(soc_kwh[s.site_id]) / bat.energy_kwh  # type: ignore[arg-type]
            floor = bat.soc_end_min
            if floor is None:
                floor = (
                    float(np.clip(start_kwh[s.site_id] / bat.energy_kwh, bat.soc_min, bat.soc_max))
                    if bat.cyclic
                    else bat.soc_init
                )
            bat = dataclasses.replace(
                bat, soc_init=float(np.clip(frac, bat.soc_min, bat.soc_max)), soc_end_min=floor
            )
        sites.append(
            dataclasses.replace(
                s,
                index=s.index[sl],
                grid_import_max_kw=cut(s.grid_import_max_kw),
                # the steps where the grid cannot serve, judged on the whole horizon
                backup_available=backup_allowed(s, n)[sl],
                it_base_kw=cut(s.it_base_kw),
                pue=cut(s.pue),
                pv_kw=cut(s.pv_kw),
                wind_kw=cut(s.wind_kw),
                it_adverse_kw=None if s.it_adverse_kw is None else cut(s.it_adverse_kw),
                pv_adverse_kw=None if s.pv_adverse_kw is None else cut(s.pv_adverse_kw),
                price_cny_per_kwh=cut(s.price_cny_per_kwh),
                carbon_kg_per_kwh=cut(s.carbon_kg_per_kwh),
                export_price_cny_per_kwh=cut(s.export_price_cny_per_kwh),
                battery=bat,
                dr_events=[c for e in s.dr_events if (c := e.clipped(a, b)) is not None],
                jobs=window_jobs(s.jobs),
                green_purchase_kwh=s.green_purchase_kwh * (b - a) / n,
                peak_floor_kw=max(s.peak_floor_kw, peak_kw[s.site_id]),
            )
        )
    cap = None if cap_left_t is None else cap_left_t * (b - a) / (n - a)
    options = dataclasses.replace(problem.options, rolling_window_steps=None, emission_cap_t=cap)
    return Problem(sites=sites, shared_jobs=window_jobs(problem.shared_jobs), options=options)


def solve_rolling(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress: ProgressFn | None = None,
) -> DispatchResult:
    """Rolling horizon: commit ``rolling_window_steps`` steps at a time, each solved with as many
    steps of look-ahead.  State of charge, the demand-charge peak, the job energy still due and the
    emission budget are carried forward.  Integer job features hold within each solve only."""
    warnings = validate(problem)
    w = int(problem.options.rolling_window_steps or problem.n_steps)
    n = problem.n_steps
    # None: a free (cyclic) start, chosen by the first window
    soc: dict[str, float | None] = {
        s.site_id: (
            (None if s.battery.cyclic else s.battery.soc_init_kwh) if s.battery is not None else 0.0
        )
        for s in problem.sites
    }
    start: dict[str, float] = {}
    peak = {s.site_id: 0.0 for s in problem.sites}
    remaining = {j.job_id: j.energy_kwh for j, _ in iter_jobs(problem)}
    cap_left = problem.options.emission_cap_t
    plans: list[pd.DataFrame] = []
    jobs: list[pd.DataFrame] = []
    bindings: list[pd.DataFrame] = []
    build_s = solve_s = 0.0
    status = "optimal"
    for a in range(0, n, w):
        commit = min(n, a + w)
        stop = min(n, a + 2 * w)
        _progress(progress, "solve", a / n)
        sub = window_problem(problem, a, stop, soc, peak, remaining, cap_left, start)
        r = solve_once(sub, solver, time_limit, mip_gap, step_offset=a)
        build_s += r.build_s
        solve_s += r.solve_s
        if not r.ok:
            expl = r.explanation or r.status
            return dataclasses.replace(
                r,
                explanation=f"rolling window steps {a}–{stop - 1}: {expl}",
                build_s=build_s,
                solve_s=solve_s,
                warnings=warnings + r.warnings,
            )
        if r.status != "optimal":
            status = r.status
        if a == 0:
            start = {str(row.site_id): float(row.soc_start_kwh) for row in r.kpis.itertuples()}
        k = commit - a
        p = r.plan.groupby("site_id", sort=False).head(k)
        plans.append(p)
        jb = r.jobs[r.jobs["step"] < k].copy()
        jb["step"] = jb["step"] + a
        jobs.append(jb)
        bd = r.binding[r.binding["step"].isna() | (r.binding["step"] < k)].copy()
        bd["step"] = bd["step"] + a
        bindings.append(bd)
        dt = problem.step_hours
        for sid, g in p.groupby("site_id", sort=False):
            soc[str(sid)] = float(g["soc_kwh"].iloc[-1])
            peak[str(sid)] = max(peak[str(sid)], float(g["grid_import_kw"].max()))
        for jid, kwh in (jb.groupby("job_id")["kw"].sum() * dt).items():
            remaining[str(jid)] -= float(kwh)
        if cap_left is not None:
            kg = float((p["grid_import_kw"] * p["carbon_kg_per_kwh"]).sum() * dt)
            backup_kg = {s.site_id: s.backup_kg_per_kwh for s in problem.sites}
            kg += float((p["backup_kw"] * p["site_id"].map(backup_kg).astype(float)).sum() * dt)
            cap_left -= kg / 1000.0
    order = {s.site_id: i for i, s in enumerate(problem.sites)}
    plan = pd.concat(plans, ignore_index=True)
    plan = plan.sort_values(
        ["site_id", "ts"], key=lambda c: c.map(order) if c.name == "site_id" else c
    ).reset_index(drop=True)
    jobs_df = pd.concat(jobs, ignore_index=True)
    dt = problem.step_hours
    delivered: dict[str, dict[str, float]] = {}
    for (jid, sid), kw in jobs_df.groupby(["job_id", "site_id"])["kw"].sum().items():
        delivered.setdefault(str(jid), {})[str(sid)] = float(kw) * dt
    kpis = kpi_table(
        problem, plan, delivered, problem.options.carbon_price_cny_per_t, start, jobs_df
    )
    missed = [
        j.job_id
        for j, _ in iter_jobs(problem)
        if remaining[j.job_id] > 1e-6 * max(1.0, j.energy_kwh)
    ]
    if missed:
        warnings.append(f"rolling horizon: jobs not finished: {missed}")
    _progress(progress, "done", 1.0)
    return DispatchResult(
        status=status,
        objective=float(kpis["cost_cny"].sum()),
        plan=plan,
        jobs=jobs_df,
        kpis=kpis,
        binding=pd.concat(bindings, ignore_index=True),
        explanation=None,
        solver=solver,
        build_s=build_s,
        solve_s=solve_s,
        warnings=warnings,
        model_size={},
        moves=moves_table(problem, delivered),
    )


# ---------------------------------------------------------------------------------------------
# MIP start: LP relaxation → round integer decisions → LP with integers fixed


def _runs_ok(on: np.ndarray, min_run: int) -> bool:
    """Every run of consecutive ones in ``on`` is at least ``min_run`` long."""
    if min_run <= 1 or not on.any():
        return True
    edges = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts = np.nonzero(edges == 1)[0]
    ends = np.nonzero(edges == -1)[0]
    return bool(((ends - starts) >= min_run).all())


def round_integers(
    problem: Problem,
    m: LinearModel,
    x_lp: np.ndarray,
    rule: str = "overlap",
    marginal: dict[str, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Integer values for every integer column from the LP relaxation ``x_lp``, or ``None``.

    A preemptible job keeps the steps where the LP ran it when that respects its minimum power
    and run time.  Otherwise it runs as one block (at least ``min_run_steps`` long, at most at its
    maximum power) at the site the LP used most: where the LP ran most of it (``rule="overlap"``)
    or where the LP's marginal price × PUE is lowest on average (``rule="price"``, needs
    ``marginal``).  The battery charges where the LP charged more than it discharged."""
    a = m.arrays()
    vals = np.zeros(m.n_cols)
    dt = problem.step_hours
    pue = {s.site_id: np.asarray(s.pue, dtype=float) for s in problem.sites}
    for job, allowed in iter_jobs(problem):
        on_blocks = [m.cols("job_on", sid, job.job_id) for sid in allowed]
        if all(b is None for b in on_blocks) or job.energy_kwh <= 1e-9:
            continue
        w = job.deadline - job.release
        profiles = []
        for sid in allowed:
            b = m.cols("job", sid, job.job_id)
            assert b is not None
            profiles.append(x_lp[b.start : b.start + b.n])
        k = int(np.argmax([p.sum() for p in profiles]))
        on = on_blocks[k]
        assert on is not None
        kw_min = job_min_kw(job)
        if job.preemptible and sum(p.sum() for i, p in enumerate(profiles) if i != k) < 1e-9:
            used = profiles[k] > 1e-7
            n_on = int(used.sum())
            if (
                n_on * kw_min * dt <= job.energy_kwh + 1e-9
                and job.energy_kwh <= n_on * job.max_kw * dt + 1e-9
                and _runs_ok(used, job.min_run_steps)
            ):
                vals[on.start : on.start + on.n] = used
                continue
        shortest = max(
            int(np.ceil(job.energy_kwh / (job.max_kw * dt) - 1e-9)), job.min_run_steps, 1
        )
        if shortest > w or job.energy_kwh / (shortest * dt) < kw_min - 1e-9:
            return None
        if rule == "price" and marginal is not None:
            steps = np.arange(job.release, job.deadline)
            unit = marginal[allowed[k]][steps] * pue[allowed[k]][steps]
            longest = shortest if kw_min <= 0 else int(job.energy_kwh / (kw_min * dt) + 1e-9)
            longest = max(shortest, min(w, longest, 2 * shortest))
            best, first, length = np.inf, 0, shortest
            for ln in range(shortest, longest + 1):
                avg = np.convolve(unit, np.ones(ln), mode="valid") / ln
                i = int(np.argmin(avg))
                if avg[i] < best - 1e-12:
                    best, first, length = float(avg[i]), i, ln
        else:
            length = shortest
            first = int(np.argmax(np.convolve(profiles[k], np.ones(length), mode="valid")))
        vals[on.start + first : on.start + first + length] = 1.0
    for site in problem.sites:
        on = m.cols("backup_on", site.site_id)
        x = m.cols("backup", site.site_id)
        if on is not None and x is not None:
            vals[on.start : on.start + on.n] = x_lp[x.start : x.start + x.n] > 1e-7
    for site in problem.sites:
        z = m.cols("battery_mode", site.site_id)
        if z is None:
            continue
        ch, dis = m.cols("charge", site.site_id), m.cols("discharge", site.site_id)
        assert ch is not None and dis is not None
        c = x_lp[ch.start + z.steps]
        d = x_lp[dis.start + z.steps]
        vals[z.start : z.start + z.n] = (c >= d).astype(float)
    return vals[a["integer"]]


def mip_start(
    problem: Problem, m: LinearModel, cost: np.ndarray, time_limit: float | None = None
) -> tuple[np.ndarray | None, float]:
    """A feasible MIP start (HiGHS) and the seconds it took; ``None`` when the heuristic fails.

    Solves the LP relaxation, rounds it two ways (:func:`round_integers`), solves the LP with
    the integers fixed for each and keeps the cheaper."""
    from optimizers.highs_bridge import solve_highs

    a = m.arrays()
    integer = a["integer"]
    cont = np.zeros_like(integer)
    relaxed = solve_highs(m, cost, integer=cont, time_limit=time_limit)
    spent = relaxed.solve_s
    if relaxed.x is None:
        return None, spent
    marginal = None
    if relaxed.row_dual is not None:
        dt = problem.step_hours
        marginal = {
            str(b.site): relaxed.row_dual[b.start : b.start + b.n] / dt
            for b in m.row_blocks
            if b.kind == "balance"
        }
    best: np.ndarray | None = None
    best_obj = np.inf
    for rule in ("overlap", "price"):
        xi = round_integers(problem, m, relaxed.x, rule=rule, marginal=marginal)
        if xi is None:
            continue
        lb, ub = a["lb"].copy(), a["ub"].copy()
        lb[integer] = xi
        ub[integer] = xi
        left = None if time_limit is None else max(0.1, time_limit - spent)
        fixed = solve_highs(m, cost, lb=lb, ub=ub, integer=cont, time_limit=left)
        spent += fixed.solve_s
        if fixed.status == "optimal" and fixed.objective < best_obj:
            best, best_obj = fixed.x, fixed.objective
    return best, spent
