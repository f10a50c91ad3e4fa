"""Fixtures of the dispatch tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dispatch_helpers import small_raw


@pytest.fixture
def small_scenario_file(tmp_path: Path) -> Path:
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(small_raw(), sort_keys=False), encoding="utf-8")
    return p
