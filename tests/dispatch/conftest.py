"""Fixtures of the dispatch tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the repository root, for ``benchmarks.pypsa_compare`` (dev-only: imports pypsa; not in the wheel)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dispatch_helpers import small_raw


@pytest.fixture
def small_scenario_file(tmp_path: Path) -> Path:
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(small_raw(), sort_keys=False), encoding="utf-8")
    return p
