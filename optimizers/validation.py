"""Input checks of a :class:`~optimizers.problem.Problem` before a model is built."""

from __future__ import annotations

import numpy as np

from optimizers.problem import Problem
from optimizers.variables import backup_allowed, iter_jobs, moves_of, transfer_steps


def validate(problem: Problem) -> list[str]:
    """Check input data; raise ``ValueError`` on errors, return warnings (the problem's own
    ``notes`` first)."""
    warnings: list[str] = list(problem.notes)
    if not problem.sites:
        raise ValueError("problem has no sites")
    ids = [s.site_id for s in problem.sites]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate site_id in {ids}")
    first = problem.sites[0]
    n = first.n_steps
    if n == 0:
        raise ValueError("empty time index")
    for s in problem.sites:
        if s.n_steps != n or s.step_hours != first.step_hours:
            raise ValueError(
                f"site {s.site_id}: all sites of one problem share the time grid "
                f"({n} steps of {first.step_hours} h); got {s.n_steps} of {s.step_hours} h"
            )
        if not s.step_hours > 0:
            raise ValueError(f"site {s.site_id}: step_hours must be > 0")
        for name in (
            "it_base_kw",
            "pue",
            "pv_kw",
            "wind_kw",
            "price_cny_per_kwh",
            "carbon_kg_per_kwh",
        ):
            arr = np.asarray(getattr(s, name), dtype=float)
            if arr.shape != (n,):
                raise ValueError(f"site {s.site_id}: {name} has shape {arr.shape}, expected ({n},)")
            if not np.isfinite(arr).all():
                raise ValueError(f"site {s.site_id}: {name} has NaN or infinite values")
        exp = np.asarray(s.export_price_cny_per_kwh, dtype=float)
        if exp.ndim and exp.shape != (n,):
            raise ValueError(f"site {s.site_id}: export_price_cny_per_kwh shape {exp.shape}")
        if (np.asarray(s.pue) < 1.0).any():
            raise ValueError(f"site {s.site_id}: PUE < 1")
        for name in ("it_base_kw", "pv_kw", "wind_kw", "carbon_kg_per_kwh"):
            if (np.asarray(getattr(s, name)) < 0).any():
                raise ValueError(f"site {s.site_id}: {name} < 0")
        imp = np.asarray(s.grid_import_max_kw, dtype=float)
        if imp.ndim and imp.shape != (n,):
            raise ValueError(f"site {s.site_id}: grid_import_max_kw shape {imp.shape}")
        if np.isnan(imp).any():
            raise ValueError(f"site {s.site_id}: grid_import_max_kw has NaN values")
        if (imp < 0).any() or s.grid_export_max_kw < 0 or s.backup_gen_kw < 0:
            raise ValueError(f"site {s.site_id}: negative grid or backup limit")
        if s.backup_cost_cny_per_kwh < 0 or s.backup_kg_per_kwh < 0:
            raise ValueError(f"site {s.site_id}: negative backup cost or emission factor")
        if not 0 <= s.backup_min_load <= 1:
            raise ValueError(f"site {s.site_id}: backup_min_load must be in [0, 1]")
        if s.backup_rule not in ("grid_limited", "economic"):
            raise ValueError(f"site {s.site_id}: backup_rule must be grid_limited or economic")
        if s.backup_available is not None and np.shape(s.backup_available) != (n,):
            raise ValueError(f"site {s.site_id}: backup_available must have {n} values")
        if (
            s.backup_gen_kw > 0
            and s.backup_min_load > 0
            and not problem.options.is_milp
            and backup_allowed(s, n).any()
        ):
            warnings.append(
                f"LP mode: the backup generator's minimum load at site {s.site_id} "
                f"({s.backup_min_load:.0%} of {s.backup_gen_kw:g} kW) is relaxed; set "
                "Options(milp=True) to enforce it"
            )
        if s.backup_startup_cny < 0 or s.backup_min_up_steps < 1:
            raise ValueError(f"site {s.site_id}: backup start-up cost < 0 or min up-time < 1")
        if (
            s.backup_gen_kw > 0
            and (s.backup_startup_cny > 0 or s.backup_min_up_steps > 1)
            and not problem.options.is_milp
            and backup_allowed(s, n).any()
        ):
            warnings.append(
                f"LP mode: the backup generator's start-up cost ({s.backup_startup_cny:g} CNY) "
                f"and minimum up-time ({s.backup_min_up_steps} steps) at site {s.site_id} are "
                "not modelled; set Options(milp=True) to enforce them"
            )
        for ev in s.dr_events:
            if not 0 <= ev.start < ev.end <= n or len(ev.cap_kw) != ev.end - ev.start:
                raise ValueError(f"site {s.site_id}: demand-response event {ev.event_id} steps")
        if s.green_share_target is not None and not 0 <= s.green_share_target <= 1:
            raise ValueError(f"site {s.site_id}: green_share_target must be in [0, 1]")
        b = s.battery
        if b is not None:
            if b.energy_kwh < 0 or b.power_kw < 0:
                raise ValueError(f"site {s.site_id}: battery size < 0")
            if not (0 < b.eta_charge <= 1 and 0 < b.eta_discharge <= 1):
                raise ValueError(f"site {s.site_id}: battery efficiencies must be in (0, 1]")
            if b.soc_end_min is not None and not b.soc_min <= b.soc_end_min <= b.soc_max:
                raise ValueError(f"site {s.site_id}: soc_end_min outside [soc_min, soc_max]")
            if b.cyclic and b.soc_init != "free":
                raise ValueError(
                    f"site {s.site_id}: soc_init must be a fraction or 'free', got {b.soc_init!r}"
                )
            start = b.soc_min if b.cyclic else b.soc_init
            if not 0 <= b.soc_min <= start <= b.soc_max <= 1:
                raise ValueError(
                    f"site {s.site_id}: need 0 ≤ soc_min ≤ soc_init ≤ soc_max ≤ 1, got "
                    f"{b.soc_min}, {b.soc_init}, {b.soc_max}"
                )
    job_ids = [j.job_id for s in problem.sites for j in s.jobs] + [
        j.job_id for j in problem.shared_jobs
    ]
    if len(set(job_ids)) != len(job_ids):
        raise ValueError("duplicate job_id")
    for job, allowed in iter_jobs(problem):
        if not 0 <= job.release < job.deadline <= n:
            raise ValueError(
                f"job {job.job_id}: need 0 ≤ release < deadline ≤ {n}, "
                f"got [{job.release}, {job.deadline})"
            )
        if job.energy_kwh < 0 or job.max_kw < 0 or job.min_kw_when_running < 0:
            raise ValueError(f"job {job.job_id}: negative energy or power")
        if job.min_kw_when_running > job.max_kw:
            raise ValueError(f"job {job.job_id}: min_kw_when_running > max_kw")
        if job.min_run_steps < 1:
            raise ValueError(f"job {job.job_id}: min_run_steps must be ≥ 1")
        if job.min_run_steps > job.deadline - job.release:
            raise ValueError(
                f"job {job.job_id}: min_run_steps ({job.min_run_steps}) is longer than its "
                f"window [{job.release}, {job.deadline}) of {job.deadline - job.release} steps"
            )
        if job.requested_window is not None:
            a, b = job.requested_window
            warnings.append(
                f"job {job.job_id}: window [{a}, {b}) cut by the plan horizon [0, {n}) to "
                f"[{job.release}, {job.deadline}); its {job.energy_kwh:g} kWh must fit there"
            )
        unknown = set(allowed) - set(ids)
        if unknown:
            raise ValueError(f"job {job.job_id}: unknown sites {sorted(unknown)}")
    warnings.extend(validate_moves(problem))
    if not problem.options.is_milp and any(j.needs_integers for j, _ in iter_jobs(problem)):
        warnings.append(
            "LP mode: min_kw_when_running / preemptible=False / min_run_steps of jobs are "
            "relaxed; set Options(milp=True) or job_integrality=True to enforce them"
        )
    if (
        problem.options.rolling_window_steps is not None
        and problem.options.rolling_window_steps < 1
    ):
        raise ValueError("rolling_window_steps must be ≥ 1")
    return warnings


