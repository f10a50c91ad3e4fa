"""Zero-carbon parks and communities (零碳园区 / 零碳社区, issue 14 §1): the reference data.

The park register, its energy infrastructure, the indicator thresholds and the community rules are
versioned CSV files under ``carbon/domain/data/parks/`` (dbt reads them as seeds); membership and the
resource-use figures meters cannot give land as datasets (``park_members``,
``park_resource_use``). The accounting itself is in dbt (``models/parks/``); see docs/parks.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data" / "parks"


def table(name: str) -> pd.DataFrame:
    """One reference table of ``carbon/domain/data/parks/`` as text columns."""
    return pd.read_csv(DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


@cache
def park_ids() -> frozenset[str]:
    """The park ids of the register (the ``known_code`` check of the park datasets)."""
    return frozenset(table("parks")["park_id"])
