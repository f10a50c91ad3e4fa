"""Ingest of one dataset: landing files -> staged results -> lake partitions, quarantine, load reports.

Steps (each one an Airflow task in ``carbon.orchestration.ingest_dags``; ``ingest_dataset`` runs them in
order without Airflow for tests and benchmarks):

1. ``stage_file``: read one landing file as text, parse, pseudonymise the raw IDs (before anything
   is written), validate against the pandera contract, split good and bad rows, convert quantities
   to the reporting unit, and stage both under ``<home>/staging/<dataset>/<file>/``: the good rows
   of each partition the file feeds as a finished lake file (``good-<value>.parquet``, the lake's
   schema and writer), the bad rows as ``bad.arrow``. A file that breaks the contract is rejected
   whole (``RejectedFile``): a reason file goes to ``quarantine/<dataset>/_rejected/``, its load
   report says why, and the error is re-raised.
2. ``plan_partitions``: the partition values fed by the staged files.
3. ``write_partition_value``: rebuild one lake partition from ALL staged files that feed it (a key
   seen in an earlier file wins; later copies are quarantined as ``unique_key``), rows in delivery
   order (file name, then row: deterministic without a sort), written atomically; the
   partition's quarantine file is rebuilt the same way. A partition fed by one file (the usual
   case: one meter file a day) is that file's staged part, put in place by a hard link. A
   partition whose files now hold no good row of it (a resent file whose rows all fail) is
   removed, so the lake never keeps rows that the current files do not deliver.
4. ``finalize``: one JSON load report per landing file, and a dataset summary.

Speed (``benchmarks/ingest.py``, ``docs/ingest.md``): the landing file's sha256 is computed on a
second thread while the file is read, and the good rows are written optimistically, on that
thread, while the contract runs: a file with no failing row (most of them) is staged when its
checks end. If a row fails, that write is thrown away and the good rows are written again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from carbon.config import DEMO_SECRET, TZ, paths, pseudonym_secret
from carbon.domain import codes
from carbon.domain.datasets import DATASETS
from carbon.pipeline.contracts import schemas
from carbon.pipeline.contracts.rules import USCC_ACCOUNT_TYPES
from carbon.pipeline.ingest import pseudonym, redact
from carbon.pipeline.ingest.parse import parse_table
from carbon.pipeline.ingest.readers import RejectedFile, landing_files, read_landing_checked
from carbon.pipeline.ingest.validate import failures as find_failures
from carbon.pipeline.lake import (
    EXTRA_COLUMNS,
    atomic_path,
    clean_stale_temporaries,
    drop_partition,
    lake_schema,
    partition_dir,
    publish_partition_file,
    write_parquet,
    write_partition,
)

QUARANTINE_FILE = "quarantine.parquet"
UNKNOWN_PARTITION = "unknown"


# ---------------------------------------------------------------- locations


def staging_dir(dataset: str, home: str | Path | None = None) -> Path:
    return paths(home).home / "staging" / dataset


def report_path(dataset: str, file_name: str, home: str | Path | None = None) -> Path:
    return paths(home).reports / dataset / f"{file_name}.json"


def quarantine_path(dataset: str, value: str, home: str | Path | None = None) -> Path:
    key = DATASETS[dataset].partition_key
    return paths(home).quarantine / dataset / f"{key}={value}" / QUARANTINE_FILE


def list_landing(
    dataset: str, home: str | Path | None = None, period: str | None = None
) -> list[str]:
    """Landing file names of a dataset, optionally only those whose stated period overlaps ``period``."""
    names = [p.name for p in landing_files(paths(home).landing / dataset)]
    if period:
        names = [
            n
            for n in names
            if (fp := schemas.file_period(n)) is None
            or fp.startswith(period)
            or period.startswith(fp)
        ]
    return names


def clean_temporaries(dataset: str, home: str | Path | None = None) -> list[Path]:
    """Remove the temporaries a killed run left in this dataset's lake, quarantine, reports and
    staging trees (the first step of every ingest of the dataset: no writer of them runs yet)."""
    p = paths(home)
    return clean_stale_temporaries(
        p.lake / dataset, p.quarantine / dataset, p.reports / dataset, staging_dir(dataset, home)
    )


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def _atomic_write_table(target: Path, table: pa.Table, compression: str = "zstd") -> None:
    with atomic_path(target) as tmp:
        pq.write_table(table.replace_schema_metadata(None), tmp, compression=compression)


def _atomic_write_ipc(target: Path, table: pa.Table) -> None:
    with (
        atomic_path(target) as tmp,
        pa.OSFile(str(tmp), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table.replace_schema_metadata(None))


def staged_dir(dataset: str, file_name: str, home: str | Path | None = None) -> Path:
    """What one landing file staged (cleared each time the file is staged again):

    * ``good-<value>.parquet``: its good rows of partition ``<value>``, a finished lake file;
    * ``rows-<value>.arrow``: their row numbers in the landing file, unless they are rows
      1, 2, ... n (every row of the file), which is the common case;
    * ``bad.arrow``: its quarantine records (uncompressed Arrow IPC, memory-mapped when read).
    """
    return staging_dir(dataset, home) / file_name


def staged_good_path(
    dataset: str, file_name: str, value: str, home: str | Path | None = None
) -> Path:
    return staged_dir(dataset, file_name, home) / f"good-{value}.parquet"


def staged_rows_path(
    dataset: str, file_name: str, value: str, home: str | Path | None = None
) -> Path:
    return staged_dir(dataset, file_name, home) / f"rows-{value}.arrow"


def staged_bad_path(dataset: str, file_name: str, home: str | Path | None = None) -> Path:
    return staged_dir(dataset, file_name, home) / "bad.arrow"


def _clear_staged(dataset: str, file_name: str, home: str | Path | None) -> Path:
    """Remove what an earlier run staged for this file (this layout and the earlier flat ones)."""
    d = staged_dir(dataset, file_name, home)
    if d.is_dir():
        shutil.rmtree(d)
    for old in ("good.arrow", "bad.arrow", "good.parquet", "bad.parquet"):
        (staging_dir(dataset, home) / f"{file_name}.{old}").unlink(missing_ok=True)
    d.mkdir(parents=True)
    return d


def write_json(target: Path, obj: dict) -> None:
    _atomic_write_bytes(
        target, (json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
    )


# ---------------------------------------------------------------- pure steps


def pseudonymise_frame(
    dataset: str, frame: pd.DataFrame, secret: bytes | None = None
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Hash the raw ID columns of a parsed frame in place of the raw values (names unchanged).

    electricity_consumption: account_id is hashed on every row that is not an enterprise, public
    or data-centre account (households, and any row whose type is unknown: never leak a 户号).
    """
    spec = DATASETS[dataset]
    out = frame.copy(deep=False)  # the raw columns are replaced, the others shared
    hashed: dict[str, pd.Series] = {}
    for raw in spec.pseudonymise:
        arr = schemas._arrow(out[raw]).cast(pa.string())
        if dataset == "electricity_consumption":
            types = schemas._arrow(out["account_type"])
            is_org = pc.fill_null(pc.is_in(types, pa.array(sorted(USCC_ACCOUNT_TYPES))), False)
            org = np.asarray(is_org.to_numpy(zero_copy_only=False), dtype=bool)
            org_rows = np.flatnonzero(org)
            hash_rows = ~org
            if len(org_rows):
                # a USCC is normalised (upper case; the parse trimmed it). An organisation row
                # whose id is not a valid USCC even then is hashed like a household's: it may
                # be a 户号 or a phone number sent under the wrong account type. Only the
                # organisation rows are touched (a few thousand of 2.5 M meter rows).
                arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
                ids = arr.take(pa.array(org_rows))
                upper = pc.utf8_upper(ids)
                if not pc.all(pc.fill_null(pc.equal(upper, ids), True)).as_py():
                    arr = pc.replace_with_mask(arr, pa.array(org), upper)
                hash_rows[org_rows[~codes.valid_uscc_mask(upper)]] = True
            mask = pa.array(hash_rows)
            if pc.all(mask).as_py():
                new = pseudonym.pseudonymise_arrow(arr, secret)
            elif pc.any(mask).as_py():  # hashing the few USCC rows too is cheaper than a filter
                new = pc.if_else(mask, pseudonym.pseudonymise_arrow(arr, secret), arr)
            else:
                new = arr
        else:
            new = pseudonym.pseudonymise_arrow(arr, secret)
        out[raw] = pd.Series(new.to_pandas(), index=out.index, dtype="str")
        hashed[raw] = out[raw]
    return out, hashed


