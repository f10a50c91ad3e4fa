"""The same dispatch LP in PyPSA and in ours: an honest, checkable comparison.

Lives in ``benchmarks/`` (not in the ``optimizers`` package): it imports PyPSA, a dev-only
dependency, so it must not ship in the wheel. Used by ``benchmarks/dispatch.py`` and by
``tests/dispatch/test_pypsa_compare.py`` / ``test_cyclic_battery.py``.

The common problem (one site, one bus) has what both tools model the same way:

* load = facility load (IT × PUE), fixed per step;
* PV and wind as generators with ``p_max_pu`` and free curtailment (marginal cost 0);
* grid import as a generator, ``p_nom`` = the connection limit, marginal cost
  ``price + carbon price × intensity`` (CNY/kWh; kW and kWh throughout);
* the battery as a Store (``e_nom`` kWh, ``e_min_pu``/``e_max_pu`` = SOC limits) with a charger
  Link (efficiency ``eta_charge``, ``p_nom`` = power) and a discharger Link (efficiency
  ``eta_discharge``, ``p_nom = power / eta_discharge`` so the *delivered* power is limited to
  ``power_kw`` as in ours);
* no jobs, demand charge, export, contract limit or green-share target.

End of horizon: ours fixes the start SOC at ``soc_init`` and requires end ≥ start. PyPSA's
``e_cyclic`` would make the start free (a different problem), so the PyPSA store gets
``e_initial = soc_init · e_nom`` and an extra constraint ``e[last] ≥ e_initial``.

Cyclic (``cyclic=True``): ours with ``soc_init="free"`` against PyPSA's ``e_cyclic=True`` Store,
or (``storage_unit=True``) a StorageUnit with ``cyclic_state_of_charge=True`` (``max_hours`` =
energy / power, ``efficiency_store``/``_dispatch`` = η; a StorageUnit has no SOC floor, so that
variant uses a battery with ``soc_min = 0``, ``soc_max = 1``).

Step length: with 15-minute steps every snapshot weighting (objective, generators, stores) must be
0.25 h; without it PyPSA silently solves a different problem (energy = power × 1 h).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizers import inputs

CARBON_PRICE = 90.0  # CNY/tCO2
YANCHENG = (33.38, 120.16)
JIANGSU_TOU = {
    "valley": {"hours": [[0, 8]], "price": 0.2717},
    "flat": {"hours": [[11, 17], [22, 24]], "price": 0.6463},
    "peak": {"hours": [[8, 11], [17, 22]], "price": 1.0798},
}
CARBON_PROFILE = [0.64, 0.64, 0.65, 0.65, 0.65, 0.64, 0.63, 0.61, 0.59, 0.56, 0.53, 0.51,
                  0.50, 0.51, 0.53, 0.55, 0.58, 0.61, 0.63, 0.63, 0.63, 0.63, 0.64, 0.64]  # fmt: skip


@dataclass
class SiteSeries:
    index: pd.DatetimeIndex
    step_hours: float
    it_kw: np.ndarray
    pue: np.ndarray
    pv_kw: np.ndarray
    wind_kw: np.ndarray
    price: np.ndarray
    carbon: np.ndarray


def synthetic_series(
    n_steps: int, *, start: str = "2026-01-01", seed: int = 7, freq: str | None = None
) -> SiteSeries:
    """Deterministic inputs of ``n_steps``: 15-minute steps when ``n_steps`` is a whole number of
    days of 96 steps (96, 35040), else hourly (24, 8760). IT load with a daily shape and noise,
    seasonal weather-driven PUE, pvlib clear-sky PV with seeded daily cloudiness, seeded AR(1)
    wind, Jiangsu TOU prices and an hourly carbon-intensity profile."""
    freq = freq or ("15min" if n_steps % 96 == 0 else "1h")
    index = pd.date_range(start, periods=n_steps, freq=freq, tz="Asia/Shanghai", name="ts")
    dt = inputs.step_hours(freq)
    rng = np.random.default_rng(seed)
    h = inputs.hours_of_day(index)
    doy = index.dayofyear.to_numpy()
    it = (
        5000
        * (1 + 0.08 * np.sin(2 * np.pi * (h - 9) / 24))
        * (1 + 0.02 * rng.standard_normal(n_steps))
    )
    temp = 15 - 12 * np.cos(2 * np.pi * (doy - 15) / 365) + 4 * np.cos(2 * np.pi * (h - 15) / 24)
    pue = inputs.pue_from_temperature(temp, base=1.18, ref_c=18.0, per_deg_c=0.012)
    clear = inputs.pv_clearsky_kw(index, *YANCHENG, kwp=8000.0)
    days = (index.normalize() - index[0].normalize()).days.to_numpy()
    cloud = 0.35 + 0.65 * rng.random(days.max() + 1)
    pv = clear * cloud[days]
    w = np.empty(n_steps)
    x = 0.0
    shocks = rng.standard_normal(n_steps)
    for i in range(n_steps):
        x = 0.97 * x + 0.25 * shocks[i]
        w[i] = x
    wind = 6000 * np.clip(0.35 + 0.25 * w, 0.0, 1.0)
    price = inputs.tou_profile(index, JIANGSU_TOU)
    carbon = inputs.hourly_profile(index, CARBON_PROFILE)
    return SiteSeries(index, dt, it, pue, pv, wind, price, carbon)


BATTERY = {
    "energy_kwh": 8000.0,
    "power_kw": 4000.0,
    "eta_charge": 0.95,
    "eta_discharge": 0.95,
    "soc_init": 0.5,
    "soc_min": 0.1,
    "soc_max": 0.95,
}
GRID_MAX_KW = 14000.0


FULL_RANGE_BATTERY = {**BATTERY, "soc_min": 0.0, "soc_max": 1.0}


def ours_problem(
    s: SiteSeries,
    carbon_price: float = CARBON_PRICE,
    jobs: list | None = None,
    milp: bool = False,
    *,
    battery: dict | None = None,
    cyclic: bool = False,
):
    """The common problem as our ``Problem`` (``cyclic``: ``soc_init="free"``)."""
    from optimizers.problem import Battery, Options, Problem, Site

    b = dict(battery or BATTERY)
    if cyclic:
        b["soc_init"] = "free"

    site = Site(
        site_id="YC-BENCH",
        uscc="91320902JRCN9QAQ9Y",
        index=s.index,
        step_hours=s.step_hours,
        it_base_kw=s.it_kw,
        pue=s.pue,
        pv_kw=s.pv_kw,
        wind_kw=s.wind_kw,
        price_cny_per_kwh=s.price,
        carbon_kg_per_kwh=s.carbon,
        grid_import_max_kw=GRID_MAX_KW,
        battery=Battery(**b),
        jobs=jobs or [],
    )
    return Problem(sites=[site], options=Options(milp=milp, carbon_price_cny_per_t=carbon_price))


def pypsa_network(
    s: SiteSeries,
    carbon_price: float = CARBON_PRICE,
    *,
    weightings: bool = True,
    battery: dict | None = None,
    cyclic: bool = False,
    storage_unit: bool = False,
):
    """The common problem as a PyPSA network (not yet optimised)."""
    import pypsa

    pypsa.options.api.legacy_string_dtype = False
    n = pypsa.Network()
    snaps = s.index.tz_localize(None)
    n.set_snapshots(snaps)
    if weightings:
        # objective, generators and stores: every weighting is the step length in hours
        # (the frame is int64 under pandas 3, so assign whole float columns, not .loc[:, :])
        sw = n.snapshot_weightings
        for col in sw.columns:
            sw[col] = np.full(len(sw), float(s.step_hours))
        assert (n.snapshot_weightings.to_numpy() == s.step_hours).all()
    n.add("Bus", "site")
    n.add("Bus", "battery")
    n.add("Load", "facility", bus="site", p_set=pd.Series(s.it_kw * s.pue, index=snaps))
    pv_nom = max(float(s.pv_kw.max()), 1.0)
    wind_nom = max(float(s.wind_kw.max()), 1.0)
    n.add(
        "Generator",
        "pv",
        bus="site",
        p_nom=pv_nom,
        p_max_pu=pd.Series(s.pv_kw / pv_nom, index=snaps),
        marginal_cost=0.0,
    )
    n.add(
        "Generator",
        "wind",
        bus="site",
        p_nom=wind_nom,
        p_max_pu=pd.Series(s.wind_kw / wind_nom, index=snaps),
        marginal_cost=0.0,
    )
    cost = s.price + carbon_price * s.carbon / 1000.0
    n.add(
        "Generator",
        "grid",
        bus="site",
        p_nom=GRID_MAX_KW,
        marginal_cost=pd.Series(cost, index=snaps),
    )
    b = battery or BATTERY
    if storage_unit:
        if b["soc_min"] != 0.0 or b["soc_max"] != 1.0:
            raise ValueError("a PyPSA StorageUnit has no SOC limits: use soc_min 0, soc_max 1")
        n.add(
            "StorageUnit",
            "battery",
            bus="site",
            p_nom=b["power_kw"],
            max_hours=b["energy_kwh"] / b["power_kw"],
            efficiency_store=b["eta_charge"],
            efficiency_dispatch=b["eta_discharge"],
            state_of_charge_initial=b["soc_init"] * b["energy_kwh"],
            cyclic_state_of_charge=cyclic,
        )
        return n
    n.add(
        "Store",
        "battery",
        bus="battery",
        e_nom=b["energy_kwh"],
        e_min_pu=b["soc_min"],
        e_max_pu=b["soc_max"],
        e_initial=b["soc_init"] * b["energy_kwh"],
        e_cyclic=cyclic,
    )
    n.add(
        "Link",
        "charger",
        bus0="site",
        bus1="battery",
        p_nom=b["power_kw"],
        efficiency=b["eta_charge"],
    )
    n.add(
        "Link",
        "discharger",
        bus0="battery",
        bus1="site",
        p_nom=b["power_kw"] / b["eta_discharge"],
        efficiency=b["eta_discharge"],
    )
    return n


def _end_soc_at_least_start(n, snapshots) -> None:
    m = n.model
    e = m["Store-e"]
    last = e.loc[snapshots[-1], "battery"]
    m.add_constraints(last >= float(n.stores.at["battery", "e_initial"]), name="end_soc_ge_start")


def solve_pypsa(n, *, end_ge_start: bool = True) -> tuple[float, float, float, str]:
    """Build and solve with HiGHS via linopy: (objective, build_s, solve_s, status).
    ``end_ge_start``: add ours' rule "end ≥ fixed start" (not for a cyclic store)."""
    t0 = time.perf_counter()
    n.optimize.create_model(include_objective_constant=False)
    if end_ge_start:
        _end_soc_at_least_start(n, n.snapshots)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    # io_api="direct": linopy hands the model to highspy in memory (its fastest path; no LP file)
    status, _cond = n.optimize.solve_model(
        solver_name="highs", log_to_console=False, io_api="direct", progress=False
    )
    solve_s = time.perf_counter() - t1
    return float(n.objective), build_s, solve_s, status