def uses_moves(problem: Problem) -> bool:
    """The problem prices or limits moving shared jobs (links, data_gb or migration_cost_cny)."""
    return bool(problem.links) or any(
        j.data_gb > 0 or j.migration_cost_cny > 0 for j in problem.shared_jobs
    )


def validate_moves(problem: Problem) -> list[str]:
    """Check the links and the moving keys of jobs (docs/dispatch.md "Moving work between
    sites"); raise ``ValueError`` naming what is wrong, return warnings."""
    ids = {s.site_id for s in problem.sites}
    seen: set[tuple[str, str]] = set()
    for lk in problem.links:
        for end in (lk.from_site, lk.to_site):
            if end not in ids:
                raise ValueError(f"link {lk.from_site} -> {lk.to_site}: unknown site {end!r}")
        if lk.from_site == lk.to_site:
            raise ValueError(f"link {lk.from_site} -> {lk.to_site}: from and to are the same site")
        if (lk.from_site, lk.to_site) in seen:
            raise ValueError(f"link {lk.from_site} -> {lk.to_site}: given twice")
        seen.add((lk.from_site, lk.to_site))
        if not lk.gbit_s > 0:
            raise ValueError(f"link {lk.from_site} -> {lk.to_site}: gbit_s must be > 0")
        if not lk.budget_gb_per_day >= 0:
            raise ValueError(f"link {lk.from_site} -> {lk.to_site}: budget_gb_per_day < 0")
    for s in problem.sites:
        for j in s.jobs:
            if j.home_site is not None or j.data_gb or j.migration_cost_cny:
                raise ValueError(
                    f"job {j.job_id} of site {s.site_id}: home_site, data_gb and "
                    "migration_cost_cny apply to shared jobs only (it cannot move)"
                )
    all_sites = tuple(s.site_id for s in problem.sites)
    for j in problem.shared_jobs:
        allowed = tuple(j.sites) if j.sites else all_sites
        if j.home_site is not None and j.home_site not in allowed:
            raise ValueError(
                f"job {j.job_id}: home_site {j.home_site!r} is not one of its sites {list(allowed)}"
            )
        if not j.data_gb >= 0:
            raise ValueError(f"job {j.job_id}: data_gb must be ≥ 0, got {j.data_gb}")
        if not j.migration_cost_cny >= 0:
            raise ValueError(
                f"job {j.job_id}: migration_cost_cny must be ≥ 0, got {j.migration_cost_cny}"
            )
    warnings: list[str] = []
    for j, home, sid, link in moves_of(problem):
        if j.data_gb > 0 and link is None:
            raise ValueError(
                f"job {j.job_id}: {j.data_gb:g} GB of data at {home} and no link {home} -> {sid}:"
                f" the job cannot move to {sid} (add the link, or drop {sid} from its sites)"
            )
        k = transfer_steps(j, link, problem.step_hours)
        if k >= j.deadline - j.release:
            assert link is not None
            warnings.append(
                f"job {j.job_id}: moving its {j.data_gb:g} GB to {sid} takes "
                f"{link.transfer_hours(j.data_gb):.2f} h, longer than its window: it cannot run "
                f"at {sid}"
            )
    if problem.options.rolling_window_steps is not None and uses_moves(problem):
        raise ValueError(
            "rolling_window: moving shared jobs between sites (links, data_gb, "
            "migration_cost_cny) is not supported with a rolling horizon; plan it in one model"
        )
    return warnings
