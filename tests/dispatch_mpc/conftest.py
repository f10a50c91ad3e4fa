"""Fixtures of the intraday re-planning (MPC) and virtual capacity curve tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mpc_helpers import quarter_hour_raw


@pytest.fixture
def problem(tmp_path):
    from optimizers.scenario import build_problem, parse_scenario

    return build_problem(parse_scenario(yaml.safe_dump(quarter_hour_raw())), home=tmp_path)
