"""The constraints of the dispatch model (DESIGN §5), one function per constraint family
(``family`` is the name used in results, binding tables and infeasibility explanations).  The
battery is :func:`add_battery`; the power balance :func:`add_power_balance`.

Constraint families (``family`` names used in results and explanations):

=====================  =====================================================================
balance                pv + wind + import − export + discharge − charge + backup
                       = PUE[t] · (IT base[t] + Σ jobs[t])                      (per step)
battery_dynamics       soc[t] = soc[t−1] + (η_c·charge − discharge/η_d)·dt       (per step)
battery_end_soc        soc[T−1] ≥ soc_init                                        (per site)
battery_cyclic         soc[T−1] = soc_start (soc_init "free": start chosen)       (per site)
contract               import[t] ≤ contract_kw                                    (per step)
peak                   import[t] ≤ peak                                           (per step)
green_share            Σ(pv + wind − export)·dt + purchases ≥ target·Σ facility·dt (per site)
job_energy             Σ job·dt = energy_kwh                                      (per job)
job_max_kw             Σ_sites job[t] ≤ max_kw (jobs allowed at several sites)    (per step)
emission_cap           Σ emissions ≤ cap                                          (problem)
battery_mode           charge ≤ P·z, discharge ≤ P·(1−z)        (MILP, z binary)  (per step;
                       "auto": only at sites with a negative effective import price)
job_on                 job ≤ max_kw·on, job ≥ min_kw·on         (MILP, on binary) (per step;
                       min_kw = min_kw_when_running or 1 % of max_kw, see job_min_kw)
job_one_site           Σ_sites on[t] ≤ 1                        (MILP)            (per step)
job_start              start[t] ≥ on[t] − on[t−1]; Σ start ≤ 1 if non-preemptible (MILP)
job_min_run            Σ_{τ=t}^{t+m−1} on[τ] ≥ m·start[t]       (MILP)            (per step)
backup_on              min_load·kW·on ≤ backup ≤ kW·on          (MILP, on binary) (per step
                       where the backup may run, see backup_allowed)
=====================  =====================================================================
export_surplus         export[t] ≤ pv[t] + wind[t]                                (per step)
demand_response        import[t] ≤ cap_kw[t] in the event's steps (item = event)  (per step)
dr_reduction           dr_reduction[t] + import[t] ≤ baseline[t] (paid steps)     (per step)
battery_cycles         Σ_day discharge·dt ≤ max_cycles_per_day · energy_kwh       (per day)
backup_start           start[t] ≥ on[t] − on[t−1], cost startup_cny per start   (MILP, per step)
backup_min_up          Σ_{τ=t}^{t+m−1} on[τ] ≥ m·start[t]  (within a run of allowed steps; MILP)
link_budget            Σ_jobs data_gb · Σ_t job[to,t]·dt / energy_kwh ≤ budget_gb_per_day
                       (per link from → to and plan day of the jobs' release)
"""

from __future__ import annotations

import numpy as np

from optimizers.linear import INF, LinearModel
from optimizers.linear import broadcast as _arr
from optimizers.problem import Job, Options, Problem, Site
from optimizers.variables import iter_jobs, moves_of, site_jobs

# Weights of the elastic (infeasibility-explaining) relaxation, per unit of slack (kWh, or kW·dt).
# Physical families are expensive to relax so that the explanation names the policy or job that
# makes the case infeasible; 0 = never relaxed (definitions that are always satisfiable alone).
ELASTIC_WEIGHTS: dict[str, float] = {
    "balance": 1000.0,
    "battery_dynamics": 0.0,
    "battery_end_soc": 1.0,
    "battery_cyclic": 1.0,
    "contract": 1.0,
    "peak": 0.0,
    "green_share": 1.0,
    "job_energy": 100.0,
    "job_max_kw": 200.0,
    "emission_cap": 1.0,
    "battery_mode": 0.0,
    "job_on": 0.0,
    "job_one_site": 0.0,
    "job_start": 0.0,
    "job_min_run": 0.0,
    "backup_on": 0.0,
    "demand_response": 1.0,
    "dr_reduction": 0.0,
    "battery_cycles": 1.0,
    "backup_start": 0.0,
    "backup_min_up": 0.0,
    "link_budget": 1.0,
    # the adverse scenario of a risk-aware plan (optimizers.risk)
    "adv_balance": 1000.0,
    "adv_import_limit": 1.0,
    "adv_green_share": 1.0,
}

