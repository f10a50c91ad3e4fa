"""Source-grid-load-storage (源网荷储) dispatch models for green data centres.

Public API: the data classes (``optimizers.problem``) and the functions below::

    from optimizers import Battery, Job, Site, Options, Problem, DispatchResult, solve, frontier

Layers (imports point down only, no cycles)::

    optimizers (this file: public functions)
      ├─ frontier ─┐
      └─ solve ────┴─ results ─ highs_bridge ─ model ─ problem (data only)
    scenario (YAML → Problem) ─ inputs (readers and physics)
    runner (plan a group, write the lake) ─ scenario, optimizers, plot;  cli / DAG ─ runner
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

# The submodules named like the public functions are imported first, so that the functions
# defined below (not the modules) are the package attributes ``optimizers.solve`` and
# ``optimizers.frontier``: Python sets a submodule as a package attribute only when it first
# loads it.
from optimizers import frontier as _frontier_mod
from optimizers import model as _model_mod
from optimizers import solve as _solve_mod
from optimizers.problem import (
    Battery,
    DispatchResult,
    Job,
    Options,
    Problem,
    ProgressFn,
    Site,
)


def solve(
    problem: Problem,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float | None = None,
    progress: ProgressFn | None = None,
) -> DispatchResult:
    """Build and solve the dispatch model.  ``solver``: ``"highs"`` (highspy, default) or ``"cbc"``
    (PuLP's ``PULP_CBC_CMD``).  ``time_limit`` in seconds (whole call), ``mip_gap`` relative (MILP
    only; default 0.5 %, see ``optimizers.solve.DEFAULT_MIP_GAP``; a MILP without a time limit
    stops after ``DEFAULT_MILP_TIME_LIMIT`` = 120 s).  ``progress`` is
    called as ``progress(stage, fraction_done)``.  Never raises on infeasibility: see
    :attr:`DispatchResult.explanation`.  Raises ``ValueError`` on invalid input data."""
    return _solve_mod.solve(
        problem, solver=solver, time_limit=time_limit, mip_gap=mip_gap, progress=progress
    )


def frontier(
    problem: Problem,
    carbon_prices: Sequence[float] | None = None,
    emission_caps: Sequence[float] | None = None,
    solver: str = "highs",
) -> pd.DataFrame:
    """Cost–carbon frontier: sweep the carbon price (CNY/tCO2e) or ε-constrain total emissions
    (tCO2e).  Returns one row per point: ``method, carbon_price_cny_per_t, emission_cap_t, status,
    cost_cny`` (cost without the carbon price), ``objective_cny, tco2, green_share``."""
    return _frontier_mod.frontier(
        problem, carbon_prices=carbon_prices, emission_caps=emission_caps, solver=solver
    )


def validate(problem: Problem) -> list[str]:
    """Check input data; raise ``ValueError`` on errors, return a list of warnings."""
    return _model_mod.validate(problem)


def prorate_demand_charge(cny_per_kw_month: float, horizon_hours: float) -> float:
    """Prorate a monthly demand charge (CNY/kW·month, 需量电价) to a horizon of ``horizon_hours``.

    A month is taken as 30 days (720 h).  Pass the result as ``Site.demand_charge_cny_per_kw``.
    """
    return cny_per_kw_month * horizon_hours / 720.0


__all__ = [
    "Battery",
    "DispatchResult",
    "Job",
    "Options",
    "Problem",
    "Site",
    "frontier",
    "prorate_demand_charge",
    "solve",
    "validate",
]
