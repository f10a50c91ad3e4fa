"""The variables of the dispatch model (DESIGN §5), one function per variable family, with
their bounds.  Per site and step (kW, mean over the step): ``pv`` and ``wind`` used (≤ available;
curtailment is the rest), ``grid_import``, ``grid_export``, ``backup`` (only in the steps it may
run, :func:`backup_allowed`), battery ``charge``, ``discharge`` and ``soc`` (kWh at the END of the
step); ``peak`` (kW, one per site, only with a demand charge); ``job`` (kW of each job at each
allowed site and step of its window).  The MILP indicator variables (``battery_mode``,
``job_on``, ``job_start``, ``backup_on``) are added with their constraints in
``optimizers.constraints``. ``dr_reduction`` (kW below a demand-response event's baseline, paid
at its compensation price) exists per event in the steps where it is paid.

Moving a shared job away from its home site (:func:`moves_of`): with ``data_gb > 0`` its data
needs the link's transfer time, ``data_gb · 8 / gbit_s / 3600`` h, so the job's kW at the other
site is bounded to 0 in the steps that start before that time has elapsed after its release.
"""

from __future__ import annotations

import math

import numpy as np

from optimizers.linear import INF, Block, LinearModel
from optimizers.linear import broadcast as _arr
from optimizers.problem import Job, Link, Problem, Site


def iter_jobs(problem: Problem) -> list[tuple[Job, tuple[str, ...]]]:
    """Every job with the sites it may run at."""
    all_sites = tuple(s.site_id for s in problem.sites)
    out: list[tuple[Job, tuple[str, ...]]] = []
    for s in problem.sites:
        for j in s.jobs:
            out.append((j, tuple(j.sites) if j.sites else (s.site_id,)))
    for j in problem.shared_jobs:
        out.append((j, tuple(j.sites) if j.sites else all_sites))
    return out


def job_home(job: Job, allowed: tuple[str, ...]) -> str:
    """The site where a job's data lives: ``home_site``, else the first of its sites."""
    return job.home_site if job.home_site is not None else allowed[0]


def find_link(problem: Problem, from_site: str, to_site: str) -> Link | None:
    for link in problem.links:
        if link.from_site == from_site and link.to_site == to_site:
            return link
    return None


def moves_of(problem: Problem) -> list[tuple[Job, str, str, Link | None]]:
    """Every possible move of a located shared job (``Job.located``): ``(job, home, site,
    link)`` for each of its sites other than home; ``link`` is the home → site link (None when the job has no data to move:
    then none is needed; ``optimizers.validation`` rejects a job with data and no link)."""
    out: list[tuple[Job, str, str, Link | None]] = []
    all_sites = tuple(s.site_id for s in problem.sites)
    for j in problem.shared_jobs:
        if not j.located:
            continue
        allowed = tuple(j.sites) if j.sites else all_sites
        home = job_home(j, allowed)
        for sid in allowed:
            if sid != home:
                link = find_link(problem, home, sid) if j.data_gb > 0 else None
                out.append((j, home, sid, link))
    return out


def transfer_steps(job: Job, link: Link | None, step_hours: float) -> int:
    """Steps after the job's release in which it cannot yet run at the link's far end: those
    that start before the transfer of its data is done (0 without data or link)."""
    if link is None or job.data_gb <= 0:
        return 0
    return math.ceil(link.transfer_hours(job.data_gb) / step_hours - 1e-9)


def backup_allowed(site: Site, n: int) -> np.ndarray:
    """Steps in which the backup generator may run (bool array).

    ``backup_rule="economic"``: every step. Otherwise the explicit ``backup_available`` mask, or
    by default the steps where the grid cannot serve: the import limit is below its normal value
    (the horizon's highest: a grid outage or an import-limit step), or the import limit (and the
    contract limit) plus the available PV and wind is below the fixed facility load
    PUE·IT base. This is a bound of the model (the generator's upper bound is 0 in every other
    step), not a price: no fuel or carbon price makes the plan run diesel on a normal grid."""
    if site.backup_rule == "economic":
        return np.ones(n, dtype=bool)
    if site.backup_available is not None:
        return np.asarray(site.backup_available, dtype=bool)
    imp = _arr(site.grid_import_max_kw, n)
    derated = imp < imp.max()
    limit = np.minimum(imp, site.contract_kw if site.contract_kw is not None else INF)
    fixed = _arr(site.pue, n) * _arr(site.it_base_kw, n)
    short = limit + _arr(site.pv_kw, n) + _arr(site.wind_kw, n) < fixed - 1e-9
    return derated | short


def add_site_variables(m: LinearModel, site: Site, n: int) -> None:
    """Supply-side variables of one site with their bounds (kW; ``soc`` kWh).  Costs and
    emissions are set by ``optimizers.objective``."""
    steps = np.arange(n)
    sid = site.site_id
    pv = _arr(site.pv_kw, n)
    if pv.any():
        m.add_vars("pv", sid, steps, 0.0, pv)
    wind = _arr(site.wind_kw, n)
    if wind.any():
        m.add_vars("wind", sid, steps, 0.0, wind)
    m.add_vars("grid_import", sid, steps, 0.0, site.grid_import_max_kw)
    if site.grid_export_max_kw > 0:
        m.add_vars("grid_export", sid, steps, 0.0, site.grid_export_max_kw)
    allowed = backup_allowed(site, n) if site.backup_gen_kw > 0 else np.zeros(n, dtype=bool)
    if allowed.any():
        m.add_vars("backup", sid, steps[allowed], 0.0, site.backup_gen_kw)
    b = site.battery
    if b is not None and b.energy_kwh > 0 and b.power_kw > 0:
        m.add_vars("charge", sid, steps, 0.0, b.power_kw)
        m.add_vars("discharge", sid, steps, 0.0, b.power_kw)
        m.add_vars("soc", sid, steps, b.soc_min * b.energy_kwh, b.soc_max * b.energy_kwh)
    if site.demand_charge_cny_per_kw > 0:
        m.add_vars("peak", sid, np.array([-1]), site.peak_floor_kw, INF)
    for ev in site.dr_events:
        # kW below the event's baseline (paid): only in steps whose cap is at or below the
        # baseline (DemandResponseEvent), bounded by the baseline
        steps_ev = np.arange(ev.start, ev.end)
        paid = ev.paid
        if paid.any():
            m.add_vars(
                "dr_reduction", sid, steps_ev[paid], 0.0, ev.baseline_kw[paid], item=ev.event_id
            )


def add_job_variables(m: LinearModel, problem: Problem) -> None:
    """kW of each job at each site it may run at, over its window (≤ max_kw; 0 at a site away
    from home while the job's data is still on the link, :func:`transfer_steps`)."""
    wait = {
        (j.job_id, sid): transfer_steps(j, link, problem.step_hours)
        for j, _home, sid, link in moves_of(problem)
    }
    for job, allowed in iter_jobs(problem):
        steps = np.arange(job.release, job.deadline)
        for sid in allowed:
            k = wait.get((job.job_id, sid), 0)
            ub = np.where(steps < job.release + k, 0.0, job.max_kw) if k else job.max_kw
            m.add_vars("job", sid, steps, 0.0, ub, item=job.job_id)


def site_jobs(m: LinearModel, site_id: str) -> list[Block]:
    return [b for (k, s, _), b in m.col_blocks.items() if k == "job" and s == site_id]