# A job that is "on" (MILP) draws at least its min_kw_when_running, or this fraction of max_kw
# when that is 0: otherwise a 0 kW "run" would satisfy non-preemption and minimum run time.
JOB_MIN_RUNNING_FRACTION = 0.01


def job_min_kw(job: Job) -> float:
    """Minimum kW of a running job in MILP mode (see :data:`JOB_MIN_RUNNING_FRACTION`)."""
    if job.min_kw_when_running > 0:
        return job.min_kw_when_running
    if not job.preemptible or job.min_run_steps > 1:
        return JOB_MIN_RUNNING_FRACTION * job.max_kw
    return 0.0


def add_power_balance(m: LinearModel, site: Site, n: int) -> None:
    """balance: supply = facility load = PUE · (IT base + jobs), every step."""
    sid = site.site_id
    pue = _arr(site.pue, n)
    rhs = pue * _arr(site.it_base_kw, n)
    rows = m.add_rows("balance", sid, np.arange(n), rhs, rhs)
    supply_and_jobs(m, rows, sid, pue, BALANCE_SUPPLY)


#: what supplies a site's facility load, with its sign in the power balance
BALANCE_SUPPLY = (
    ("pv", 1.0),
    ("wind", 1.0),
    ("grid_import", 1.0),
    ("grid_export", -1.0),
    ("backup", 1.0),
    ("discharge", 1.0),
    ("charge", -1.0),
)


def supply_and_jobs(m: LinearModel, rows, sid: str, pue, supply) -> None:
    """The coefficients of a balance row per step: each ``(kind, sign)`` of ``supply`` at +sign,
    every flexible job of the site at −PUE (its facility load)."""
    for kind, sign in supply:
        b = m.cols(kind, sid)
        if b is not None:
            m.add_coefs(rows[b.steps], b.idx, sign)
    for b in site_jobs(m, sid):
        m.add_coefs(rows[b.steps], b.idx, -pue[b.steps])


def add_battery(m: LinearModel, site: Site, n: int) -> None:
    """battery_dynamics (with efficiencies) and battery_end_soc ≥ soc_init; with a free start
    (``soc_init="free"``) a ``soc_start`` column in [soc_min, soc_max] and battery_cyclic:
    soc[T−1] = soc_start (or battery_end_soc ≥ ``soc_end_min`` when that is given)."""
    sid = site.site_id
    soc = m.cols("soc", sid)
    if soc is None or site.battery is None:
        return
    b = site.battery
    dt = site.step_hours
    ch = m.cols("charge", sid)
    dis = m.cols("discharge", sid)
    assert ch is not None and dis is not None
    rhs = np.zeros(n)
    if not b.cyclic:
        rhs[0] = b.soc_init_kwh
    rows = m.add_rows("battery_dynamics", sid, np.arange(n), rhs, rhs)
    m.add_coefs(rows, soc.idx, 1.0)
    m.add_coefs(rows[1:], soc.idx[:-1], -1.0)
    m.add_coefs(rows, ch.idx, -b.eta_charge * dt)
    m.add_coefs(rows, dis.idx, dt / b.eta_discharge)
    if b.cyclic:
        e_lo, e_hi = b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh
        start = m.add_vars("soc_start", sid, np.array([-1]), e_lo, e_hi)
        m.add_coefs(rows[0], start[0], -1.0)
        if b.soc_end_min is None:
            cyc = m.add_rows("battery_cyclic", sid, np.array([n - 1]), 0.0, 0.0)
            m.add_coefs(cyc, soc.idx[-1], 1.0)
            m.add_coefs(cyc, start[0], -1.0)
            return
    e_end = (b.soc_init if b.soc_end_min is None else b.soc_end_min) * b.energy_kwh
    end = m.add_rows("battery_end_soc", sid, np.array([n - 1]), e_end, INF)
    m.add_coefs(end, soc.idx[-1], 1.0)


