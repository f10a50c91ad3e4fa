"""Risk-aware day-ahead plans (issue 13 §3, scenario key ``forecast: risk_aware``).

A two-stage LP over two scenarios of the same day, built from the lake forecasts:

- the **P50 scenario**: the ordinary dispatch model (``optimizers.model``) on the P50 of IT load
  and PV;
- the **adverse scenario**: P90 IT load (``Site.it_adverse_kw``, high demand) and P10 PV
  (``Site.pv_adverse_kw``, low green supply); wind, prices and carbon intensity as in P50.

First stage (one decision for both scenarios): the grid import bought day ahead, the battery
charge / discharge, the backup and every job's kW schedule.  Recourse in the adverse scenario,
per site and step (kW): ``adv_import`` (extra grid import on top of the first-stage import) and
``adv_green`` (on-site PV + wind consumed on site, ≤ the adverse PV + wind; the rest is
curtailed).  Row families (one function each):

=====================  =====================================================================
adv_balance            adv_green + import + adv_import + discharge − charge + backup
                       = PUE[t] · (IT_P90[t] + Σ jobs[t])                         (per step)
adv_import_limit       import[t] + adv_import[t] ≤ min(import_max[t], contract)    (per step)
adv_green_share        Σ adv_green·dt + purchases ≥ target · Σ PUE·(IT_P90 + jobs)·dt (per site)
=====================  =====================================================================

Because the jobs are first-stage, their deadlines hold in both scenarios; ``adv_import_limit``
makes the adverse load servable without shedding them.  The objective is the P50 cost plus
``Options.adverse_weight`` × the adverse recourse cost Σ dt·(price + carbon_price·CI/1000)·
adv_import (the carbon price at build time; adverse export revenue is not counted, which is
conservative).  It stays an LP.

:func:`adverse_kpis` re-evaluates any plan (risk-aware or not) against the adverse series with
the same recourse rules (pure); :func:`risk_neutral` is the same problem without the adverse
scenario, the reference for the price of robustness (:func:`with_robustness`).  No I/O here.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from optimizers.constraints import green_share_row, supply_and_jobs
from optimizers.linear import INF, LinearModel
from optimizers.linear import broadcast as _arr
from optimizers.problem import DispatchResult, Problem, Site
from optimizers.variables import iter_jobs

# relative tolerance on kWh: a job is shed / a limit is exceeded above this
TOL = 1e-6


def is_risk_aware(site: Site) -> bool:
    """The site carries an adverse scenario (``forecast: risk_aware``)."""
    return site.it_adverse_kw is not None or site.pv_adverse_kw is not None


def risk_aware(problem: Problem) -> bool:
    """Any site of the problem carries an adverse scenario."""
    return any(is_risk_aware(s) for s in problem.sites)


def adverse_series(site: Site, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The adverse IT load and PV (kW per step).  A missing one is the P50 series itself.

    Raises ``ValueError`` naming the site and series when a series has the wrong length, a NaN
    or a negative value."""
    out = []
    for name, adverse, p50 in (
        ("it_adverse_kw", site.it_adverse_kw, site.it_base_kw),
        ("pv_adverse_kw", site.pv_adverse_kw, site.pv_kw),
    ):
        if adverse is None:
            out.append(_arr(p50, n))
            continue
        a = np.asarray(adverse, dtype=float)
        if a.shape != (n,):
            raise ValueError(f"site {site.site_id}: {name} has {a.size} values, expected {n}")
        if not np.isfinite(a).all() or (a < 0).any():
            raise ValueError(f"site {site.site_id}: {name} must be finite and >= 0 kW")
        out.append(a)
    return out[0], out[1]


def import_limit(site: Site, n: int) -> np.ndarray:
    """kW the grid connection can import per step: min(import_max, contract)."""
    lim = _arr(site.grid_import_max_kw, n).copy()
    if site.contract_kw is not None:
        lim = np.minimum(lim, float(site.contract_kw))
    return lim


# ----------------------------------------------------------------------------- the LP
def add_adverse_variables(m: LinearModel, site: Site, n: int) -> None:
    """Recourse of the adverse scenario: ``adv_green`` (kW, ≤ adverse PV + wind) and
    ``adv_import`` (kW ≥ 0, extra import)."""
    if not is_risk_aware(site):
        return
    _, pv = adverse_series(site, n)
    steps = np.arange(n)
    m.add_vars("adv_green", site.site_id, steps, 0.0, pv + _arr(site.wind_kw, n))
    m.add_vars("adv_import", site.site_id, steps, 0.0, INF)


