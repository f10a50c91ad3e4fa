"""Project-wide test set-up: every test session gets its own data home, never ./data."""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_carbon_home():
    """Point CARBON_HOME at a throw-away folder unless a test sets its own."""
    with tempfile.TemporaryDirectory(prefix="carbon-test-home-") as d:
        old = os.environ.get("CARBON_HOME")
        os.environ["CARBON_HOME"] = d
        os.environ.setdefault("CARBON_PSEUDONYM_SECRET", "test-secret-not-for-production")
        yield d
        if old is None:
            os.environ.pop("CARBON_HOME", None)
        else:
            os.environ["CARBON_HOME"] = old
