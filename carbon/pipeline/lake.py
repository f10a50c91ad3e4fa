"""The Parquet lake: hive-partitioned by data period, one file per partition, atomic writes.

``write_partition`` writes ``<lake>/<dataset>/<key>=<value>/part-0.parquet`` by writing a
temporary file in the same directory and ``os.replace``-ing it over the old one. A reader sees the
old partition or the new one, never a partial file. The temporary is named
``.<name>.<uuid>.tmp``: hidden (pyarrow skips it) AND not ending in ``.parquet``, because DuckDB's
``read_parquet('<lake>/<dataset>/**/*.parquet')`` does read hidden files, and a half-written
``.tmp-…-part-0.parquet`` left by a killed process made it fail ("No magic bytes found").
``clean_stale_temporaries`` removes what a killed writer left; every ingest calls it first.
Rewriting a partition replaces it whole, so reruns are idempotent. Output is deterministic: the
same rows give the same bytes.

``write_parquet`` is the one Parquet writer of the lake's settings (zstd level 1, dictionary,
statistics, the Arrow schema stored). Ingest writes its staged partitions with it too, so that
``publish_partition_file`` can put a staged file in place as the partition (a hard link, atomic,
no copy; a copy where staging and lake are on different file systems).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from carbon.config import TZ, paths
from carbon.domain.datasets import DATASETS

PART_FILE = "part-0.parquet"
TMP_SUFFIX = ".tmp"


def is_temporary(name: str) -> bool:
    """A temporary of ``atomic_path`` (``.<name>.<uuid>.tmp``), or of its earlier scheme
    (``.tmp-<uuid>-<name>``, which DuckDB's ``**/*.parquet`` glob matched)."""
    return name.startswith(".") and (name.endswith(TMP_SUFFIX) or name.startswith(".tmp-"))


def clean_stale_temporaries(*roots: Path) -> list[Path]:
    """Remove the temporaries a killed writer left under ``roots`` (each searched recursively);
    return them. Call it only where no writer of those trees runs (the start of an ingest of the
    dataset, or of one partition's rebuild)."""
    removed = []
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                if is_temporary(f):
                    p = Path(dirpath) / f
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
                        removed.append(p)
    return sorted(removed)


_ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz=TZ),
}


def arrow_schema(dataset: str, drop: Iterable[str] = ()) -> pa.Schema:
    """Arrow schema of a contract dataset (the partition column is kept unless dropped)."""
    spec = DATASETS[dataset]
    dropped = set(drop)
    return pa.schema(
        [
            pa.field(c.name, _ARROW_TYPES[c.dtype], nullable=c.nullable)
            for c in spec.columns
            if c.name not in dropped
        ]
    )


# lake columns beyond the contract: ingest converts quantities to the reporting unit of the fuel /
# product / behaviour and keeps what the sender reported next to it
EXTRA_COLUMNS: dict[str, tuple[pa.Field, ...]] = {
    ds: (
        pa.field("quantity_as_reported", pa.float64(), nullable=True),
        pa.field("unit_as_reported", pa.string(), nullable=True),
    )
    for ds in (
        "fuel_consumption",
        "industrial_activity",
        "sector_energy_balance",
        "low_carbon_activity",
        "material_purchases",
    )
}


def lake_schema(dataset: str, key: str | None = None) -> pa.Schema:
    """Schema of a lake partition file: contract columns less the partition column, plus extras."""
    spec = DATASETS[dataset]
    key = key or spec.partition_key
    drop = {key} | ({spec.partition_source} if spec.partition_source == key else set())
    base = arrow_schema(dataset, drop=drop)
    for f in EXTRA_COLUMNS.get(dataset, ()):
        base = base.append(f)
    return base


def lake_root(home: str | Path | None = None) -> Path:
    return paths(home).lake


def partition_dir(dataset: str, key: str, value: str, home: str | Path | None = None) -> Path:
    return lake_root(home) / dataset / f"{key}={value}"


def _to_table(data: pd.DataFrame | pa.Table, schema: pa.Schema | None) -> pa.Table:
    if isinstance(data, pd.DataFrame):
        table = pa.Table.from_pandas(data, schema=schema, preserve_index=False)
    else:
        table = data.select(schema.names).cast(schema) if schema is not None else data
    # no pandas metadata: the file is the contract, not the DataFrame that made it
    return table.replace_schema_metadata(None)