def add_contract_limit(m: LinearModel, site: Site, n: int) -> None:
    """contract: grid import ≤ contract_kw every step (a row, so it can be explained)."""
    if site.contract_kw is None:
        return
    imp = m.cols("grid_import", site.site_id)
    assert imp is not None
    rows = m.add_rows("contract", site.site_id, np.arange(n), -INF, site.contract_kw)
    m.add_coefs(rows, imp.idx, 1.0)


def add_export_limit(m: LinearModel, site: Site, n: int) -> None:
    """export_surplus: export[t] ≤ pv[t] + wind[t] (自发自用、余电上网).

    Only on-site renewable surplus may be fed back: grid power and battery energy are not resold.
    Without this row an LP buys valley power to sell it back whenever the export price beats the
    import price plus carbon cost, which no distribution contract allows.
    """
    sid = site.site_id
    exp = m.cols("grid_export", sid)
    if exp is None:
        return
    rows = m.add_rows("export_surplus", sid, np.arange(n), -INF, 0.0)
    m.add_coefs(rows, exp.idx, 1.0)
    for kind in ("pv", "wind"):
        b = m.cols(kind, sid)
        if b is not None:
            m.add_coefs(rows[b.steps], b.idx, -1.0)


def add_peak(m: LinearModel, site: Site, n: int) -> None:
    """peak: import[t] − peak ≤ 0 (the demand charge is on the horizon peak)."""
    peak = m.cols("peak", site.site_id)
    if peak is None:
        return
    imp = m.cols("grid_import", site.site_id)
    assert imp is not None
    rows = m.add_rows("peak", site.site_id, np.arange(n), -INF, 0.0)
    m.add_coefs(rows, imp.idx, 1.0)
    m.add_coefs(rows, peak.start, -1.0)


def add_green_share(m: LinearModel, site: Site, n: int) -> None:
    """green_share: Σ(pv + wind − export)·dt + purchases ≥ target · Σ PUE·(IT + jobs)·dt."""
    target = site.green_share_target
    if target is None or target <= 0:
        return
    green_share_row(
        m,
        "green_share",
        site,
        n,
        _arr(site.it_base_kw, n),
        (("pv", 1.0), ("wind", 1.0), ("grid_export", -1.0)),
    )


def green_share_row(m: LinearModel, family: str, site: Site, n: int, it_kw, green) -> None:
    """One row: Σ green·dt + purchases ≥ target · Σ PUE·(``it_kw`` + jobs)·dt over the horizon,
    ``green`` the ``(kind, sign)`` columns counted as green (the plan's, or the adverse
    scenario's recourse)."""
    target = site.green_share_target
    sid = site.site_id
    dt = site.step_hours
    pue = _arr(site.pue, n)
    base = float(np.sum(pue * it_kw)) * dt
    row = m.add_rows(
        family, sid, np.array([-1]), target * base - site.green_purchase_kwh, INF, span=(0, n)
    )
    for kind, sign in green:
        b = m.cols(kind, sid)
        if b is not None:
            m.add_coefs(row[0], b.idx, sign * dt)
    for b in site_jobs(m, sid):
        m.add_coefs(row[0], b.idx, -target * pue[b.steps] * dt)