def add_adverse_objective(m: LinearModel, site: Site, n: int, weight: float) -> None:
    """weight × Σ dt·(price + carbon_price·CI/1000)·adv_import (CNY)."""
    if m.cols("adv_import", site.site_id) is None:
        return
    if not (0.0 <= weight <= 1.0):
        raise ValueError(f"options.adverse_weight must lie in [0, 1], got {weight}")
    unit = _arr(site.price_cny_per_kwh, n) + m.carbon_price_cny_per_t / 1000.0 * _arr(
        site.carbon_kg_per_kwh, n
    )
    m.set_objective("adv_import", site.site_id, cost=weight * site.step_hours * unit)


def add_adverse_balance(m: LinearModel, site: Site, n: int) -> None:
    """adv_balance: the first-stage schedule plus recourse serves PUE·(IT_P90 + jobs)."""
    sid = site.site_id
    if m.cols("adv_import", sid) is None:
        return
    it, _ = adverse_series(site, n)
    pue = _arr(site.pue, n)
    rhs = pue * it
    rows = m.add_rows("adv_balance", sid, np.arange(n), rhs, rhs)
    supply_and_jobs(
        m,
        rows,
        sid,
        pue,
        (
            ("adv_green", 1.0),
            ("adv_import", 1.0),
            ("grid_import", 1.0),
            ("backup", 1.0),
            ("discharge", 1.0),
            ("charge", -1.0),
        ),
    )


def add_adverse_import_limit(m: LinearModel, site: Site, n: int) -> None:
    """adv_import_limit: first-stage + extra import ≤ min(import_max, contract), where finite."""
    sid = site.site_id
    extra = m.cols("adv_import", sid)
    imp = m.cols("grid_import", sid)
    if extra is None or imp is None:
        return
    lim = import_limit(site, n)
    steps = np.nonzero(np.isfinite(lim))[0]
    if not len(steps):
        return
    rows = m.add_rows("adv_import_limit", sid, steps, -INF, lim[steps])
    m.add_coefs(rows, imp.idx[steps], 1.0)
    m.add_coefs(rows, extra.idx[steps], 1.0)


def add_adverse_green_share(m: LinearModel, site: Site, n: int) -> None:
    """adv_green_share: the green-share target holds in the adverse scenario too."""
    target = site.green_share_target
    sid = site.site_id
    green = m.cols("adv_green", sid)
    if target is None or target <= 0 or green is None:
        return
    it, _ = adverse_series(site, n)
    green_share_row(m, "adv_green_share", site, n, it, (("adv_green", 1.0),))


def add_adverse_scenario(m: LinearModel, problem: Problem) -> None:
    """Every adverse-scenario family of every risk-aware site (no-op for a risk-neutral one)."""
    n = problem.n_steps
    for site in problem.sites:
        if not is_risk_aware(site):
            continue
        add_adverse_variables(m, site, n)
        add_adverse_objective(m, site, n, problem.options.adverse_weight)
        add_adverse_balance(m, site, n)
        add_adverse_import_limit(m, site, n)
        add_adverse_green_share(m, site, n)