def pypsa_plan(n) -> pd.DataFrame:
    """Grid import, battery flows and store energy of a solved Store network (kW, kWh)."""
    return pd.DataFrame(
        {
            "grid_import_kw": n.generators_t.p["grid"].to_numpy(),
            "pv_used_kw": n.generators_t.p["pv"].to_numpy(),
            "wind_used_kw": n.generators_t.p["wind"].to_numpy(),
            "battery_charge_kw": n.links_t.p0["charger"].to_numpy(),
            "battery_discharge_kw": -n.links_t.p1["discharger"].to_numpy(),
            "soc_kwh": n.stores_t.e["battery"].to_numpy(),
        }
    )


def compare(n_steps: int, *, seed: int = 7) -> dict:
    """Solve the common problem of ``n_steps`` in both tools and report objectives and times."""
    import logging

    from optimizers import solve

    for name in ("linopy", "pypsa"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import pypsa  # noqa: F401  (import time is not build time)

    s = synthetic_series(n_steps, seed=seed)
    t0 = time.perf_counter()
    ours = solve(ours_problem(s))
    ours_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = pypsa_network(s)
    net_s = time.perf_counter() - t0
    obj, build_s, solve_s, status = solve_pypsa(n)
    p_total = net_s + build_s + solve_s
    soc_end = float(n.stores_t.e["battery"].iloc[-1])
    ours_soc_end = float(ours.plan["soc_kwh"].iloc[-1])
    rel = abs(ours.objective - obj) / max(abs(obj), 1.0)
    return {
        "n_steps": n_steps,
        "step_hours": s.step_hours,
        "ours_status": ours.status,
        "pypsa_status": status,
        "ours_objective_cny": ours.objective,
        "pypsa_objective_cny": obj,
        "rel_diff": rel,
        "ours_build_s": ours.build_s,
        "ours_solve_s": ours.solve_s,
        "ours_total_s": ours_total,
        "pypsa_build_s": net_s + build_s,
        "pypsa_solve_s": solve_s,
        "pypsa_total_s": p_total,
        "speedup_total": p_total / ours_total if ours_total > 0 else float("inf"),
        "soc_start_kwh": BATTERY["soc_init"] * BATTERY["energy_kwh"],
        "ours_soc_end_kwh": ours_soc_end,
        "pypsa_soc_end_kwh": soc_end,
    }