def _pseudonym_inputs(dataset: str) -> list[str]:
    """The parsed-frame columns ``pseudonymise_frame`` reads: the raw IDs (and, for meter data,
    the account type that says which rows are households)."""
    raw = list(DATASETS[dataset].pseudonymise)
    return (["account_type"] if dataset == "electricity_consumption" else []) + raw


def _replace_text(text: pa.Table, hashed: dict[str, pd.Series]) -> pa.Table:
    for raw, s in hashed.items():
        arr = pc.fill_null(pa.array(s, from_pandas=True).cast(pa.string()), "")
        text = text.set_column(text.column_names.index(raw), raw, arr)
    return text


def partition_values(dataset: str, frame: pd.DataFrame) -> pa.DictionaryArray:
    """Partition value of each row (``date=YYYY-MM-DD``, ``month=YYYY-MM``, ``year=YYYY``), as a
    dictionary array: one label per distinct period, null where the row's period is unreadable."""
    spec = DATASETS[dataset]
    s = frame[spec.partition_source]
    col = spec.column(spec.partition_source)
    if col.dtype == "timestamp":
        s = s.dt.tz_convert(TZ).dt.tz_localize(None).dt.floor("D")
    if col.dtype in ("timestamp", "date"):
        arr = pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"))
    else:
        arr = schemas._arrow(s)
    enc = arr.dictionary_encode()  # nulls stay null indices
    uniq = enc.dictionary.to_pylist()
    if col.dtype in ("timestamp", "date"):
        labels = [u.strftime("%Y-%m-%d") for u in uniq]
    elif col.dtype == "int64":
        labels = [str(int(u)) for u in uniq]
    else:
        labels = [str(u) for u in uniq]
    if spec.partition_key == "month":
        labels = [v[:7] for v in labels]
    return pa.DictionaryArray.from_arrays(enc.indices, pa.array(labels, type=pa.string()))


