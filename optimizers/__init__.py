"""Source-grid-load-storage (源网荷储) dispatch models for green data centres.

Public API (see ``optimizers.problem``)::

    from optimizers import Battery, Job, Site, Options, Problem, DispatchResult, solve, frontier
"""

# Import the submodules named like the public functions first, so that ``optimizers.solve`` and
# ``optimizers.frontier`` below are the functions, not the modules (a submodule imported later
# would otherwise replace the package attribute).
import optimizers.frontier
import optimizers.solve  # noqa: F401
from optimizers.problem import (
    Battery,
    DispatchResult,
    Job,
    Options,
    Problem,
    Site,
    frontier,
    prorate_demand_charge,
    solve,
    validate,
)

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