def add_jobs(m: LinearModel, problem: Problem) -> None:
    """job_energy: each job gets its energy inside its window; job_max_kw across sites."""
    dt = problem.step_hours
    for job, allowed in iter_jobs(problem):
        blocks = [m.cols("job", sid, job.job_id) for sid in allowed]
        row = m.add_rows(
            "job_energy",
            None,
            np.array([-1]),
            job.energy_kwh,
            job.energy_kwh,
            item=job.job_id,
            span=(job.release, job.deadline),
        )
        for b in blocks:
            assert b is not None
            m.add_coefs(row[0], b.idx, dt)
        if len(blocks) > 1:
            steps = np.arange(job.release, job.deadline)
            rows = m.add_rows("job_max_kw", None, steps, -INF, job.max_kw, item=job.job_id)
            for b in blocks:
                assert b is not None
                m.add_coefs(rows, b.idx, 1.0)


def add_emission_cap(m: LinearModel, problem: Problem) -> None:
    """emission_cap: Σ emissions of all sites (tCO2e) ≤ cap."""
    cap = problem.options.emission_cap_t
    if cap is None:
        return
    emis = m.arrays()["emis"]
    cols = np.nonzero(emis)[0]
    row = m.add_rows("emission_cap", None, np.array([-1]), -INF, cap, span=(0, problem.n_steps))
    m.add_coefs(row[0], cols, emis[cols] / 1000.0)


def add_battery_mode(m: LinearModel, site: Site, n: int, options: Options) -> None:
    """battery_mode (MILP): no simultaneous charge and discharge, only where it can bind."""
    mode = options.no_simultaneous_charge
    if mode is False or not options.is_milp or site.battery is None:
        return
    sid = site.site_id
    ch, dis = m.cols("charge", sid), m.cols("discharge", sid)
    if ch is None or dis is None:
        return
    if mode == "auto":
        # Wasting energy through the battery pays (or is free, once surplus energy is stored)
        # only if energy can be paid for: a negative effective import price somewhere.
        eff = _arr(site.price_cny_per_kwh, n) + options.carbon_price_cny_per_t / 1000.0 * _arr(
            site.carbon_kg_per_kwh, n
        )
        if not (eff < 0).any():
            return
    steps = np.arange(n)
    p = site.battery.power_kw
    z = m.add_vars("battery_mode", sid, steps, 0.0, 1.0, integer=True)
    r1 = m.add_rows("battery_mode", sid, steps, -INF, 0.0, item="charge")
    m.add_coefs(r1, ch.idx[steps], 1.0)
    m.add_coefs(r1, z, -p)
    r2 = m.add_rows("battery_mode", sid, steps, -INF, p, item="discharge")
    m.add_coefs(r2, dis.idx[steps], 1.0)
    m.add_coefs(r2, z, p)


def add_job_integrality(m: LinearModel, problem: Problem) -> None:
    """job_on / job_one_site / job_start / job_min_run (MILP only, jobs that need them)."""
    if not problem.options.is_milp:
        return
    for job, allowed in iter_jobs(problem):
        if not job.needs_integers:
            continue
        jid = job.job_id
        steps = np.arange(job.release, job.deadline)
        w = len(steps)
        ons = []
        for sid in allowed:
            x = m.cols("job", sid, jid)
            assert x is not None
            on = m.add_vars("job_on", sid, steps, 0.0, 1.0, integer=True, item=jid)
            ons.append(on)
            r = m.add_rows("job_on", sid, steps, -INF, 0.0, item=f"{jid}:max")
            m.add_coefs(r, x.idx, 1.0)
            m.add_coefs(r, on, -job.max_kw)
            kw_min = job_min_kw(job)
            if kw_min > 0:
                r = m.add_rows("job_on", sid, steps, 0.0, INF, item=f"{jid}:min")
                m.add_coefs(r, x.idx, 1.0)
                m.add_coefs(r, on, -kw_min)
        if len(ons) > 1:
            r = m.add_rows("job_one_site", None, steps, -INF, 1.0, item=jid)
            for on in ons:
                m.add_coefs(r, on, 1.0)
        if job.preemptible and job.min_run_steps <= 1:
            continue
        # start[t] ≥ u[t] − u[t−1] with u = Σ_sites on (u[release−1] = 0); start continuous
        start = m.add_vars("job_start", None, steps, 0.0, 1.0, item=jid)
        r = m.add_rows("job_start", None, steps, 0.0, INF, item=jid)
        m.add_coefs(r, start, 1.0)
        for on in ons:
            m.add_coefs(r, on, -1.0)
            m.add_coefs(r[1:], on[:-1], 1.0)
        if not job.preemptible:
            r1 = m.add_rows("job_start", None, np.array([-1]), -INF, 1.0, item=f"{jid}:once")
            m.add_coefs(r1[0], start, 1.0)
        mr = job.min_run_steps
        if mr > 1:
            # Σ_{τ=t}^{t+mr−1} u[τ] − mr·start[t] ≥ 0, τ clipped to the window (beyond = off)
            r = m.add_rows("job_min_run", None, steps, 0.0, INF, item=jid)
            m.add_coefs(r, start, -float(mr))
            k = np.arange(w)
            for off in range(mr):
                sel = k + off < w
                for on in ons:
                    m.add_coefs(r[sel], on[k[sel] + off], 1.0)