def file_partition(dataset: str, file_name: str) -> str | None:
    """The partition a file's name points to (for rows whose own period cannot be read)."""
    fp = schemas.file_period(file_name)
    n = {"date": 10, "month": 7, "year": 4}[DATASETS[dataset].partition_key]
    return fp[:n] if fp and len(fp) >= n else None


def convert_units(dataset: str, good: pd.DataFrame) -> pd.DataFrame:
    """Quantities in the reporting unit of their fuel / product / behaviour; originals kept."""
    if dataset not in EXTRA_COLUMNS:
        return good
    code_col = schemas._UNIT_CODE[dataset]
    out = good.copy()
    fac = schemas.unit_factors(dataset, out[code_col], out["unit"])
    out["quantity_as_reported"] = out["quantity"]
    out["unit_as_reported"] = out["unit"]
    out["quantity"] = out["quantity"] * fac.to_numpy()
    pair = out[code_col].astype(str) + "\x1f" + out["unit_as_reported"].astype(str)
    codes, uniq = pd.factorize(pair)
    target = np.array(
        [schemas.stored_unit(dataset, *p.split("\x1f", 1)) for p in uniq], dtype=object
    )
    out["unit"] = pd.Series(target[codes] if len(target) else [], index=out.index, dtype="str")
    return out


def to_lake_table(dataset: str, frame: pd.DataFrame) -> pa.Table:
    """Typed frame (contract names) -> Arrow table in the lake schema. Arrow-backed string
    columns pass through without a copy."""
    schema = lake_schema(dataset)
    arrays = []
    for f in schema:
        s = frame[f.name]
        if pa.types.is_date32(f.type):
            arr = pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s")).cast(
                pa.date32()
            )
        elif pa.types.is_timestamp(f.type):
            arr = pa.array(s, type=pa.timestamp("us", tz=TZ))
        elif pa.types.is_string(f.type):
            arr = pa.array(s, from_pandas=True).cast(pa.string())  # chunks as read: no copy
        else:
            arr = pa.array(s, type=f.type, from_pandas=True)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema)


def quarantine_table(
    dataset: str, text: pa.Table, fails: pd.DataFrame, source_file: str, part: pa.Array | str
) -> pa.Table:
    """One row per failure: where, why, and the row's original values as text (IDs hashed)."""
    spec = DATASETS[dataset]
    rows = fails["row"].to_numpy(dtype=np.int64)
    idx = pa.array(rows)
    cols = {
        "__partition": (
            pa.repeat(pa.scalar(part, pa.string()), len(rows))
            if isinstance(part, str)
            else part.take(idx)
        ),
        "source_file": pa.array([source_file] * len(rows), type=pa.string()),
        "row_number": pa.array(rows + 1, type=pa.int64()),
        "check": pa.array(fails["check"].astype(object).to_numpy(), type=pa.string()),
        "column": pa.array(_contract_names(dataset, fails["column"]), type=pa.string()),
        "failure_value": pa.array(
            fails["failure_value"].astype(object).to_numpy(), type=pa.string()
        ),
    }
    ids = set(spec.pseudonymise)
    for raw, col in zip(schemas.validated_columns(spec), spec.column_names, strict=True):
        cells = text[raw].take(idx)
        if raw not in ids:  # ID columns hold the pseudonym; any other may hold a phone number
            cells = redact.mask_patterns_arrow(cells.combine_chunks())[0]
        cols[col] = cells
    return pa.table(cols)


