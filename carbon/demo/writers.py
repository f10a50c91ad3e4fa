"""Writers of the landing formats: CSV (UTF-8 or GB18030), XLSX and Parquet, byte-deterministic.

A file is a typed ``pyarrow.Table`` plus *patches* (row, column) -> bad value and *dups* (rows sent
twice). Writers apply both, so the clean table stays typed and defect rows keep the cell type a
real sender would produce (text in a numeric XLSX column, an empty cell, ...).
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_ISO = "2026-01-01T00:00:00Z"


@dataclass
class LandingFile:
    dataset: str
    relpath: str  # relative to <home>/landing
    table: pa.Table
    fmt: str = "csv"  # csv | xlsx | parquet
    encoding: str = "utf-8"  # utf-8 | gb18030 (CSV only)
    header: list[str] | None = None  # header text (default: column names)
    patches: dict[tuple[int, str], object] = field(default_factory=dict)
    dups: list[int] = field(default_factory=list)  # rows that are sent twice (copy follows)
    period: str = ""  # the data period the file covers (date, month or year)

    def _sorted_dups(self) -> np.ndarray:
        key = len(self.dups)
        if getattr(self, "_dups_cache", (None, None))[0] != key:
            self._dups_cache = (key, np.sort(np.asarray(self.dups, dtype=np.int64)))
        return self._dups_cache[1]

    def order(self) -> np.ndarray:
        n = self.table.num_rows
        if not self.dups:
            return np.arange(n)
        reps = np.ones(n, dtype=np.int64)
        reps[np.asarray(self.dups)] = 2
        return np.repeat(np.arange(n), reps)

    def final_row(self, row: int, second: bool = False) -> int:
        """1-based data row number of ``row`` in the written file (its 2nd copy if ``second``)."""
        before = (
            bisect.bisect_left(sorted(self.dups), row)
            if len(self.dups) < 64
            else int(np.searchsorted(self._sorted_dups(), row))
        )
        return row + before + 1 + (1 if second else 0)


def _string_column(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        s = arr
    elif pa.types.is_boolean(arr.type):
        s = pc.if_else(arr, "true", "false")
    else:
        s = pc.cast(arr, pa.string())
    if isinstance(s, pa.ChunkedArray):
        s = s.combine_chunks()
    return s.to_numpy(zero_copy_only=False).astype(object)


def _patched_strings(f: LandingFile) -> pa.Table:
    cols = {}
    by_col: dict[str, list[tuple[int, object]]] = {}
    for (row, col), value in f.patches.items():
        by_col.setdefault(col, []).append((row, value))
    for name in f.table.column_names:
        arr = f.table[name]
        if name in by_col:
            values = _string_column(arr)
            for row, value in by_col[name]:
                values[row] = None if value is None else str(value)
            cols[name] = pa.array(values, type=pa.string())
        else:
            cols[name] = arr  # unpatched columns keep their type (numbers stay unquoted)
    t = pa.table(cols)
    # always gather into fresh buffers: pyarrow's CSV writer emits NUL bytes for string arrays
    # that are slices of a larger buffer (seen with pyarrow 26 on pandas-3 string columns)
    return t.take(pa.array(f.order() if f.dups else np.arange(t.num_rows)))


def write_csv(f: LandingFile, path: Path) -> None:
    table = _patched_strings(f)
    buf = io.BytesIO()
    pacsv.write_csv(
        table,
        buf,
        pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=","),
    )
    header = ",".join(f.header or f.table.column_names) + "\n"
    data = header.encode("utf-8") + buf.getvalue()
    if f.encoding != "utf-8":
        data = data.decode("utf-8").encode(f.encoding)
    path.write_bytes(data)


def write_parquet(f: LandingFile, path: Path) -> None:
    t = f.table
    if f.patches:
        cols = {}
        for name in t.column_names:
            fixes = {r: v for (r, c), v in f.patches.items() if c == name}
            if fixes:
                values = t[name].to_pylist()
                for r, v in fixes.items():
                    if pa.types.is_date(t[name].type) and isinstance(v, str):
                        v = dt.date.fromisoformat(v)
                    values[r] = v
                cols[name] = pa.array(values, type=t[name].type)
            else:
                cols[name] = t[name]
        t = pa.table(cols)
    if f.dups:
        t = t.take(pa.array(f.order()))
    pq.write_table(t.replace_schema_metadata(None), str(path), compression="zstd")


def write_xlsx(f: LandingFile, path: Path, sheet: str = "data") -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(f.header or f.table.column_names)
    cols = [c.to_pylist() for c in f.table.columns]
    names = f.table.column_names
    for i in f.order().tolist():
        row = [cols[j][i] for j in range(len(names))]
        for j, name in enumerate(names):
            if (i, name) in f.patches:
                row[j] = f.patches[(i, name)]
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(normalise_zip(buf.getvalue()))


_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip (xlsx) with fixed entry times and fixed document timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIME.sub(rb"\g<1>" + FIXED_ISO.encode() + rb"\g<2>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, body)
    return out.getvalue()


def write(f: LandingFile, landing: Path) -> Path:
    path = landing / f.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    {"csv": write_csv, "xlsx": write_xlsx, "parquet": write_parquet}[f.fmt](f, path)
    return path
