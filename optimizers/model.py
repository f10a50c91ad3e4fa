"""The dispatch model (DESIGN §5): :func:`build_model` assembles it from

- ``optimizers.linear``: the array container :class:`LinearModel` (no physics, no I/O);
- ``optimizers.variables``: the variables and their bounds, one function per family;
- ``optimizers.objective``: costs and emissions on those variables;
- ``optimizers.constraints``: one function per constraint family (the battery is
  ``constraints.add_battery``; the families are listed in that module's docstring);
- ``optimizers.risk``: the adverse scenario of a risk-aware plan (``forecast: risk_aware``);
- ``optimizers.validation``: input checks.

Nothing here does I/O.  The names used elsewhere are re-exported here.

Bounds (reported as ``<variable>_max``/``_min`` families when binding): grid import/export
maximum, battery power and SOC limits, PV/wind availability, backup capacity, job max kW.

Objective (CNY): Σ dt·(price·import − export_price·export + backup_cost·backup)
+ demand_charge·peak + carbon_price/1000 · Σ emissions_kg, with emissions_kg =
Σ dt·(carbon_intensity·import + backup_kg·backup).
"""

from __future__ import annotations

from optimizers.constraints import (
    ELASTIC_WEIGHTS,
    JOB_MIN_RUNNING_FRACTION,
    add_backup_commitment,
    add_backup_min_load,
    add_battery,
    add_battery_cycles,
    add_battery_mode,
    add_contract_limit,
    add_demand_response,
    add_emission_cap,
    add_export_limit,
    add_green_share,
    add_job_integrality,
    add_jobs,
    add_link_budget,
    add_peak,
    add_power_balance,
    job_min_kw,
)
from optimizers.linear import INF, Block, LinearModel
from optimizers.objective import add_migration_cost, add_site_objective
from optimizers.problem import Problem
from optimizers.risk import add_adverse_scenario
from optimizers.validation import validate
from optimizers.variables import (
    add_job_variables,
    add_site_variables,
    backup_allowed,
    iter_jobs,
    site_jobs,
)


def build_model(problem: Problem) -> LinearModel:
    """Build the whole model (every site, shared jobs, options) as a :class:`LinearModel`."""
    warnings = validate(problem)
    m = LinearModel(carbon_price_cny_per_t=problem.options.carbon_price_cny_per_t)
    m.warnings.extend(warnings)
    n = problem.n_steps
    for site in problem.sites:
        add_site_variables(m, site, n)
    add_job_variables(m, problem)
    for site in problem.sites:
        add_site_objective(m, site, n)
    add_migration_cost(m, problem)
    for site in problem.sites:
        add_power_balance(m, site, n)
        add_battery(m, site, n)
        add_contract_limit(m, site, n)
        add_export_limit(m, site, n)
        add_peak(m, site, n)
        add_green_share(m, site, n)
        add_battery_mode(m, site, n, problem.options)
        add_backup_min_load(m, site, problem.options)
        add_backup_commitment(m, site, problem.options)
        add_demand_response(m, site, n)
        add_battery_cycles(m, site, n, max(1, round(24 / site.step_hours)))
    add_jobs(m, problem)
    add_link_budget(m, problem)
    add_job_integrality(m, problem)
    add_adverse_scenario(m, problem)  # forecast: risk_aware only (optimizers.risk)
    add_emission_cap(m, problem)
    return m


__all__ = [
    "ELASTIC_WEIGHTS",
    "INF",
    "JOB_MIN_RUNNING_FRACTION",
    "Block",
    "LinearModel",
    "backup_allowed",
    "build_model",
    "iter_jobs",
    "job_min_kw",
    "site_jobs",
    "validate",
]
