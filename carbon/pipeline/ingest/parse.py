"""Parse phase: an all-text table -> a typed pandas frame, column by column.

An empty cell becomes null (the contract's ``not_null`` check reports it where the column is
required). A non-empty cell that does not cast becomes null too and is reported here as a
``parseable`` failure of THAT row and column, never as a failure of the file. Vectorised with
pyarrow compute (regex match + cast); timestamps via pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carbon import config
from carbon.config import TZ
from carbon.domain.datasets import DATASETS
from carbon.pipeline.contracts.schemas import _USCC_COLUMNS as USCC_COLUMNS
from carbon.pipeline.contracts.schemas import MONTH_COLUMNS, validated_columns

FLOAT_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
INT_RE = r"^[+-]?\d+(\.0*)?$"
MONTH_RE = r"^(\d{4})[-/]?(0?[1-9]|1[0-2])([-/]0?1( 00:00:00)?)?$"
TRUE = ("true", "1", "yes", "y", "t", "是")
FALSE = ("false", "0", "no", "n", "f", "否")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")

FAILURE_COLUMNS = ["row", "check", "column", "failure_value"]


def _parse_float_checked(s: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cell by cell: a cell that is not a plain decimal number (``FLOAT_RE``) becomes null."""
    ok = pc.match_substring_regex(s, FLOAT_RE)
    return pc.cast(pc.if_else(ok, s, None), pa.float64())


