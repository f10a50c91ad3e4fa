"""Infeasible cases: the explanation names the constraint family (and steps) that causes it."""

from __future__ import annotations

import pytest
from dispatch_core_helpers import site

from optimizers import Job, Options, Problem, solve


def test_green_target_with_tiny_pv_names_green_share() -> None:
    s = site(4, it=100, pv=[0, 5, 5, 0], green_share_target=0.95)
    r = solve(Problem([s]))
    assert r.status == "infeasible"
    assert r.plan.empty and r.explanation
    assert "green_share" in r.explanation and "DC1" in r.explanation
    assert "job_energy" not in r.explanation and "balance" not in r.explanation


def test_job_longer_than_its_window_names_job_and_steps() -> None:
    job = Job("render-7", release=1, deadline=3, energy_kwh=50, max_kw=10)
    s = site(5, it=10, jobs=[job])
    r = solve(Problem([s]))
    assert r.status == "infeasible"
    assert r.explanation is not None
    assert "job_energy" in r.explanation and "render-7" in r.explanation
    assert "steps 1–2" in r.explanation
    assert "30.0 kWh" in r.explanation  # 50 kWh − 10 kW × 2 h


def test_import_limit_names_balance_and_steps() -> None:
    s = site(4, it=[10, 10, 100, 120], grid_import_max_kw=50)
    r = solve(Problem([s]), solver="cbc")
    assert r.status == "infeasible"
    assert r.explanation is not None
    assert "balance" in r.explanation and "steps 2–3" in r.explanation


def test_contract_limit_is_named_before_balance() -> None:
    s = site(3, it=[40, 100, 40], contract_kw=60)
    r = solve(Problem([s]))
    assert r.status == "infeasible" and r.explanation is not None
    assert "contract" in r.explanation and "steps 1" in r.explanation
    assert "balance" not in r.explanation


def test_emission_cap_too_low_is_named() -> None:
    s = site(2, it=100, carbon=0.5)
    r = solve(Problem([s], options=Options(emission_cap_t=0.05)))
    assert r.status == "infeasible" and r.explanation is not None
    assert "emission_cap" in r.explanation


def test_bad_input_raises_value_error() -> None:
    with pytest.raises(ValueError, match="release"):
        solve(Problem([site(3, jobs=[Job("x", 2, 5, 1, 1)])]))
