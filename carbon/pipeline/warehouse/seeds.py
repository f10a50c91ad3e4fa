"""The dbt seeds derived from the Python single sources (fuels, products, CEADs sectors, unit
conversions): :func:`write_seeds` regenerates ``seeds/*.csv``; a test fails when they are stale.

Run ``./run.sh python -c "from carbon.pipeline.warehouse.seeds import write_seeds; write_seeds()"``
after changing ``carbon.domain.units``, ``carbon.domain.ceads`` or ``carbon.domain.factors``.
"""

from __future__ import annotations

from pathlib import Path

from carbon.config import REPO_ROOT

SEEDS_DIR = REPO_ROOT / "seeds"


def generated_seeds() -> dict[str, object]:
    """Seeds derived from the Python single sources of truth (carbon.domain.units, carbon.domain.ceads,
    carbon.domain.factors): file name -> DataFrame. ``write_seeds`` refreshes them; a test keeps the
    checked-in copies in sync."""
    import pandas as pd

    from carbon.domain import ceads
    from carbon.domain.factors import unit_conversions
    from carbon.domain.units import FUELS, PRODUCTS

    return {
        "ref_fuels.csv": pd.DataFrame(
            [(f.code, f.name_zh, f.unit, f.ceads_column) for f in FUELS.values()],
            columns=["fuel_code", "name_zh", "unit", "ceads_column"],
        ),
        "ref_products.csv": pd.DataFrame(
            [(p.code, p.name_zh, p.unit, p.process_factor_id or "") for p in PRODUCTS.values()],
            columns=["product_code", "name_zh", "unit", "process_factor_id"],
        ),
        "ceads_sectors.csv": pd.DataFrame(
            list(ceads.SECTORS.items()), columns=["sector_code", "sector_name"]
        ),
        "ceads_industry_sectors.csv": pd.DataFrame(
            sorted(ceads.industry_sector_map().items()), columns=["industry_code", "sector_code"]
        ),
        "unit_conversions.csv": unit_conversions(),
    }


def seed_text(df) -> str:
    return df.to_csv(index=False, lineterminator="\n")


def write_seeds(seeds_dir: Path = SEEDS_DIR) -> list[Path]:
    out = []
    for name, df in generated_seeds().items():
        path = seeds_dir / name
        path.write_text(seed_text(df), encoding="utf-8")
        out.append(path)
    return out
