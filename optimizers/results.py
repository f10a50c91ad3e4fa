"""Map a solver solution back to tables: plan, jobs, KPIs and binding constraints (pure, no I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizers.highs_bridge import RawSolution
from optimizers.linear import LinearModel
from optimizers.problem import (
    BINDING_COLUMNS,
    JOB_COLUMNS,
    KPI_COLUMNS,
    MOVE_COLUMNS,
    PLAN_COLUMNS,
    RISK_KPI_COLUMNS,
    Problem,
    Site,
)
from optimizers.variables import iter_jobs, moves_of, site_jobs

DUAL_TOL = 1e-7
# families left out of the binding table: the balance duals are the plan's marginal prices and
# the battery dynamics are equalities that always "bind"
NOT_REPORTED = frozenset({"balance", "battery_dynamics"})


def empty_plan() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_plan_dtype(c)) for c in PLAN_COLUMNS})


def empty_jobs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job_id": pd.Series(dtype="string"),
            "site_id": pd.Series(dtype="string"),
            "step": pd.Series(dtype="int64"),
            "kw": pd.Series(dtype="float64"),
        }
    )


def empty_kpis() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in KPI_COLUMNS}).astype(
        {"site_id": "string", "backup_factor": "string", "forecast_mode": "string"}
    )


def empty_moves() -> pd.DataFrame:
    """An empty moves table (:data:`~optimizers.problem.MOVE_COLUMNS`)."""
    return pd.DataFrame(
        {
            c: pd.Series(dtype="string" if c in ("job_id", "from_site", "to_site") else "float64")
            for c in MOVE_COLUMNS
        }
    )


def empty_binding() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": pd.Series(dtype="string"),
            "site_id": pd.Series(dtype="string"),
            "step": pd.Series(dtype="Int64"),
            "item": pd.Series(dtype="string"),
            "dual": pd.Series(dtype="float64"),
            "slack": pd.Series(dtype="float64"),
        }
    )


def _plan_dtype(col: str) -> str:
    if col == "site_id":
        return "string"
    if col == "ts":
        return "datetime64[ns, Asia/Shanghai]"
    return "float64"


def series(m: LinearModel, x: np.ndarray, kind: str, site_id: str | None, n: int) -> np.ndarray:
    """Values of a per-step variable block as a length-``n`` array (0 where absent)."""
    out = np.zeros(n)
    b = m.cols(kind, site_id)
    if b is not None:
        out[b.steps] = x[b.start : b.start + b.n]
    return out


def site_job_kw(m: LinearModel, x: np.ndarray, site_id: str, n: int) -> np.ndarray:
    out = np.zeros(n)
    for b in site_jobs(m, site_id):
        np.add.at(out, b.steps, x[b.start : b.start + b.n])
    return out


def _clean(a: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Round solver noise (|v| < tol) to 0."""
    return np.where(np.abs(a) < tol, 0.0, a)