def _parse_float(s: pa.ChunkedArray) -> pa.ChunkedArray:
    """``_parse_float_checked``, with a fast path: when Arrow's cast takes the whole column and
    every value is finite, the result is the same (Arrow accepts a strict superset of
    ``FLOAT_RE`` only through nan / inf spellings, which send the column to the checked path)."""
    try:
        fast = pc.cast(s, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _parse_float_checked(s)
    if pc.all(pc.is_finite(fast)).as_py() is False:
        return _parse_float_checked(s)
    return fast


def _parse_int(s: pa.ChunkedArray) -> pa.ChunkedArray:
    ok = pc.match_substring_regex(s, INT_RE)
    digits = pc.replace_substring_regex(s, r"\.0*$", "")
    return pc.cast(pc.if_else(ok, digits, None), pa.int64())


def _parse_bool(s: pa.ChunkedArray) -> pa.ChunkedArray:
    low = pc.utf8_lower(s)
    t = pc.is_in(low, pa.array(TRUE))
    f = pc.is_in(low, pa.array(FALSE))
    return pc.if_else(t, True, pc.if_else(f, False, pa.scalar(None, pa.bool_())))


_DATE_PARTS = {  # the numbers each format reads, to reject dates strptime rolls over
    "%Y-%m-%d": r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$",
    "%Y/%m/%d": r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$",
    "%Y%m%d": r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
}
_ISO_RANGE = (
    pa.scalar(-25567, pa.date32()),
    pa.scalar(47482, pa.date32()),
)  # 1900-01-01..2099-12-31


def _strptime_exact(s: pa.ChunkedArray, fmt: str) -> pa.ChunkedArray:
    """``strptime`` that also rejects impossible calendar dates (2026-02-30 is not 2026-03-02)."""
    d = pc.strptime(s, format=fmt, unit="s", error_is_null=True)
    parts = pc.extract_regex(s, _DATE_PARTS[fmt])
    same = pc.and_(
        pc.and_(
            pc.equal(pc.year(d), pc.cast(pc.struct_field(parts, "y"), pa.int64())),
            pc.equal(pc.month(d), pc.cast(pc.struct_field(parts, "m"), pa.int64())),
        ),
        pc.equal(pc.day(d), pc.cast(pc.struct_field(parts, "d"), pa.int64())),
    )
    return pc.if_else(pc.fill_null(same, False), d, pa.scalar(None, pa.timestamp("s")))


def _parse_date(s: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dates in any of ``DATE_FORMATS``. Fast path: when Arrow's strict ISO cast takes the whole
    column (every cell a real YYYY-MM-DD date in 1900-2099), that is the result."""
    try:
        iso = pc.cast(s, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        iso = None
    if iso is not None and iso.null_count == s.null_count:
        lo, hi = pc.min_max(iso).values()
        if lo.is_valid is False or (
            pc.greater_equal(lo, _ISO_RANGE[0]).as_py() and pc.less_equal(hi, _ISO_RANGE[1]).as_py()
        ):
            return pc.cast(iso, pa.timestamp("s"))
    out = None
    for fmt in DATE_FORMATS:
        d = _strptime_exact(s, fmt)
        out = d if out is None else pc.coalesce(out, d)
        if out.null_count == s.null_count:  # every cell parsed: later formats change nothing
            break
    return out


def _parse_month(s: pa.ChunkedArray) -> pa.ChunkedArray:
    ok = pc.match_substring_regex(s, MONTH_RE)
    year = pc.utf8_slice_codeunits(s, 0, 4)
    rest = pc.replace_substring_regex(pc.utf8_slice_codeunits(s, 4), r"^[-/]?", "")
    mon = pc.replace_substring_regex(rest, r"[-/].*$", "")
    mon = pc.utf8_lpad(mon, 2, "0")
    text = pc.binary_join_element_wise(year, mon, "-")
    return pc.if_else(ok, text, pa.scalar(None, pa.string()))


def _parse_timestamp(s: pd.Series) -> pd.Series:
    """ISO timestamps; naive ones are Asia/Shanghai local time, aware ones are converted."""
    text = s.astype("str")
    aware = text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False)
    out = pd.Series(pd.NaT, index=s.index, dtype=pd.DatetimeTZDtype("us", TZ))
    if (~aware).any():
        naive = pd.to_datetime(text[~aware], format="ISO8601", errors="coerce")
        out[~aware] = naive.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT").astype(out.dtype)
    if aware.any():
        conv = pd.to_datetime(text[aware], format="ISO8601", errors="coerce", utc=True)
        out[aware] = conv.dt.tz_convert(TZ).astype(out.dtype)
    return out


def _trimmed(s: pa.ChunkedArray) -> pa.ChunkedArray:
    """Leading and trailing whitespace removed. A large column is scanned first (two bytes per
    value, compiled): most exports carry no padding, and then the column is returned as is."""
    if len(s) >= config.COMPILED_MIN:
        from carbon.pipeline.kernels import may_need_trim

        if not any(may_need_trim(chunk) for chunk in s.chunks):
            return s
    return pc.utf8_trim_whitespace(s)


def parse_table(
    dataset: str, table: pa.Table, columns: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame of the contract columns and the ``parseable`` failures (row, check, column, value).

    ``columns``: only these (parsed-frame names, in this order); by default all of them."""
    spec = DATASETS[dataset]
    all_cols = validated_columns(spec)
    dtypes = {
        raw: spec.column(col).dtype for raw, col in zip(all_cols, spec.column_names, strict=True)
    }
    raw_cols = all_cols if columns is None else columns
    n = table.num_rows
    data: dict[str, object] = {}
    failures: list[pd.DataFrame] = []
    for col in raw_cols:
        text = _trimmed(table[col])  # every code trimmed (region codes included)
        if col in USCC_COLUMNS:  # a USCC is upper case (GB 32100); meter account ids: ingest
            text = pc.utf8_upper(text)
        present = pc.not_equal(text, "")
        if not (text.null_count == 0 and pc.all(present).as_py()):  # empty cells -> null
            text = pc.if_else(present, text, pa.scalar(None, pa.string()))
        dtype = dtypes[col]
        if dtype == "timestamp":
            typed = _parse_timestamp(pd.Series(text.to_pandas(), dtype="str"))
            parsed_ok = pa.array(typed.notna().to_numpy())
            data[col] = typed
        else:
            if dtype == "float64":
                arr = _parse_float(text)
                series = arr.to_pandas().astype("float64")
            elif dtype == "int64":
                arr = _parse_int(text)
                series = arr.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
                series = series.astype("Int64")
            elif dtype == "bool":
                arr = _parse_bool(text)
                series = arr.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
                series = series.astype("boolean")
            elif dtype == "date":
                arr = _parse_date(text)
                series = pd.Series(arr.to_pandas(), dtype="datetime64[s]")
            elif col in MONTH_COLUMNS:
                arr = _parse_month(text)
                series = pd.Series(arr.to_pandas(), dtype="str")
            else:
                arr = text
                series = pd.Series(arr.to_pandas(), dtype="str")
            parsed_ok = pc.is_valid(arr)
            data[col] = series.reset_index(drop=True)
        if pc.sum(pc.invert(parsed_ok)).as_py() == text.null_count:
            continue  # the result is null only where the cell was empty: every cell parsed
        bad = pc.and_(pc.fill_null(present, False), pc.invert(parsed_ok))
        idx = np.flatnonzero(np.asarray(pc.fill_null(bad, False)))
        if len(idx):
            values = pc.take(table[col], pa.array(idx)).to_pylist()
            failures.append(
                pd.DataFrame(
                    {"row": idx, "check": "parseable", "column": col, "failure_value": values}
                )
            )
    frame = pd.DataFrame(data, index=pd.RangeIndex(n))
    fails = (
        pd.concat(failures, ignore_index=True)
        if failures
        else pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "row" else "str") for c in FAILURE_COLUMNS}
        )
    )
    return frame, fails