def backup_needs_integers(site: Site) -> bool:
    """The backup has a feature only a binary on/off can model (minimum load, start-up cost,
    minimum up-time)."""
    return site.backup_min_load > 0 or site.backup_startup_cny > 0 or site.backup_min_up_steps > 1


def add_backup_min_load(m: LinearModel, site: Site, options: Options) -> None:
    """backup_on (MILP): a running backup generator carries at least its minimum load:
    min_load·kW·on ≤ backup ≤ kW·on, on binary, in the steps it may run."""
    x = m.cols("backup", site.site_id)
    if x is None or not backup_needs_integers(site) or not options.is_milp:
        return
    sid = site.site_id
    kw = site.backup_gen_kw
    on = m.add_vars("backup_on", sid, x.steps, 0.0, 1.0, integer=True)
    r = m.add_rows("backup_on", sid, x.steps, -INF, 0.0, item="max")
    m.add_coefs(r, x.idx, 1.0)
    m.add_coefs(r, on, -kw)
    # "on" draws at least its minimum load, or 1 % of kW without one (as a job, see
    # JOB_MIN_RUNNING_FRACTION): an "on" at 0 kW would dodge a start-up cost
    frac = site.backup_min_load if site.backup_min_load > 0 else JOB_MIN_RUNNING_FRACTION
    r = m.add_rows("backup_on", sid, x.steps, 0.0, INF, item="min_load")
    m.add_coefs(r, x.idx, 1.0)
    m.add_coefs(r, on, -frac * kw)


def add_backup_commitment(m: LinearModel, site: Site, options: Options) -> None:
    """backup_start / backup_min_up (MILP): start[i] ≥ on[i] − on[i−1] (off before the first
    allowed step of each run of consecutive allowed steps), each start costs ``startup_cny``;
    a start keeps it on for ``min_up`` steps, Σ_{τ=i}^{i+m−1} on[τ] ≥ m'·start[i], with m' the
    steps left in that run (the grid is back, or the horizon ends: the run cuts the up-time)."""
    on_b = m.cols("backup_on", site.site_id)
    if on_b is None or (site.backup_startup_cny <= 0 and site.backup_min_up_steps <= 1):
        return
    sid = site.site_id
    steps = on_b.steps
    k = len(steps)
    on = on_b.idx
    start = m.add_vars(
        "backup_start", sid, steps, 0.0, 1.0, cost=site.backup_startup_cny
    )  # integral at the optimum: on is binary and start is pushed down by its cost / the rows
    r = m.add_rows("backup_start", sid, steps, 0.0, INF)
    m.add_coefs(r, start, 1.0)
    m.add_coefs(r, on, -1.0)
    follows = np.flatnonzero(np.diff(steps) == 1) + 1  # allowed step right after an allowed one
    m.add_coefs(r[follows], on[follows - 1], 1.0)
    mu = site.backup_min_up_steps
    if mu <= 1:
        return
    run_id = np.concatenate([[0], np.cumsum(np.diff(steps) != 1)])
    run_end = np.zeros(k, dtype=np.int64)  # index one past the last step of i's run
    for rid in np.unique(run_id):
        idx = np.flatnonzero(run_id == rid)
        run_end[idx] = idx[-1] + 1
    i = np.arange(k)
    span = np.minimum(mu, run_end - i)
    rows = m.add_rows("backup_min_up", sid, steps, 0.0, INF)
    m.add_coefs(rows, start, -span.astype(float))
    for off in range(mu):
        sel = i + off < run_end
        m.add_coefs(rows[sel], on[i[sel] + off], 1.0)


