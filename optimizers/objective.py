"""The objective of the dispatch model (CNY), set on the variables of ``optimizers.variables``:

    Σ dt·(price·import − export_price·export + backup_cost·backup
          + degradation_cost·discharge − compensation·dr_reduction) + demand_charge·peak
    + carbon_price/1000 · Σ emissions_kg,   emissions_kg = Σ dt·(carbon_intensity·import
                                                               + backup_kg·backup)

The carbon price is applied when the objective vector is formed
(:meth:`optimizers.linear.LinearModel.objective_vector`), so that a frontier sweep reuses one
model.  Emissions (kg) are kept per column for the ``emission_cap`` row and the KPIs.

Moving a shared job away from its home site adds ``migration_cost_cny · moved_share`` with
``moved_share = Σ_t job[s,t]·dt / energy_kwh`` (:func:`add_migration_cost`).
"""

from __future__ import annotations

from optimizers.linear import LinearModel
from optimizers.linear import broadcast as _arr
from optimizers.problem import Problem, Site
from optimizers.variables import moves_of


def add_site_objective(m: LinearModel, site: Site, n: int) -> None:
    """Energy cost and emissions of grid import, export revenue, backup fuel cost and
    emissions, and the demand charge on the peak, for one site."""
    dt = site.step_hours
    sid = site.site_id
    m.set_objective(
        "grid_import",
        sid,
        cost=_arr(site.price_cny_per_kwh, n) * dt,
        emis=_arr(site.carbon_kg_per_kwh, n) * dt,
    )
    if m.cols("grid_export", sid) is not None:
        m.set_objective("grid_export", sid, cost=-_arr(site.export_price_cny_per_kwh, n) * dt)
    if m.cols("backup", sid) is not None:
        m.set_objective(
            "backup",
            sid,
            cost=site.backup_cost_cny_per_kwh * dt,
            emis=site.backup_kg_per_kwh * dt,
        )
    if m.cols("peak", sid) is not None:
        m.set_objective("peak", sid, cost=site.demand_charge_cny_per_kw)
    b = site.battery
    if (
        b is not None
        and b.degradation_cost_cny_per_kwh > 0
        and m.cols("discharge", sid) is not None
    ):
        m.set_objective("discharge", sid, cost=b.degradation_cost_cny_per_kwh * dt)
    for ev in site.dr_events:
        if m.cols("dr_reduction", sid, ev.event_id) is not None:
            m.set_objective(
                "dr_reduction", sid, cost=-ev.compensation_cny_per_kwh * dt, item=ev.event_id
            )


def add_migration_cost(m: LinearModel, problem: Problem) -> None:
    """Migration cost (CNY) of each shared job at each site away from its home:
    ``migration_cost_cny / energy_kwh`` per kWh run there (CNY per kW·dt on its job columns)."""
    dt = problem.step_hours
    for job, _home, sid, _link in moves_of(problem):
        if job.migration_cost_cny > 0 and m.cols("job", sid, job.job_id) is not None:
            m.set_objective(
                "job", sid, cost=job.migration_cost_cny * dt / job.energy_kwh, item=job.job_id
            )
