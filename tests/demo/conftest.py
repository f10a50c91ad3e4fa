"""Shared demo-city runs (tiny scale) for the demo tests: each is generated once per session."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from carbon.demo import generate


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """The default tiny city (seed 42, 1 % defects) and how long it took."""
    import openpyxl  # noqa: F401  (imports are not part of the generation time)
    import pvlib  # noqa: F401

    home = tmp_path_factory.mktemp("demo-tiny-a")
    t0 = time.perf_counter()
    summary = generate(home, scale="tiny", seed=42, defect_rate=0.01)
    return home, summary, time.perf_counter() - t0


@pytest.fixture(scope="session")
def tiny_again(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-tiny-b")
    generate(home, scale="tiny", seed=42, defect_rate=0.01)
    return home


@pytest.fixture(scope="session")
def full_year(tmp_path_factory: pytest.TempPathFactory):
    """A clean (no defects) tiny city with monthly reports for all of 2025 and one daily day."""
    home = tmp_path_factory.mktemp("demo-year")
    summary = generate(
        home, scale="tiny", seed=7, defect_rate=0.0, start="2025-01", end="2025-12-31", daily_days=1
    )
    return home, summary