def plan_table(
    problem: Problem, m: LinearModel, sol: RawSolution, row_dual: np.ndarray | None
) -> pd.DataFrame:
    assert sol.x is not None
    x = sol.x
    n = problem.n_steps
    frames = []
    balance_rows = {b.site: b for b in m.row_blocks if b.kind == "balance"}
    for site in problem.sites:
        sid = site.site_id
        dt = site.step_hours
        job_kw = _clean(site_job_kw(m, x, sid, n))
        it_kw = np.asarray(site.it_base_kw, dtype=float) + job_kw
        pue = np.asarray(site.pue, dtype=float)
        pv = _clean(series(m, x, "pv", sid, n))
        wind = _clean(series(m, x, "wind", sid, n))
        if row_dual is not None:
            b = balance_rows[sid]
            mp = row_dual[b.start : b.start + b.n] / dt
        else:
            mp = np.full(n, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "site_id": pd.array([sid] * n, dtype="string"),
                    "ts": site.index,
                    "it_kw": it_kw,
                    "job_kw": job_kw,
                    "facility_kw": pue * it_kw,
                    "pv_used_kw": pv,
                    "pv_curtailed_kw": _clean(np.asarray(site.pv_kw, dtype=float) - pv),
                    "wind_used_kw": wind,
                    "wind_curtailed_kw": _clean(np.asarray(site.wind_kw, dtype=float) - wind),
                    "grid_import_kw": _clean(series(m, x, "grid_import", sid, n)),
                    "grid_export_kw": _clean(series(m, x, "grid_export", sid, n)),
                    "battery_charge_kw": _clean(series(m, x, "charge", sid, n)),
                    "battery_discharge_kw": _clean(series(m, x, "discharge", sid, n)),
                    "soc_kwh": _soc(m, x, site, n),
                    "backup_kw": _clean(series(m, x, "backup", sid, n)),
                    "price_cny_per_kwh": np.asarray(site.price_cny_per_kwh, dtype=float),
                    "carbon_kg_per_kwh": np.asarray(site.carbon_kg_per_kwh, dtype=float),
                    "marginal_price_cny_per_kwh": mp,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _soc(m: LinearModel, x: np.ndarray, site: Site, n: int) -> np.ndarray:
    if m.cols("soc", site.site_id) is None:
        b = site.battery
        return np.full(n, b.soc_init_kwh if b is not None and not b.cyclic else 0.0)
    return _clean(series(m, x, "soc", site.site_id, n))


def jobs_table(problem: Problem, m: LinearModel, x: np.ndarray) -> pd.DataFrame:
    parts_job, parts_site, parts_step, parts_kw = [], [], [], []
    for (kind, sid, item), b in m.col_blocks.items():
        if kind != "job":
            continue
        v = x[b.start : b.start + b.n]
        nz = np.abs(v) > 1e-9
        k = int(nz.sum())
        if not k:
            continue
        parts_job.append(np.full(k, item, dtype=object))
        parts_site.append(np.full(k, sid, dtype=object))
        parts_step.append(b.steps[nz])
        parts_kw.append(v[nz])
    if not parts_job:
        return empty_jobs()
    df = pd.DataFrame(
        {
            "job_id": pd.array(np.concatenate(parts_job), dtype="string"),
            "site_id": pd.array(np.concatenate(parts_site), dtype="string"),
            "step": np.concatenate(parts_step).astype("int64"),
            "kw": np.concatenate(parts_kw),
        }
    )
    return df[list(JOB_COLUMNS)]


def job_delivery(problem: Problem, m: LinearModel, x: np.ndarray) -> dict[str, dict[str, float]]:
    """kWh delivered per job and site."""
    dt = problem.step_hours
    out: dict[str, dict[str, float]] = {}
    for (kind, sid, item), b in m.col_blocks.items():
        if kind == "job":
            assert item is not None and sid is not None
            out.setdefault(item, {})[sid] = float(x[b.start : b.start + b.n].sum() * dt)
    return out


def _ran(kwh: float, job_kwh: float) -> bool:
    """A job ran at a site: more than a solver-noise share of its energy (kWh) there."""
    return kwh > 1e-6 * max(1.0, job_kwh)


def moves_table(problem: Problem, delivered: dict[str, dict[str, float]]) -> pd.DataFrame:
    """One row per shared job and site away from its home site where it ran (columns
    :data:`MOVE_COLUMNS`): ``moved_share`` = kWh there / the job's ``energy_kwh``, the GB moved
    (``data_gb`` × share), the link's transfer hours and the migration CNY (× share)."""
    rows = []
    for job, home, sid, link in moves_of(problem):
        kwh = delivered.get(job.job_id, {}).get(sid, 0.0)
        if not _ran(kwh, job.energy_kwh):
            continue
        share = kwh / job.energy_kwh
        rows.append(
            {
                "job_id": job.job_id,
                "from_site": home,
                "to_site": sid,
                "moved_share": share,
                "moved_kwh": kwh,
                "data_gb": job.data_gb * share,
                "transfer_hours": link.transfer_hours(job.data_gb) if link is not None else 0.0,
                "migration_cost_cny": job.migration_cost_cny * share,
            }
        )
    if not rows:
        return empty_moves()
    df = pd.DataFrame(rows, columns=list(MOVE_COLUMNS))
    return df.astype({"job_id": "string", "from_site": "string", "to_site": "string"})


def soc_start(problem: Problem, m: LinearModel, x: np.ndarray) -> dict[str, float]:
    """Starting state of charge (kWh) per site: the optimiser's choice for a free (cyclic)
    start, else ``soc_init``; NaN without a battery."""
    out: dict[str, float] = {}
    for site in problem.sites:
        b = site.battery
        col = m.cols("soc_start", site.site_id)
        if col is not None:
            out[site.site_id] = float(x[col.start])
        elif b is not None:
            out[site.site_id] = 0.0 if b.cyclic else b.soc_init_kwh
        else:
            out[site.site_id] = float("nan")
    return out


def kpi_table(
    problem: Problem,
    plan: pd.DataFrame,
    delivered: dict[str, dict[str, float]],
    carbon_price_cny_per_t: float,
    soc_start_kwh: dict[str, float] | None = None,
    jobs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-site KPIs from the plan, the kWh delivered per job and site and the starting state of
    charge per site (:func:`soc_start`; default: each battery's fixed ``soc_init``).

    With ``jobs`` (the jobs table) the risk-aware sites also get their adverse-scenario KPIs
    (``optimizers.risk.adverse_kpis``); otherwise, and at risk-neutral sites, those are NaN, as
    are ``robustness_*`` (set by ``optimizers.risk.with_robustness``)."""
    cp = carbon_price_cny_per_t
    n = problem.n_steps
    # jobs per site: own jobs, shared jobs at the site where most of their energy ran
    job_site: dict[str, str] = {}
    on_time: dict[str, bool] = {}
    clipped: dict[str, bool] = {}
    for job, allowed in iter_jobs(problem):
        clipped[job.job_id] = job.requested_window is not None
        d = delivered.get(job.job_id, {})
        job_site[job.job_id] = max(allowed, key=lambda s: d.get(s, 0.0)) if d else allowed[0]
        total = sum(d.values())
        on_time[job.job_id] = total >= job.energy_kwh - 1e-6 * max(1.0, job.energy_kwh)
    moves = moves_table(problem, delivered)
    shared_run = {
        s.site_id: sum(
            _ran(delivered.get(j.job_id, {}).get(s.site_id, 0.0), j.energy_kwh)
            for j in problem.shared_jobs
        )
        for s in problem.sites
    }
    cols = {
        c: plan[c].to_numpy(dtype=float)
        for c in (
            "grid_import_kw",
            "grid_export_kw",
            "backup_kw",
            "price_cny_per_kwh",
            "carbon_kg_per_kwh",
            "facility_kw",
            "it_kw",
            "pv_used_kw",
            "wind_used_kw",
            "pv_curtailed_kw",
            "wind_curtailed_kw",
            "battery_discharge_kw",
        )
    }
    out: dict[str, list[object]] = {c: [] for c in KPI_COLUMNS}
    for i, site in enumerate(problem.sites):
        sid = site.site_id
        dt = site.step_hours
        p = {c: v[i * n : (i + 1) * n] for c, v in cols.items()}
        imp = p["grid_import_kw"]
        backup = p["backup_kw"]
        export_price = np.broadcast_to(np.asarray(site.export_price_cny_per_kwh, dtype=float), (n,))
        energy_cost = float(imp @ p["price_cny_per_kwh"]) * dt
        export_rev = float(p["grid_export_kw"] @ export_price) * dt
        backup_kwh = float(backup.sum()) * dt
        starts = backup_starts(site, backup) if problem.options.is_milp else 0
        backup_cost = backup_kwh * site.backup_cost_cny_per_kwh + starts * site.backup_startup_cny
        peak_kw = float(imp.max()) if n else 0.0
        demand = site.demand_charge_cny_per_kw * max(peak_kw, site.peak_floor_kw)
        kg = float(imp @ p["carbon_kg_per_kwh"]) * dt + backup_kwh * site.backup_kg_per_kwh
        carbon_cost = cp * kg / 1000.0
        facility_kwh = float(p["facility_kw"].sum()) * dt
        it_kwh = float(p["it_kw"].sum()) * dt
        green_kwh = (
            float((p["pv_used_kw"] + p["wind_used_kw"] - p["grid_export_kw"]).sum()) * dt
            + site.green_purchase_kwh
        )
        pue_realised = facility_kwh / it_kwh if it_kwh > 0 else float("nan")
        cap = site.battery.energy_kwh if site.battery is not None else 0.0
        discharge_kwh = float(p["battery_discharge_kw"].sum()) * dt
        degradation = discharge_kwh * (
            site.battery.degradation_cost_cny_per_kwh if site.battery is not None else 0.0
        )
        dr_kwh, dr_cny = dr_settlement(site, imp)
        mine = [j for j, s in job_site.items() if s == sid]
        moved_in = moves[moves["to_site"] == sid]
        migration = float(moved_in["migration_cost_cny"].sum())
        target = site.green_share_target
        row = {
            "site_id": sid,
            "cost_cny": (
                energy_cost
                - export_rev
                + backup_cost
                + demand
                + carbon_cost
                + degradation
                - dr_cny
                + migration
            ),
            "energy_cost_cny": energy_cost,
            "export_revenue_cny": export_rev,
            "backup_cost_cny": backup_cost,
            "backup_kwh": backup_kwh,
            "backup_tco2": backup_kwh * site.backup_kg_per_kwh / 1000.0,
            "backup_kg_per_kwh": (
                site.backup_kg_per_kwh if site.backup_gen_kw > 0 else float("nan")
            ),
            "backup_factor": site.backup_factor if site.backup_gen_kw > 0 else None,
            "backup_starts": starts,
            "demand_charge_cny": demand,
            "carbon_cost_cny": carbon_cost,
            "tco2": kg / 1000.0,
            "green_share": green_kwh / facility_kwh if facility_kwh > 0 else float("nan"),
            "green_share_target": float(target) if target is not None else float("nan"),
            "cue_kg_per_kwh": kg / it_kwh if it_kwh > 0 else float("nan"),
            "pue_realised": pue_realised,
            "pue_target": float(site.pue_target),
            "pue_target_met": bool(pue_realised <= site.pue_target + 1e-9),
            "peak_kw": peak_kw,
            "facility_kwh": facility_kwh,
            "it_kwh": it_kwh,
            "grid_import_kwh": float(imp.sum()) * dt,
            "curtailment_kwh": float((p["pv_curtailed_kw"] + p["wind_curtailed_kw"]).sum()) * dt,
            "battery_cycles": discharge_kwh / cap if cap > 0 else 0.0,
            "battery_degradation_cny": degradation,
            "dr_events": len(site.dr_events),
            "dr_reduction_kwh": dr_kwh,
            "dr_compensation_cny": dr_cny,
            "soc_start_kwh": (
                soc_start_kwh[sid]
                if soc_start_kwh is not None
                else site.battery.soc_init_kwh
                if site.battery is not None
                else float("nan")
            ),
            "jobs_on_time": int(sum(on_time[j] for j in mine)),
            "jobs_total": len(mine),
            "jobs_clipped": int(sum(clipped[j] for j in mine)),
            "shared_jobs_run": int(shared_run[sid]),
            "jobs_moved_in": len(moved_in),
            "migration_cost_cny": migration,
            "data_moved_gb": float(moved_in["data_gb"].sum()),
            "forecast_fallback": bool(site.forecast_fallback),
            "forecast_mode": site.forecast_mode,
            **dict.fromkeys(RISK_KPI_COLUMNS, float("nan")),
        }
        for c in KPI_COLUMNS:
            out[c].append(row[c])
    data: dict[str, object] = {
        c: np.asarray(v, dtype=float) for c, v in out.items() if c not in _KPI_NON_FLOAT
    }
    data["site_id"] = pd.array(out["site_id"], dtype="string")
    data["forecast_mode"] = pd.array(out["forecast_mode"], dtype="string")
    data["backup_factor"] = pd.array(out["backup_factor"], dtype="string")
    data["pue_target_met"] = np.asarray(out["pue_target_met"], dtype=bool)
    data["forecast_fallback"] = np.asarray(out["forecast_fallback"], dtype=bool)
    data["jobs_on_time"] = np.asarray(out["jobs_on_time"], dtype=np.int64)
    data["jobs_total"] = np.asarray(out["jobs_total"], dtype=np.int64)
    data["jobs_clipped"] = np.asarray(out["jobs_clipped"], dtype=np.int64)
    data["dr_events"] = np.asarray(out["dr_events"], dtype=np.int64)
    data["backup_starts"] = np.asarray(out["backup_starts"], dtype=np.int64)
    data["shared_jobs_run"] = np.asarray(out["shared_jobs_run"], dtype=np.int64)
    data["jobs_moved_in"] = np.asarray(out["jobs_moved_in"], dtype=np.int64)
    kpis = pd.DataFrame({c: data[c] for c in KPI_COLUMNS})
    if jobs is not None:
        from optimizers.risk import adverse_kpis

        for sid, vals in adverse_kpis(problem, plan, jobs, kpis, cp).items():
            for c, v in vals.items():
                kpis.loc[kpis["site_id"] == sid, c] = float(v)
    return kpis


def backup_starts(site: Site, backup_kw: np.ndarray) -> int:
    """Starts of the backup generator in the plan: a running step (above the 1 % / minimum-load
    floor that "on" implies, MILP) after a step where it did not run."""
    run = np.asarray(backup_kw, dtype=float) > 1e-6 * max(1.0, site.backup_gen_kw)
    prev = np.concatenate([[False], run[:-1]])
    return int((run & ~prev).sum())


def dr_settlement(site: Site, grid_import_kw: np.ndarray) -> tuple[float, float]:
    """kWh below the baseline and the compensation (CNY) of the site's demand-response events,
    from the planned import (the paid steps of ``DemandResponseEvent``: cap ≤ baseline)."""
    kwh = cny = 0.0
    for ev in site.dr_events:
        imp = grid_import_kw[ev.start : ev.end]
        red = float(np.clip(ev.baseline_kw - imp, 0.0, None)[ev.paid].sum()) * site.step_hours
        kwh += red
        cny += red * ev.compensation_cny_per_kwh
    return kwh, cny


_KPI_NON_FLOAT = frozenset(
    {
        "site_id",
        "pue_target_met",
        "jobs_on_time",
        "jobs_total",
        "jobs_clipped",
        "dr_events",
        "backup_starts",
        "shared_jobs_run",
        "jobs_moved_in",
        "backup_factor",
        "forecast_fallback",
        "forecast_mode",
    }
)


def binding_table(
    m: LinearModel,
    x: np.ndarray,
    row_act: np.ndarray,
    row_dual: np.ndarray | None,
    col_dual: np.ndarray | None,
) -> pd.DataFrame:
    """Rows and bounds with a non-zero dual (LP, or the LP with integers fixed)."""
    if row_dual is None or col_dual is None:
        return empty_binding()
    a = m.arrays()
    fam, site, step, item, dual, slack = [], [], [], [], [], []
    for b in m.row_blocks:
        if b.kind in NOT_REPORTED:
            continue
        sl = slice(b.start, b.start + b.n)
        d = row_dual[sl]
        nz = np.abs(d) > DUAL_TOL
        k = int(nz.sum())
        if not k:
            continue
        act = row_act[sl][nz]
        s = np.minimum(act - a["row_lo"][sl][nz], a["row_hi"][sl][nz] - act)
        fam.append(np.full(k, b.kind, dtype=object))
        site.append(np.full(k, b.site, dtype=object))
        step.append(b.steps[nz])
        item.append(np.full(k, b.item, dtype=object))
        dual.append(d[nz])
        slack.append(np.maximum(s, 0.0))
    for (kind, sid, it), b in m.col_blocks.items():
        sl = slice(b.start, b.start + b.n)
        d = col_dual[sl]
        lb, ub, xs = a["lb"][sl], a["ub"][sl], x[sl]
        at_ub = np.abs(xs - ub) <= np.abs(xs - lb)
        # capacity limits at their maximum, and non-zero minimums (e.g. soc_min); not fixed
        # columns and not plain non-negativity
        nz = (np.abs(d) > DUAL_TOL) & (lb < ub) & (at_ub | (lb != 0.0))
        k = int(nz.sum())
        if not k:
            continue
        at_ub = at_ub[nz]
        fam.append(np.where(at_ub, f"{kind}_max", f"{kind}_min").astype(object))
        site.append(np.full(k, sid, dtype=object))
        step.append(b.steps[nz])
        item.append(np.full(k, it, dtype=object))
        dual.append(d[nz])
        slack.append(np.zeros(k))
    if not fam:
        return empty_binding()
    steps = np.concatenate(step)
    df = pd.DataFrame(
        {
            "family": pd.array(np.concatenate(fam), dtype="string"),
            "site_id": pd.array(np.concatenate(site), dtype="string"),
            "step": pd.array(np.where(steps >= 0, steps, 0), dtype="Int64"),
            "item": pd.array(np.concatenate(item), dtype="string"),
            "dual": np.concatenate(dual),
            "slack": np.concatenate(slack),
        }
    )
    df.loc[steps < 0, "step"] = pd.NA
    return df[list(BINDING_COLUMNS)]
