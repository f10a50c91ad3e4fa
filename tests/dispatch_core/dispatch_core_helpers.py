"""Tiny dispatch problems for the optimiser-core tests (no I/O)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optimizers.problem import Problem, Site


def index(n: int, step_hours: float = 1.0) -> pd.DatetimeIndex:
    return pd.date_range(
        "2026-07-15", periods=n, freq=pd.Timedelta(hours=step_hours), tz="Asia/Shanghai"
    )


def site(
    n: int,
    *,
    site_id: str = "DC1",
    step_hours: float = 1.0,
    it: float | list[float] = 100.0,
    pue: float | list[float] = 1.0,
    pv: float | list[float] = 0.0,
    wind: float | list[float] = 0.0,
    price: float | list[float] = 1.0,
    carbon: float | list[float] = 0.5,
    **kw: Any,
) -> Site:
    def arr(v: float | list[float]) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()

    kw.setdefault("grid_import_max_kw", 1e4)
    return Site(
        site_id=site_id,
        uscc=None,
        index=index(n, step_hours),
        step_hours=step_hours,
        it_base_kw=arr(it),
        pue=arr(pue),
        pv_kw=arr(pv),
        wind_kw=arr(wind),
        price_cny_per_kwh=arr(price),
        carbon_kg_per_kwh=arr(carbon),
        **kw,
    )


def check_plan(problem: Problem, plan: pd.DataFrame, jobs: pd.DataFrame, tol: float = 1e-5) -> None:
    """Assert the physics of a solved plan (balance, SOC, limits, jobs) from the tables alone."""
    n = problem.n_steps
    dt = problem.step_hours
    for i, s in enumerate(problem.sites):
        p = plan.iloc[i * n : (i + 1) * n]
        assert (p["site_id"] == s.site_id).all()
        supply = (
            p["pv_used_kw"]
            + p["wind_used_kw"]
            + p["grid_import_kw"]
            - p["grid_export_kw"]
            + p["battery_discharge_kw"]
            - p["battery_charge_kw"]
            + p["backup_kw"]
        ).to_numpy()
        facility = np.asarray(s.pue) * (np.asarray(s.it_base_kw) + p["job_kw"].to_numpy())
        np.testing.assert_allclose(supply, facility, atol=tol * 100, rtol=1e-7)
        np.testing.assert_allclose(p["facility_kw"].to_numpy(), facility, atol=tol * 100)
        assert (p["pv_used_kw"] <= np.asarray(s.pv_kw) + tol).all()
        assert (p["wind_used_kw"] <= np.asarray(s.wind_kw) + tol).all()
        assert (p["grid_import_kw"] <= s.grid_import_max_kw + tol).all()
        assert (p["grid_import_kw"] >= -tol).all()
        if s.contract_kw is not None:
            assert (p["grid_import_kw"] <= s.contract_kw + tol).all()
        b = s.battery
        if b is not None:
            soc = p["soc_kwh"].to_numpy()
            assert (soc >= b.soc_min * b.energy_kwh - tol).all()
            assert (soc <= b.soc_max * b.energy_kwh + tol).all()
            prev = np.concatenate([[b.soc_init * b.energy_kwh], soc[:-1]])
            ch = p["battery_charge_kw"].to_numpy()
            dis = p["battery_discharge_kw"].to_numpy()
            np.testing.assert_allclose(
                soc, prev + (b.eta_charge * ch - dis / b.eta_discharge) * dt, atol=1e-5
            )
            assert soc[-1] >= b.soc_init * b.energy_kwh - 1e-5
            assert (ch <= b.power_kw + tol).all() and (dis <= b.power_kw + tol).all()
    from optimizers.model import iter_jobs

    for job, allowed in iter_jobs(problem):
        rows = jobs[jobs["job_id"] == job.job_id]
        assert set(rows["site_id"]) <= set(allowed)
        assert (rows["step"] >= job.release).all() and (rows["step"] < job.deadline).all()
        assert (rows.groupby("step")["kw"].sum() <= job.max_kw + tol).all()
        np.testing.assert_allclose(rows["kw"].sum() * dt, job.energy_kwh, rtol=1e-6, atol=1e-5)
