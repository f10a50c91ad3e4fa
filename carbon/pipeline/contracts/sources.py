"""Render the dbt sources of the lake, ``models/staging/_lake__sources.yml``, from the contracts.

    ./run.sh python -m carbon.pipeline.contracts.sources   # rewrite models/staging/_lake__sources.yml

``carbon/domain/datasets.py`` is the single source of the landing contracts; this module turns each
dataset the ledgers read into a dbt source table: the lake columns in file order (the partition
column is not stored in the files: it comes last, from the hive path, as text), their DuckDB types
and their descriptions in English with the Chinese name. Two lake datasets are written by the
project itself, not landed, and are listed here: ``reference_ceads`` (``carbon.domain.ceads``) and
``ledger_closed_months`` (``carbon.pipeline.warehouse.months``).

``tests/ledgers/test_ceads_and_project.py`` fails when the committed file differs from the
rendered one (edit ``carbon/domain/datasets.py``, then run this module).
"""

from __future__ import annotations

import sys

import yaml

from carbon.config import REPO_ROOT
from carbon.domain.datasets import DATASETS, Dataset

SOURCES_YML = REPO_ROOT / "models" / "staging" / "_lake__sources.yml"

#: the lake datasets the dbt sources read, in file order (landing contracts, then project-written)
LAKE_SOURCES = (
    "regions",
    "enterprises",
    "electricity_consumption",
    "fuel_consumption",
    "heat_consumption",
    "industrial_activity",
    "sector_energy_balance",
    "households",
    "low_carbon_activity",
    "reference_ceads",
    "ledger_closed_months",
    "park_members",
    "park_resource_use",
    "community_energy",
    "material_purchases",
)

#: contract dtype -> DuckDB type of the lake column
DUCKDB_TYPES = {
    "string": "varchar",
    "int64": "bigint",
    "float64": "double",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}

#: datasets the project writes itself (not landing contracts): name -> (description, columns)
PROJECT_TABLES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "reference_ceads": (
        "CEADs published inventories (Mt CO2), imported by carbon.pipeline.warehouse.reference.import_reference",
        (
            ("region_code", "varchar"),
            ("year", "bigint"),
            ("sector_code", "varchar"),
            ("fuel_code", "varchar"),
            ("mt_co2", "double"),
            ("source_file", "varchar"),
            ("edition", "varchar"),
        ),
    ),
    "ledger_closed_months": (
        "Close / reopen events of each ledger month, append-only (carbon.pipeline.warehouse.months; one partition per"
        " month)",
        (
            ("seq", "bigint"),
            ("event", "varchar"),
            ("event_at", "varchar"),
            ("event_by", "varchar"),
            ("reason", "varchar"),
            ("closed_at", "varchar"),
            ("closed_by", "varchar"),
            ("month", "varchar"),
        ),
    ),
}

HEADER = (
    "# Generated from carbon/domain/datasets.py by `python -m carbon.pipeline.contracts.sources`; edit there.\n"
    "# tests/ledgers/test_ceads_and_project.py fails when this file is stale.\n"
)


def _table(ds: Dataset) -> dict:
    pk = ds.partition_key
    cols = []
    for c in ds.columns:
        if c.name == pk:  # the partition value lives in the path, not in the file
            continue
        desc = f"{c.description} ({c.name_zh})" + (f" [{c.unit}]" if c.unit else "")
        cols.append({"name": c.name, "data_type": DUCKDB_TYPES[c.dtype], "description": desc})
    cols.append(
        {
            "name": pk,
            "data_type": "varchar",
            "description": f"hive partition ({pk}=...) from the path: the data period",
        }
    )
    return {
        "name": ds.name,
        "description": f"{ds.name_zh}: {ds.grain}. Source: {ds.source}."
        f" Lake: <lake>/{ds.name}/{pk}=<value>/part-0.parquet",
        "columns": cols,
    }


def sources() -> dict:
    tables = []
    for name in LAKE_SOURCES:
        if name in DATASETS:
            tables.append(_table(DATASETS[name]))
        else:
            desc, cols = PROJECT_TABLES[name]
            tables.append(
                {
                    "name": name,
                    "description": desc,
                    "columns": [{"name": n, "data_type": t} for n, t in cols],
                }
            )
    return {
        "version": 2,
        "sources": [
            {
                "name": "lake",
                "description": "The Parquet lake under the var lake_path (hive-partitioned by data"
                " period). Read through the lake_scan macro.",
                "tables": tables,
            }
        ],
    }


def render() -> str:
    body = yaml.safe_dump(sources(), sort_keys=False, allow_unicode=True, width=120)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    SOURCES_YML.write_text(render(), encoding="utf-8")
    print(SOURCES_YML)
    return 0


if __name__ == "__main__":
    sys.exit(main())