def write_partition(
    dataset: str,
    key: str,
    value: str,
    data: pd.DataFrame | pa.Table,
    *,
    schema: pa.Schema | None = None,
    home: str | Path | None = None,
    _fail_after_bytes: int | None = None,
) -> Path:
    """Atomically write (or overwrite) one partition and return its file path.

    ``schema`` defaults to the contract schema less the partition column. Rows are written in the
    order given; callers sort them for deterministic bytes.
    """
    if schema is None and dataset in DATASETS:
        schema = lake_schema(dataset, key)
    table = _to_table(data, schema)
    target = partition_dir(dataset, key, value, home) / PART_FILE
    write_parquet(target, table, _fail_after_bytes=_fail_after_bytes)
    return target


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_path(target: Path, *, fsync: bool = False) -> Iterator[Path]:
    """A temporary path beside ``target`` (same file system) to write: ``.<name>.<uuid>.tmp``, a
    dot-file whose suffix no reader's glob (``*.parquet``, ``*.json``) matches. When the block
    succeeds it is renamed over ``target`` (after an fsync if asked): readers see the old file or
    the new one, never a partial one. When the block fails it is removed; when the process is
    killed it stays until ``clean_stale_temporaries``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}{TMP_SUFFIX}")
    try:
        yield tmp
        if fsync:
            _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_parquet(target: Path, table: pa.Table, *, _fail_after_bytes: int | None = None) -> Path:
    """Atomically write ``table`` to ``target`` with the lake's Parquet settings (fsync'd)."""
    with atomic_path(target, fsync=True) as tmp, pa.OSFile(str(tmp), "wb") as sink:
        if _fail_after_bytes is not None:  # test hook: simulate a crash mid-write
            sink.write(b"PAR1" + b"\0" * _fail_after_bytes)
            raise OSError(f"injected failure while writing {target}")
        pq.write_table(
            table.replace_schema_metadata(None),
            sink,
            compression="zstd",
            compression_level=1,  # as small as the default level 3 on our data, 30 % faster
            use_dictionary=True,
            write_statistics=True,
            store_schema=True,
        )
    return target


def publish_partition_file(
    dataset: str, key: str, value: str, source: Path, home: str | Path | None = None
) -> Path:
    """Put a finished file (written by ``write_parquet`` in the lake schema) in place as the
    partition: hard-linked (or copied) to a hidden name, then renamed over the old partition."""
    target = partition_dir(dataset, key, value, home) / PART_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and os.path.samefile(source, target):
        return target  # already published (a retried task); renaming a link onto itself is a no-op
    with atomic_path(target) as tmp:
        try:
            os.link(source, tmp)  # the source was fsync'd when written
        except OSError:  # another file system, or links not allowed: copy
            shutil.copyfile(source, tmp)
            _fsync(tmp)
    return target


def drop_partition(dataset: str, key: str, value: str, home: str | Path | None = None) -> bool:
    """Remove a partition (one unlink: readers see it whole or not at all). True if it existed."""
    folder = partition_dir(dataset, key, value, home)
    target = folder / PART_FILE
    existed = target.exists()
    target.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty
    return existed


def list_partitions(dataset: str, home: str | Path | None = None) -> list[Path]:
    root = lake_root(home) / dataset
    if not root.exists():
        return []
    return sorted(p for p in root.glob(f"*=*/{PART_FILE}"))


def glob_pattern(dataset: str, home: str | Path | None = None) -> str:
    """Glob for DuckDB / dbt sources: ``<lake>/<dataset>/*/part-0.parquet``."""
    return str(lake_root(home) / dataset / "*" / PART_FILE)


def read_dataset(dataset: str, home: str | Path | None = None) -> pd.DataFrame:
    """Read a whole dataset with DuckDB (hive partition column included, as text)."""
    import duckdb

    files = list_partitions(dataset, home)
    if not files:
        return pd.DataFrame()
    con = duckdb.connect()
    try:
        return con.execute(
            "select * from read_parquet(?, hive_partitioning=true, hive_types_autocast=false)",
            [glob_pattern(dataset, home)],
        ).df()
    finally:
        con.close()
