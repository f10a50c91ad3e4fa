"""Cost–carbon frontier: carbon-price sweep or ε-constraint on total emissions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimizers.problem import DispatchResult, Problem
from optimizers.solve import solve

DEFAULT_CARBON_PRICES: tuple[float, ...] = (0.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
FRONTIER_COLUMNS: tuple[str, ...] = (
    "method",
    "carbon_price_cny_per_t",
    "emission_cap_t",
    "status",
    "cost_cny",
    "objective_cny",
    "tco2",
    "green_share",
)


def _with_options(problem: Problem, **changes: object) -> Problem:
    return dataclasses.replace(problem, options=dataclasses.replace(problem.options, **changes))


def _point(method: str, cp: float, cap: float | None, r: DispatchResult) -> dict[str, object]:
    if r.ok:
        k = r.kpis
        facility = float(k["facility_kwh"].sum())
        green = (
            float((k["green_share"] * k["facility_kwh"]).sum()) / facility if facility else np.nan
        )
        cost = float(k["cost_cny"].sum() - k["carbon_cost_cny"].sum())
        tco2 = float(k["tco2"].sum())
    else:
        green = cost = tco2 = float("nan")
    return {
        "method": method,
        "carbon_price_cny_per_t": float(cp),
        "emission_cap_t": float(cap) if cap is not None else float("nan"),
        "status": r.status,
        "cost_cny": cost,
        "objective_cny": float(r.objective),
        "tco2": tco2,
        "green_share": green,
    }


def emission_cap_grid(problem: Problem, n: int = 6, solver: str = "highs") -> list[float]:
    """``n`` caps from the emissions of the cheapest plan down to (nearly) the lowest reachable."""
    hi = solve(_with_options(problem, carbon_price_cny_per_t=0.0, emission_cap_t=None), solver)
    lo = solve(_with_options(problem, carbon_price_cny_per_t=1e6, emission_cap_t=None), solver)
    if not (hi.ok and lo.ok):
        return []
    e_hi = float(hi.kpis["tco2"].sum())
    e_lo = float(lo.kpis["tco2"].sum())
    return [float(v) for v in np.linspace(e_hi, e_lo + 1e-6 * max(1.0, abs(e_lo)), n)]


def frontier(
    problem: Problem,
    carbon_prices: Sequence[float] | None = None,
    emission_caps: Sequence[float] | None = None,
    solver: str = "highs",
) -> pd.DataFrame:
    """Cost–carbon frontier (the public ``optimizers.frontier``): sweep the carbon price
    (CNY/tCO2e) or ε-constrain total emissions (tCO2e).  One row per frontier point (columns
    :data:`FRONTIER_COLUMNS`).

    ``cost_cny`` excludes the carbon price (it is the money actually paid); ``objective_cny``
    includes it.  With neither sequence given, the carbon price is swept over
    :data:`DEFAULT_CARBON_PRICES`.  With ``emission_caps`` the carbon price of ``problem`` is
    kept and each cap (tCO2e over the horizon, all sites) is imposed in turn."""
    rows: list[dict[str, object]] = []
    if carbon_prices is None and emission_caps is None:
        carbon_prices = DEFAULT_CARBON_PRICES
    for cp in carbon_prices or ():
        r = solve(_with_options(problem, carbon_price_cny_per_t=float(cp)), solver)
        rows.append(_point("carbon_price", float(cp), problem.options.emission_cap_t, r))
    cp0 = problem.options.carbon_price_cny_per_t
    for cap in emission_caps or ():
        r = solve(_with_options(problem, emission_cap_t=float(cap)), solver)
        rows.append(_point("emission_cap", cp0, float(cap), r))
    df = pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))
    return df.astype({"method": "string", "status": "string"})
