"""Readers of landing files (CSV / XLSX / Parquet) into an all-text Arrow table.

Every reader returns one ``pyarrow.Table`` whose columns are all ``string`` and named as the
parsed frame of the contract expects (contract names, raw ID columns under their raw name).
Chinese headers (``Column.name_zh``) map back to contract names; GBK / GB18030 CSVs are
detected and transcoded. A file that cannot be read, or lacks required columns, raises
``RejectedFile`` naming the file, the columns and the reason: it is rejected whole.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from carbon.contracts.schemas import validated_columns
from carbon.datasets import DATASETS

LANDING_SUFFIXES = (".csv", ".xlsx", ".parquet")

# header spellings of raw identifier columns seen in Chinese files
RAW_ID_ALIASES = {
    "户号": "household_no",
    "用电户号": "household_no",
    "用户标识": "user_id",
    "手机号": "user_id",
    "证件号": "user_id",
    "身份证号": "user_id",
}


class RejectedFile(Exception):
    """A landing file rejected whole (unreadable, or its columns break the contract)."""

    def __init__(self, file: str, reason: str, columns: list[str] | None = None):
        from carbon.ingest.redact import redact_message

        # the reason and the columns may quote the file's text (a reader's error, a data row
        # taken for the header): identifiers masked, quoted rows withheld
        self.file = file
        self.reason = redact_message(reason)
        self.columns = [redact_message(c) for c in (columns or [])]
        cols = f" (columns: {', '.join(self.columns)})" if self.columns else ""
        super().__init__(f"rejected {file}: {self.reason}{cols}")


def landing_files(landing_dir: Path) -> list[Path]:
    """Files of one dataset's landing folder, sorted; names starting with _ or . are ignored."""
    if not landing_dir.exists():
        return []
    return sorted(
        p
        for p in landing_dir.iterdir()
        if p.is_file()
        and not p.name.startswith(("_", "."))
        and p.suffix.lower() in LANDING_SUFFIXES
    )


def header_map(dataset: str) -> dict[str, str]:
    """Accepted header text -> parsed-frame column name (English names, Chinese names, aliases)."""
    spec = DATASETS[dataset]
    m: dict[str, str] = {}
    for raw, col in zip(validated_columns(spec), spec.column_names, strict=True):
        m[raw] = raw
        m[col] = raw
        m[spec.column(col).name_zh] = raw
    for zh, raw in RAW_ID_ALIASES.items():
        if raw in spec.pseudonymise:
            m[zh] = raw
    return m


def _map_headers(dataset: str, file: str, headers: list[str]) -> list[str]:
    m = header_map(dataset)
    names = [m.get(h.strip().lstrip("\ufeff"), h.strip().lstrip("\ufeff")) for h in headers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RejectedFile(file, "duplicate column headers", dupes)
    missing = [c for c in validated_columns(DATASETS[dataset]) if c not in names]
    if missing:
        raise RejectedFile(file, "missing required columns", missing)
    return names


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) if the head decodes as such, else GB18030 (a GBK superset)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.utf_8_decode(head, "strict", False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_csv(dataset: str, path: Path) -> pa.Table:
    import pyarrow.csv as pcsv

    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    enc = detect_encoding(head)
    try:
        text_head = head.decode(enc, errors="ignore")
        headers = next(csv.reader(io.StringIO(text_head.splitlines()[0] if text_head else "")), [])
    except (UnicodeDecodeError, StopIteration, csv.Error) as exc:
        raise RejectedFile(path.name, f"unreadable CSV header: {exc}") from exc
    if not headers:
        raise RejectedFile(path.name, "empty file: no header row")
    names = _map_headers(dataset, path.name, headers)
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                encoding="utf8" if enc.startswith("utf-8") else enc,
                block_size=1 << 24,
            ),
            parse_options=pcsv.ParseOptions(newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as exc:
        raise RejectedFile(path.name, f"malformed CSV: {exc}") from exc
    return table


def _cell_text(v: object) -> str:
    import datetime as dt

    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return (
            v.isoformat(sep=" ")
            if (v.hour, v.minute, v.second) != (0, 0, 0)
            else v.date().isoformat()
        )
    if isinstance(v, dt.date | dt.time | dt.timedelta):
        return str(v)
    return str(v)


def read_xlsx(dataset: str, path: Path) -> pa.Table:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise RejectedFile(path.name, f"unreadable XLSX: {type(exc).__name__}: {exc}") from exc
    # drop fully empty trailing rows
    while rows and all(_cell_text(v) == "" for v in rows[-1]):
        rows.pop()
    if not rows:
        raise RejectedFile(path.name, "empty workbook: no header row")
    headers = [_cell_text(h) for h in rows[0]]
    names = _map_headers(dataset, path.name, headers)
    body = rows[1:]
    cols = {
        n: pa.array([_cell_text(r[i]) if i < len(r) else "" for r in body], type=pa.string())
        for i, n in enumerate(names)
        if n
    }
    return pa.table(cols)


def read_parquet(dataset: str, path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise RejectedFile(path.name, f"unreadable Parquet: {type(exc).__name__}: {exc}") from exc
    names = _map_headers(dataset, path.name, table.column_names)
    cols = {}
    for n, col in zip(names, table.columns, strict=True):
        t = col.type
        if pa.types.is_timestamp(t):
            if t.tz:
                col = pc.local_timestamp(pc.cast(col, pa.timestamp(t.unit, "Asia/Shanghai")))
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_boolean(t):
            col = pc.if_else(col, "true", "false")
        col = pc.cast(col, pa.string())
        cols[n] = pc.fill_null(col, "")
    return pa.table(cols)


def read_landing(dataset: str, path: Path) -> pa.Table:
    """Read one landing file as an all-text table (raises ``RejectedFile``)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(dataset, path)
    if suffix == ".xlsx":
        return read_xlsx(dataset, path)
    if suffix == ".parquet":
        return read_parquet(dataset, path)
    raise RejectedFile(path.name, f"unsupported file type {suffix!r}")