# ----------------------------------------------------------------------------- evaluation
def adverse_kpis(
    problem: Problem,
    plan: pd.DataFrame,
    jobs: pd.DataFrame,
    kpis: pd.DataFrame,
    carbon_price_cny_per_t: float,
    sites: list[Site] | None = None,
) -> dict[str, dict[str, float]]:
    """The plan's KPIs when the adverse series (of ``sites``, default the problem's own) is
    realised, with the first stage fixed and the recourse of the LP: extra import on top of the
    planned import, on-site PV + wind consumed up to the load, surplus exported up to the export
    limit.  Import above the connection limit is not served: the jobs running at that step are
    shed first (pro rata), so they miss their deadline.  Per site id: ``adverse_cost_cny``,
    ``adverse_tco2``, ``adverse_green_share``, ``adverse_unserved_kwh``,
    ``adverse_jobs_on_time``.  Pure."""
    n = problem.n_steps
    cp = carbon_price_cny_per_t
    sites = problem.sites if sites is None else sites
    # each job's site: where most of its energy ran (as results.kpi_table)
    job_site: dict[str, str] = {}
    energy: dict[str, float] = {}
    for job, allowed in iter_jobs(problem):
        mine = jobs[jobs["job_id"] == job.job_id]
        by_site = mine.groupby("site_id")["kw"].sum() if len(mine) else pd.Series(dtype=float)
        job_site[job.job_id] = str(by_site.idxmax()) if len(by_site) else allowed[0]
        energy[job.job_id] = job.energy_kwh
    out: dict[str, dict[str, float]] = {}
    for i, site in enumerate(problem.sites):
        ref = sites[i]
        if not is_risk_aware(ref):
            continue
        sid = site.site_id
        dt = site.step_hours
        p = plan.iloc[i * n : (i + 1) * n]
        k = kpis[kpis["site_id"] == sid].iloc[0]
        it_a, pv_a = adverse_series(ref, n)
        col = {c: p[c].to_numpy(dtype=float) for c in p.columns if c.endswith("_kw")}
        imp, exp = col["grid_import_kw"], col["grid_export_kw"]
        load = _arr(site.pue, n) * (it_a + col["job_kw"])
        served = load - col["battery_discharge_kw"] + col["battery_charge_kw"] - col["backup_kw"]
        ren = pv_a + _arr(site.wind_kw, n)
        extra = np.maximum(0.0, served - imp - ren)
        used = np.clip(served - imp - extra, 0.0, None)
        lim = import_limit(site, n)
        excess = np.maximum(0.0, imp + extra - lim)
        excess[excess <= TOL * np.maximum(1.0, lim)] = 0.0
        imp_a = imp + extra - excess
        exp_a = np.minimum(ren - used, site.grid_export_max_kw)
        price = _arr(site.price_cny_per_kwh, n)
        ci = _arr(site.carbon_kg_per_kwh, n)
        exp_price = _arr(site.export_price_cny_per_kwh, n)
        floor = site.peak_floor_kw
        peak = float(imp.max()) if n else 0.0
        peak_a = float(imp_a.max()) if n else 0.0
        d_kwh = (imp_a - imp) * dt
        d_cost = (
            float(d_kwh @ (price + cp / 1000.0 * ci))
            - float((exp_a - exp) @ exp_price) * dt
            + site.demand_charge_cny_per_kw * (max(peak_a, floor) - max(peak, floor))
        )
        # jobs at this site shed pro rata at the steps where the limit is exceeded
        shed: dict[str, float] = {}
        site_rows = jobs[jobs["site_id"] == sid]
        for step in np.nonzero(excess)[0]:
            at = site_rows[site_rows["step"] == step]
            total = float(at["kw"].sum())
            if total <= 0:
                continue
            frac = min(1.0, excess[step] / total)
            for jid, kw in zip(at["job_id"], at["kw"], strict=True):
                shed[str(jid)] = shed.get(str(jid), 0.0) + frac * float(kw) * dt
        mine = [j for j, s in job_site.items() if s == sid]
        delivered = site_rows.groupby("job_id")["kw"].sum() * dt
        on_time = sum(
            float(delivered.get(j, 0.0)) - shed.get(j, 0.0) >= energy[j] - TOL * max(1.0, energy[j])
            for j in mine
        )
        load_kwh = float(load.sum()) * dt
        out[sid] = {
            "adverse_cost_cny": float(k["cost_cny"]) + d_cost,
            "adverse_tco2": float(k["tco2"]) + float(d_kwh @ ci) / 1000.0,
            "adverse_green_share": (
                (float(used.sum()) * dt + site.green_purchase_kwh) / load_kwh
                if load_kwh > 0
                else float("nan")
            ),
            "adverse_unserved_kwh": float(excess.sum()) * dt,
            "adverse_jobs_on_time": int(on_time),
        }
    return out


def risk_neutral(problem: Problem) -> Problem:
    """The same problem without the adverse scenario (the ``forecast: model`` plan of the day)."""
    sites = [
        dataclasses.replace(
            s,
            it_adverse_kw=None,
            pv_adverse_kw=None,
            forecast_mode="model" if is_risk_aware(s) else s.forecast_mode,
        )
        for s in problem.sites
    ]
    return dataclasses.replace(problem, sites=sites, notes=list(problem.notes))


def with_robustness(result: DispatchResult, neutral: DispatchResult) -> DispatchResult:
    """``result`` (a risk-aware plan) with the price of robustness per site: its P50-scenario
    cost (CNY) and tCO2 minus those of the risk-neutral plan ``neutral`` of the same problem.
    When ``neutral`` has no plan the columns stay NaN and a warning says why."""
    kpis = result.kpis.copy()
    warnings = list(result.warnings)
    if not neutral.ok:
        warnings.append(
            f"price of robustness not computed: the risk-neutral plan is {neutral.status}"
        )
        return dataclasses.replace(result, warnings=warnings)
    ref = neutral.kpis.set_index("site_id")
    sid = kpis["site_id"].astype(str)
    kpis["robustness_cost_cny"] = (
        kpis["cost_cny"].to_numpy() - ref.loc[sid, "cost_cny"].to_numpy()
    ).astype(float)
    kpis["robustness_tco2"] = (kpis["tco2"].to_numpy() - ref.loc[sid, "tco2"].to_numpy()).astype(
        float
    )
    return dataclasses.replace(result, kpis=kpis, warnings=warnings)