def add_demand_response(m: LinearModel, site: Site, n: int) -> None:
    """demand_response: grid import ≤ the event's cap in each of its steps (one row block per
    event, item = event id, so an event that cannot be met is named by the explanation);
    dr_reduction: the paid kW below the baseline, dr_reduction + import ≤ baseline."""
    sid = site.site_id
    imp = m.cols("grid_import", sid)
    if imp is None:
        return
    for ev in site.dr_events:
        steps = np.arange(ev.start, ev.end)
        rows = m.add_rows("demand_response", sid, steps, -INF, ev.cap_kw, item=ev.event_id)
        m.add_coefs(rows, imp.idx[steps], 1.0)
        red = m.cols("dr_reduction", sid, ev.event_id)
        if red is None:
            continue
        base = ev.baseline_kw[red.steps - ev.start]
        rr = m.add_rows("dr_reduction", sid, red.steps, -INF, base, item=ev.event_id)
        m.add_coefs(rr, red.idx, 1.0)
        m.add_coefs(rr, imp.idx[red.steps], 1.0)


def add_battery_cycles(m: LinearModel, site: Site, n: int, steps_per_day: int) -> None:
    """battery_cycles: equivalent full cycles per plan day (kWh discharged / energy_kwh) ≤
    ``max_cycles_per_day``; a last, shorter day gets a prorated limit."""
    b = site.battery
    dis = m.cols("discharge", site.site_id)
    if b is None or b.max_cycles_per_day is None or dis is None:
        return
    days = np.arange(n) // steps_per_day
    n_days = int(days[-1]) + 1 if n else 0
    share = np.bincount(days, minlength=n_days) / steps_per_day
    rows = m.add_rows(
        "battery_cycles",
        site.site_id,
        np.arange(n_days),
        -INF,
        b.max_cycles_per_day * b.energy_kwh * share,
    )
    m.add_coefs(rows[days], dis.idx, site.step_hours)


def add_link_budget(m: LinearModel, problem: Problem) -> None:
    """link_budget: the GB moved over a link (from → to) by the shared jobs released on one plan
    day, Σ data_gb · moved_share, ≤ its ``budget_gb_per_day`` (one row per link and day; site =
    the link's ``from`` site, item = ``"from->to"``, span = the day's steps)."""
    dt = problem.step_hours
    steps_per_day = max(1, round(24 / dt))
    groups: dict[tuple[str, str, int], list[Job]] = {}
    for job, home, sid, link in moves_of(problem):
        if link is None:
            continue
        groups.setdefault((home, sid, job.release // steps_per_day), []).append(job)
    for (home, sid, day), jobs in groups.items():
        link = next(lk for lk in problem.links if (lk.from_site, lk.to_site) == (home, sid))
        lo, hi = day * steps_per_day, min((day + 1) * steps_per_day, problem.n_steps)
        row = m.add_rows(
            "link_budget",
            home,
            np.array([-1]),
            -INF,
            link.budget_gb_per_day,
            item=f"{home}->{sid}",
            span=(lo, hi),
        )
        for job in jobs:
            b = m.cols("job", sid, job.job_id)
            assert b is not None
            m.add_coefs(row[0], b.idx, job.data_gb * dt / job.energy_kwh)
