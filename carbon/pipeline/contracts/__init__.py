"""Data contracts: one pandera schema per dataset of ``carbon.domain.datasets.DATASETS``.

``schema(dataset, file_period=None, today=None)`` returns the ``pandera.DataFrameSchema`` for a
landing file; its checks are named after ``CHECK_NAMES`` (the quarantine reasons).
"""

from __future__ import annotations

from carbon.pipeline.contracts.rules import (
    ACCOUNT_TYPES,
    BEHAVIOURS,
    CEADS_SECTORS,
    CHECK_NAMES,
    RANGES,
    sector_codes,
)


def schema(dataset: str, file_period: str | None = None, today=None):
    """The pandera schema of ``dataset`` (see ``carbon.pipeline.contracts.schemas.build_schema``)."""
    from carbon.pipeline.contracts.schemas import build_schema

    return build_schema(dataset, file_period=file_period, today=today)


__all__ = [
    "ACCOUNT_TYPES",
    "BEHAVIOURS",
    "CEADS_SECTORS",
    "CHECK_NAMES",
    "RANGES",
    "schema",
    "sector_codes",
]
