"""Reference inventories in the lake: the CEADs figures dbt compares the government account with.

``import_reference(home)`` writes ``<lake>/reference_ceads/edition=2019/part-0.parquet`` (atomic)
from the xlsx files ``carbon.domain.ceads.load_reference`` reads, when they are newer than it.
"""

from __future__ import annotations

from pathlib import Path

from carbon.config import paths
from carbon.domain.ceads import CITY_FILE, PROVINCE_FILE, load_reference, reference_dir


def import_reference(home: str | Path | None = None) -> bool:
    """Import the CEADs figures into the lake if the reference folder is there."""
    ref = reference_dir()
    if not (ref / CITY_FILE).exists():
        return False
    out = reference_path(home)
    sources = [ref / CITY_FILE, ref / PROVINCE_FILE]
    if out.exists() and all(out.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return True  # already imported from these files
    write_ceads(home, ref)
    return True


def reference_path(home: str | Path | None = None) -> Path:
    return paths(home).lake / "reference_ceads" / "edition=2019" / "part-0.parquet"


def write_ceads(home: str | Path | None = None, ref_dir: Path | None = None) -> Path:
    """Write the CEADs figures to the lake (``reference_ceads/edition=2019``, atomic); return the path."""
    import pyarrow as pa

    from carbon.pipeline.lake import write_partition

    df = load_reference(ref_dir)
    schema = pa.schema(
        [
            pa.field("region_code", pa.string(), nullable=False),
            pa.field("year", pa.int64(), nullable=False),
            pa.field("sector_code", pa.string(), nullable=False),
            pa.field("fuel_code", pa.string(), nullable=False),
            pa.field("mt_co2", pa.float64(), nullable=False),
            pa.field("source_file", pa.string(), nullable=False),
        ]
    )
    # one partition "edition=2019" keeps the lake layout (<dataset>/<key>=<value>/part-0.parquet)
    return write_partition("reference_ceads", "edition", "2019", df, schema=schema, home=home)