def free_text_columns(dataset: str) -> list[str]:
    """Text columns that no code check guards (names, community / record / site ids): a mobile
    or ID-card number there would reach the lake, so ``mask_free_text`` masks it."""
    spec = DATASETS[dataset]
    guarded = (
        set(schemas._KNOWN)
        | schemas._REGION_COLUMNS
        | schemas._USCC_COLUMNS
        | schemas.MONTH_COLUMNS
        | {"unit", "account_id"}
        | set(spec.pseudonymise.values())
    )
    return [c.name for c in spec.columns if c.dtype == "string" and c.name not in guarded]


def mask_free_text(dataset: str, text: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    """``text`` with mobile- and ID-card-shaped numbers masked in its free-text columns (the
    row is kept: the number is not what the row is about); the number of cells masked per
    column, for the load report. Code columns need no masking here: such a value fails their
    check, and the quarantine record masks it."""
    counts: dict[str, int] = {}
    for col in free_text_columns(dataset):
        if col not in text.column_names:
            continue
        arr, n = redact.mask_patterns_arrow(text[col].combine_chunks())
        if n:
            text = text.set_column(text.column_names.index(col), col, arr)
            counts[col] = n
    return text, counts


def _contract_names(dataset: str, cols: pd.Series) -> list[str]:
    m = schemas.raw_to_contract(DATASETS[dataset])
    return [",".join(m.get(c, c) for c in str(v).split(",")) for v in cols]


# ---------------------------------------------------------------- staging (one file)


class _PhaseClock:
    """Adds the seconds since the previous tick to ``timings[phase]`` (no-op without a dict)."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.last = time.perf_counter()

    def tick(self, phase: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
            self.last = now


def stage_file(
    dataset: str,
    file_name: str,
    home: str | Path | None = None,
    *,
    today: dt.date | None = None,
    secret: bytes | None = None,
    timings: dict[str, float] | None = None,
) -> dict:
    """Validate one landing file and stage its good and bad rows. Raises ``RejectedFile``.

    ``timings``, if given, receives the seconds of each phase (read, parse, pseudonymise,
    contract, stage) for benchmarks."""
    clock = _PhaseClock(timings)
    path = paths(home).landing / dataset / file_name
    with ThreadPoolExecutor(2, thread_name_prefix="stage") as helper:
        sha = helper.submit(sha256_file, path)
        staged = _clear_staged(dataset, file_name, home)
        try:
            text, read_fails = read_landing_checked(dataset, path)
        except RejectedFile as exc:
            reject(dataset, path, exc, sha.result(), home)
            # without the reader's own error chained: its message may quote the file's text
            raise RejectedFile(exc.file, exc.reason, exc.columns) from None
        clock.tick("read")
        text, masked = mask_free_text(dataset, text)
        fperiod = schemas.file_period(file_name)
        # the raw ID columns first, hashed on the helper thread while the others are parsed (the
        # helper owns id_frame until it returns; the secret, and its warning, stay on this thread)
        ids = _pseudonym_inputs(dataset)
        id_frame, id_fails = parse_table(dataset, text, ids)
        if secret is None and DATASETS[dataset].pseudonymise:
            secret = pseudonym_secret(warn=False)  # said once per dataset by ``finalize``
        raw_ids = {raw: text[raw] for raw in DATASETS[dataset].pseudonymise}
        hashing = helper.submit(pseudonymise_frame, dataset, id_frame, secret)
        names = schemas.validated_columns(DATASETS[dataset])
        frame, parse_fails = parse_table(dataset, text, [c for c in names if c not in ids])
        clock.tick("parse")
        id_frame, hashed = hashing.result()
        frame = pd.concat([frame, id_frame], axis=1)[names]
        parse_fails = pd.concat([id_fails, parse_fails], ignore_index=True)
        text = _replace_text(text, hashed)  # from here on no raw ID exists in memory we write from
        clock.tick("pseudonymise")

        spec = DATASETS[dataset]
        lake_frame = frame.rename(columns=schemas.raw_to_contract(spec))
        part = partition_values(dataset, lake_frame)
        # optimistic: every row is written as the staged part while the contract runs (when no
        # cell failed to parse and the rows share one partition); redone below if a row fails.
        # The helper gets an Arrow table (immutable), never a pandas object the contract reads.
        hoped: Future | None = None
        if (
            not len(parse_fails)
            and not len(read_fails)
            and part.null_count == 0
            and len(part.dictionary) == 1
        ):
            all_rows = to_lake_table(dataset, convert_units(dataset, lake_frame))
            if not any(  # a null where the lake allows none: that row will fail anyway
                all_rows.column(f.name).null_count for f in all_rows.schema if not f.nullable
            ):
                target = staged_good_path(dataset, file_name, part.dictionary[0].as_py(), home)
                hoped = helper.submit(write_parquet, target, all_rows)
        fails = find_failures(
            dataset,
            frame,
            text,
            parse_fails,
            fperiod,
            today,
            raw_ids,
            city_code=paths(home).city_code,
        )
        del raw_ids  # the raw IDs were needed only to quote failing ones masked
        if len(read_fails):  # a row the reader could not split: that is its one failure
            fails = fails[~fails["row"].isin(read_fails["row"])]
            fails = (
                pd.concat([fails, read_fails], ignore_index=True)
                .sort_values(["row", "check", "column"], kind="stable")
                .reset_index(drop=True)
            )
        clock.tick("contract")

        bad_rows = np.zeros(len(frame), dtype=bool)
        bad_rows[fails["row"].to_numpy(dtype=np.int64)] = True
        # quarantine partition: the file's stated period, else the row's own, else "unknown"
        fpart = file_partition(dataset, file_name)
        if fpart:
            qpart: pa.Array | str = fpart
        else:
            qpart = pc.fill_null(part.cast(pa.string()), UNKNOWN_PARTITION)
        bad = quarantine_table(dataset, text, fails, file_name, qpart)

        if hoped is not None:
            hoped.result()  # written (or raises); never two writers of one file
        if hoped is not None and not len(fails):
            parts_good = [part.dictionary[0].as_py()]
        else:
            if hoped is not None:
                staged_good_path(dataset, file_name, part.dictionary[0].as_py(), home).unlink()
            parts_good = _stage_good(dataset, file_name, lake_frame, part, ~bad_rows, home)
        _atomic_write_ipc(staged / "bad.arrow", bad)
        clock.tick("stage")
        digest = sha.result()

    by_check = fails.groupby("check").size().astype(int).to_dict() if len(fails) else {}
    parts_bad = sorted(str(v) for v in pc.unique(bad["__partition"]).to_pylist() if v is not None)
    return {
        "dataset": dataset,
        "file": file_name,
        "sha256": digest,
        "delivered_ns": path.stat().st_mtime_ns,  # the delivery order (``delivery_rank``)
        "file_period": fperiod,
        "status": "staged",
        "rows_in": len(frame),
        "rows_ok": int((~bad_rows).sum()),
        "rows_quarantined": int(bad_rows.sum()),
        "failures_by_check": {k: int(v) for k, v in sorted(by_check.items())},
        "partitions": parts_good,
        "quarantine_partitions": parts_bad,
        "identifiers_masked": masked,
        **(
            {"demo_pseudonym_secret": secret == DEMO_SECRET.encode("utf-8")}
            if DATASETS[dataset].pseudonymise
            else {}
        ),
    }


def _stage_good(
    dataset: str,
    file_name: str,
    frame: pd.DataFrame,
    part: pa.DictionaryArray,
    keep: np.ndarray,
    home: str | Path | None,
) -> list[str]:
    """Stage the kept rows: one lake file per partition value, plus their row numbers unless
    they are rows 1..n. Returns the values staged, sorted."""
    everything = bool(keep.all())
    good = convert_units(dataset, frame if everything else frame.loc[keep])
    table = to_lake_table(dataset, good)
    rows = np.flatnonzero(keep) + 1
    codes = part.indices.to_numpy(zero_copy_only=False)
    if not everything:
        codes = codes[keep]
    staged = []
    for code in np.unique(codes):
        value = part.dictionary[int(code)].as_py()
        sel = codes == code
        whole = bool(sel.all())
        write_parquet(
            staged_good_path(dataset, file_name, value, home),
            table if whole else table.filter(pa.array(sel)),
        )
        mine = rows if whole else rows[sel]
        if not np.array_equal(mine, np.arange(1, len(mine) + 1)):
            _atomic_write_ipc(
                staged_rows_path(dataset, file_name, value, home),
                pa.table({"__row_number": pa.array(mine, type=pa.int64())}),
            )
        staged.append(value)
    return sorted(staged)


def reject(dataset: str, path: Path, exc: RejectedFile, sha: str, home: str | Path | None) -> dict:
    """Record a whole-file rejection: reason file (+ the file itself unless it holds raw IDs)."""
    target = paths(home).quarantine / dataset / "_rejected"
    target.mkdir(parents=True, exist_ok=True)
    # a file with raw IDs stays in landing only: a personal dataset's, a compressed container
    # (XLSX, Parquet, zip) whose content cannot be scanned, and any whose bytes show a mobile or
    # ID-card number
    head = path.read_bytes() if path.exists() else b""
    holds_raw_ids = (
        bool(DATASETS[dataset].pseudonymise)
        or head.startswith((b"PK\x03\x04", b"PAR1", b"\x1f\x8b"))
        or redact.bytes_have_pattern(head)
    )
    if not holds_raw_ids:
        shutil.copy2(path, target / path.name)
    reason = {
        "file": path.name,
        "sha256": sha,
        "reason": exc.reason,
        "columns": exc.columns,
        "copied": not holds_raw_ids,
        "rejected_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
    }
    _atomic_write_bytes(
        target / f"{path.name}.reason.txt",
        (f"{exc}\n\n" + json.dumps(reason, indent=2, ensure_ascii=False) + "\n").encode(),
    )
    report = {
        "dataset": dataset,
        "file": path.name,
        "sha256": sha,
        "status": "rejected",
        "reason": exc.reason,
        "columns": exc.columns,
        "rows_in": 0,
        "rows_ok": 0,
        "rows_quarantined": 0,
        "failures_by_check": {},
        "partitions": [],
    }
    write_json(report_path(dataset, path.name, home), report)
    return report


# ---------------------------------------------------------------- partitions


def plan_partitions(results: Iterable[dict], period: str | None = None) -> list[str]:
    values: set[str] = set()
    for r in results:
        if r and r.get("status") == "staged":
            values.update(r["partitions"])
            values.update(r["quarantine_partitions"])
    if period:
        values = {v for v in values if v.startswith(period) or period.startswith(v)}
    return sorted(values)


def _read_staged(path: Path, value: str) -> pa.Table | None:
    """The rows of a staged quarantine file that belong to partition ``value``."""
    if not path.exists():
        return None
    with pa.memory_map(str(path)) as source:
        t = pa.ipc.open_file(source).read_all()
    parts = pc.unique(t["__partition"])
    if len(parts) != 1 or parts[0].as_py() != value:  # a file feeding several partitions
        t = t.filter(pc.equal(t["__partition"], value))
    return t if t.num_rows else None


def _staged_good(dataset: str, file_name: str, value: str, home: str | Path | None) -> pa.Table:
    """A staged part with where its rows came from (``__partition``, ``__source_file``,
    ``__row_number``), for a partition of several files."""
    t = pq.read_table(staged_good_path(dataset, file_name, value, home))
    rows_file = staged_rows_path(dataset, file_name, value, home)
    if rows_file.exists():
        with pa.memory_map(str(rows_file)) as source:
            rows = pa.ipc.open_file(source).read_all()["__row_number"]
    else:
        rows = pa.array(np.arange(1, t.num_rows + 1), type=pa.int64())
    n = t.num_rows
    return (
        t.append_column("__partition", pa.repeat(pa.scalar(value, pa.string()), n))
        .append_column("__source_file", pa.repeat(pa.scalar(file_name, pa.string()), n))
        .append_column("__row_number", rows)
    )


def write_partition_value(
    dataset: str, value: str, results: Iterable[dict], home: str | Path | None = None
) -> dict:
    """Rebuild one lake partition and its quarantine file from every staged file that feeds it."""
    spec = DATASETS[dataset]
    # a retried task after a kill: this task is the only writer of these two folders
    clean_stale_temporaries(
        partition_dir(dataset, spec.partition_key, value, home),
        quarantine_path(dataset, value, home).parent,
    )
    results = [r for r in results if r and r.get("status") == "staged"]
    goods = sorted(r["file"] for r in results if value in r["partitions"])
    feeders = sorted(
        r["file"]
        for r in results
        if value in r["partitions"] or value in r["quarantine_partitions"]
    )
    rank = delivery_rank(results)
    # a file whose bytes a later delivery repeats exactly: its bad rows are that file's bad rows
    copies = _exact_copies(results, rank)
    bads = [
        t
        for f in feeders
        if f not in copies and (t := _read_staged(staged_bad_path(dataset, f, home), value))
    ]
    schema = lake_schema(dataset)
    superseded: dict[str, dict[str, int]] = {}
    rows = 0
    if len(goods) == 1:  # the staged part is the partition
        source = staged_good_path(dataset, goods[0], value, home)
        publish_partition_file(dataset, spec.partition_key, value, source, home)
        rows = pq.ParquetFile(source).metadata.num_rows
    elif goods:
        table = pa.concat_tables([_staged_good(dataset, f, value, home) for f in goods])
        key = [k for k in spec.key if k in table.column_names]  # the partition column is constant
        keys = table.select(key).to_pandas()
        if schemas.duplicated_rows(keys, key).any():  # a key delivered by several files
            lost, superseded = _superseded(keys, key, table["__source_file"], rank)
            table = table.filter(pa.array(~lost))
        table = table.select(schema.names)  # delivery order: file name, then row
        write_partition(dataset, spec.partition_key, value, table, schema=schema, home=home)
        rows = table.num_rows
    else:  # the files that feed it now hold no good row of it: an earlier load's rows must go
        drop_partition(dataset, spec.partition_key, value, home)
    qtables = bads
    qpath = quarantine_path(dataset, value, home)
    if qtables:
        q = pa.concat_tables(
            [t.drop_columns(["__partition"]) for t in qtables], promote_options="default"
        )
        q = q.sort_by(
            [
                ("source_file", "ascending"),
                ("row_number", "ascending"),
                ("check", "ascending"),
                ("column", "ascending"),
            ]
        )
        _atomic_write_table(qpath, q)
    else:
        qpath.unlink(missing_ok=True)
    return {
        "partition": value,
        "rows": rows,
        "quarantined": sum(t.num_rows for t in qtables),
        "superseded": superseded,  # {earlier file: {later file: rows of it replaced}}
        "exact_copies": {f: copies[f] for f in feeders if f in copies},
    }


def delivery_rank(results: Iterable[dict]) -> dict[str, int]:
    """The delivery order of the staged files: by modification time in landing (when the
    sender's file arrived), then by name. A key delivered by several files is taken from the
    file delivered last: a corrected or repeated file supersedes the earlier one, row by row.
    The order depends on the landing files alone, so reruns give the same lake bytes."""
    order = sorted(
        (r for r in results if r and r.get("status") == "staged"),
        key=lambda r: (int(r.get("delivered_ns", 0)), r["file"]),
    )
    return {r["file"]: i for i, r in enumerate(order)}


def _exact_copies(results: list[dict], rank: dict[str, int]) -> dict[str, str]:
    """{file: the later file with the same bytes (sha256)}, for files delivered again whole."""
    last: dict[str, str] = {}
    for r in sorted(results, key=lambda r: rank[r["file"]]):
        last[r["sha256"]] = r["file"]
    return {r["file"]: last[r["sha256"]] for r in results if last[r["sha256"]] != r["file"]}


def _superseded(
    keys: pd.DataFrame, key: list[str], files: pa.ChunkedArray, rank: dict[str, int]
) -> tuple[np.ndarray, dict[str, dict[str, int]]]:
    """Rows whose key a later delivery also holds (a file holds each key once: its own repeats
    failed ``unique_key``), and {earlier file: {later file: rows}}."""
    k = keys.reset_index(drop=True).copy()
    for c in key:
        k[c] = k[c].astype(str).where(k[c].notna(), "\x00null")
    k["__file"] = pc.cast(files, pa.string()).to_pylist()
    k["__rank"] = k["__file"].map(rank)
    k["__pos"] = np.arange(len(k))
    by_delivery = k.sort_values("__rank", kind="stable")
    lost_pos = by_delivery.loc[by_delivery.duplicated(key, keep="last"), "__pos"].to_numpy()
    lost = np.zeros(len(k), dtype=bool)
    lost[lost_pos] = True
    winners = by_delivery.drop_duplicates(key, keep="last")[[*key, "__file"]]
    pairs = k[lost].merge(winners, on=key, suffixes=("", "_winner"))
    out: dict[str, dict[str, int]] = {}
    for (loser, winner), n in pairs.groupby(["__file", "__file_winner"]).size().items():
        out.setdefault(loser, {})[winner] = int(n)
    return lost, out


# ---------------------------------------------------------------- reports


def finalize(
    dataset: str,
    results: Iterable[dict],
    writes: Iterable[dict],
    home: str | Path | None = None,
    period: str | None = None,
) -> dict:
    """Write one load report per staged file and the dataset summary; return the summary."""
    results = [r for r in results if r]
    writes = [w for w in writes if w]
    lost: dict[str, dict[str, int]] = {}  # earlier file -> later file -> rows superseded
    copies: dict[str, str] = {}
    for w in writes:
        for loser, by in w.get("superseded", {}).items():
            for winner, n in by.items():
                lost.setdefault(loser, {})[winner] = lost.get(loser, {}).get(winner, 0) + n
        copies.update(w.get("exact_copies", {}))
    gained: dict[str, dict[str, int]] = {}
    for loser, by in lost.items():
        for winner, n in by.items():
            gained.setdefault(winner, {})[loser] = n
    written = {w["partition"] for w in writes if w["rows"]}
    reports = []
    for r in sorted(results, key=lambda r: r["file"]):
        rep = dict(r)
        n = sum(lost.get(r["file"], {}).values())
        rep["rows_superseded"] = n
        rep["rows_ok"] -= n  # rows of this file in the lake
        rep["superseded_by"] = dict(sorted(lost.get(r["file"], {}).items()))
        rep["supersedes"] = dict(sorted(gained.get(r["file"], {}).items()))
        if r["file"] in copies:  # delivered again whole: its bad rows are the copy's, too
            rep["exact_copy_of"] = copies[r["file"]]
            rep["rows_superseded"] += rep["rows_quarantined"]
            rep["rows_quarantined"] = 0
            rep["failures_by_check"] = {}
        rep["status"] = "superseded" if n and not rep["rows_ok"] else "loaded"
        rep["partitions_written"] = sorted(set(r["partitions"]) & written)
        write_json(report_path(dataset, r["file"], home), rep)
        reports.append(rep)
    # rejected files of this run: their reports were written by ``reject``
    rdir = paths(home).reports / dataset
    staged = {r["file"] for r in results}
    rejected = []
    for f in list_landing(dataset, home, period):
        rp = rdir / f"{f}.json"
        if f not in staged and rp.exists():
            rep = json.loads(rp.read_text())
            if rep.get("status") == "rejected":
                rejected.append(
                    {"file": f, "reason": rep["reason"], "columns": rep.get("columns", [])}
                )
    demo = [r.get("demo_pseudonym_secret") for r in reports if "demo_pseudonym_secret" in r]
    summary = {
        "dataset": dataset,
        **({"demo_pseudonym_secret": any(demo)} if demo else {}),
        "files": len(reports) + len(rejected),
        "rows_in": sum(r["rows_in"] for r in reports),
        "rows_ok": sum(r["rows_ok"] for r in reports),
        "rows_quarantined": sum(r["rows_quarantined"] for r in reports),
        "rows_superseded": sum(r["rows_superseded"] for r in reports),
        "superseded": {f: dict(sorted(lost[f].items())) for f in sorted(lost)},
        "failures_by_check": _sum_checks(r["failures_by_check"] for r in reports),
        "partitions": sorted(written),
        "rejected": rejected,
    }
    write_json(rdir / "_summary.json", summary)
    return summary


def unexplained_failures(
    dataset: str, files: list[str], results: list[dict], home=None
) -> list[str]:
    """Landing files that neither staged nor carry a rejection report for their current bytes."""
    staged = {r["file"] for r in results if r}
    out = []
    for f in files:
        if f in staged:
            continue
        rp = report_path(dataset, f, home)
        path = paths(home).landing / dataset / f
        if rp.exists() and path.exists():
            rep = json.loads(rp.read_text())
            if rep.get("status") == "rejected" and rep.get("sha256") == sha256_file(path):
                continue
        out.append(f)
    return out


def _sum_checks(items: Iterable[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in items:
        for k, v in d.items():
            out[k] = out.get(k, 0) + int(v)
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- whole dataset, no Airflow


def ingest_dataset(
    dataset: str,
    home: str | Path | None = None,
    *,
    period: str | None = None,
    today: dt.date | None = None,
    secret: bytes | None = None,
) -> dict:
    """All steps in one process (the DAG runs the same functions as separate tasks)."""
    clean_temporaries(dataset, home)
    results = []
    for f in list_landing(dataset, home, period):
        try:
            results.append(stage_file(dataset, f, home, today=today, secret=secret))
        except RejectedFile:
            continue
    writes = [
        write_partition_value(dataset, v, results, home) for v in plan_partitions(results, period)
    ]
    return finalize(dataset, results, writes, home, period)
