"""Readers of landing files (CSV / XLSX / Parquet) into an all-text Arrow table.

Every reader returns one ``pyarrow.Table`` whose columns are all ``string`` and named as the
parsed frame of the contract expects (contract names, raw ID columns under their raw name).
Chinese headers (``Column.name_zh``) map back to contract names; GBK / GB18030 CSVs are
detected and transcoded, and UTF-16 (with or without BOM) too. Title rows above the header are
skipped (the header is the first row that names every required column). A row with more or fewer
fields than the header is a ``field_count`` failure of that row (``read_landing_checked``); the
rest of the file loads. A file that cannot be read (not text, an unknown encoding, a corrupt
workbook), or lacks required columns, raises ``RejectedFile`` naming the file, the columns and
the reason: it is rejected whole.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carbon.domain.datasets import DATASETS
from carbon.pipeline.contracts.schemas import validated_columns

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
        from carbon.pipeline.ingest.redact import redact_message

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


UNNAMED = "__unnamed_"  # a header cell left empty (a trailing comma, an extra XLSX column)
HEADER_SEARCH_ROWS = 30  # title rows above the header: the header is looked for this far down
FIELD_COUNT = "field_count"  # the check of a row with more or fewer fields than the header
ROW_COLUMN = "*"  # the column of a whole-row failure


def _clean_header(h: object) -> str:
    return str(h).strip().lstrip("\ufeff").strip()


def _map_headers(dataset: str, file: str, headers: list[str]) -> list[str]:
    m = header_map(dataset)
    names = []
    for i, h in enumerate(headers):
        h = _clean_header(h)
        names.append(m.get(h, h) if h else f"{UNNAMED}{i}")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RejectedFile(file, "duplicate column headers", dupes)
    missing = [c for c in validated_columns(DATASETS[dataset]) if c not in names]
    if missing:
        raise RejectedFile(file, "missing required columns", missing)
    return names


def _header_row(dataset: str, file: str, rows: list[list]) -> tuple[int, list[str]]:
    """The header row among the first rows (title rows above it are skipped) and its names.

    The header is the first row that names every required column. When no row does, the
    rejection says what is wrong with the first row (missing columns), or, when a later row
    names more required columns than the first, that the header row is not the first row."""
    required = validated_columns(DATASETS[dataset])
    m = header_map(dataset)
    first_exc: RejectedFile | None = None
    best = (0, 0)  # (required columns named, row)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapped = {m.get(c, c) for c in map(_clean_header, row) if c}
        named = sum(c in mapped for c in required)
        if named == len(required) or i == 0:
            try:
                return i, _map_headers(dataset, file, list(row))
            except RejectedFile as exc:
                first_exc = first_exc or exc
        if named > best[0]:
            best = (named, i)
    if best[1] > 0:
        row = {m.get(c, c) for c in map(_clean_header, rows[best[1]])}
        raise RejectedFile(
            file,
            f"the header row is not the first row: row {best[1] + 1} names {best[0]} of the "
            f"{len(required)} required columns, and no row of the first {HEADER_SEARCH_ROWS} "
            "names them all; missing",
            [c for c in required if c not in row],
        )
    if first_exc is not None:
        raise first_exc
    raise RejectedFile(file, "empty file: no header row")


def _check_decodes(file: str, head: bytes, enc: str) -> str:
    """``enc`` if the head decodes strictly and reads as text (almost no control characters)."""
    try:
        text = codecs.getincrementaldecoder(enc)().decode(head[: 1 << 16], final=False)
    except UnicodeDecodeError as exc:
        raise RejectedFile(
            file,
            f"not a text file, or an encoding other than UTF-8, UTF-16 and GB18030 "
            f"(read as {enc}: undecodable byte at offset {exc.start})",
        ) from exc
    sample = text[:8192]
    odd = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n") or ch == "\ufffd")
    if sample and odd > 0.01 * len(sample):
        raise RejectedFile(file, f"not a text file: binary content (read as {enc})")
    return enc


def _sniff_text(file: str, head: bytes) -> str:
    """The encoding of a text file's head, or ``RejectedFile`` saying it is not text.

    UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when every other byte of
    the head is NUL: the ASCII of a CSV header) and GB18030 (a GBK superset) are read."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _check_decodes(file, head, "utf-16")
    sample = head[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.4 * len(odd) and even.count(0) == 0:
            return _check_decodes(file, head, "utf-16-le")
        if even.count(0) >= 0.4 * len(even) and odd.count(0) == 0:
            return _check_decodes(file, head, "utf-16-be")
    magic = {
        b"PK\x03\x04": "a ZIP archive (an XLSX workbook, or a zip, named .csv?)",
        b"\x1f\x8b": "a gzip archive",
        b"%PDF": "a PDF document",
        b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or other OLE file",
        b"PAR1": "a Parquet file",
    }
    for sig, what in magic.items():
        if head.startswith(sig):
            raise RejectedFile(file, f"not a text file: it is {what}")
    if b"\x00" in head:
        raise RejectedFile(file, "not a text file: binary content (NUL bytes)")
    return _check_decodes(file, head, detect_encoding(head))


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) if the head decodes as such, else GB18030 (a GBK superset)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def no_failures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series(dtype="int64"),
            "check": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str"),
            "failure_value": pd.Series(dtype="str"),
        }
    )


def _field_count_failures(rows: list[int], messages: list[str]) -> pd.DataFrame:
    if not rows:
        return no_failures()
    return pd.DataFrame(
        {"row": rows, "check": FIELD_COUNT, "column": ROW_COLUMN, "failure_value": messages}
    ).astype({"row": "int64"})


def _drop_unnamed(
    table: pa.Table, first_line: int, fails: pd.DataFrame, unit: str = "line"
) -> tuple[pa.Table, pd.DataFrame]:
    """Columns without a header: a row with a value there is a ``field_count`` failure (a value
    beyond the header's columns); then the columns go. ``first_line``: line of data row 0."""
    unnamed = [c for c in table.column_names if c.startswith(UNNAMED)]
    if not unnamed:
        return table, fails
    bad = None
    for c in unnamed:
        has = pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(table[c], "")), "")
        bad = has if bad is None else pc.or_(bad, has)
    known = set(fails["row"].tolist())
    idx = [int(i) for i in np.flatnonzero(np.asarray(pc.fill_null(bad, False))) if i not in known]
    named = table.num_columns - len(unnamed)
    more = _field_count_failures(
        idx,
        [
            f"{unit} {i + first_line}: a value in a column without a header "
            f"(the header names {named} columns)"
            for i in idx
        ],
    )
    fails = pd.concat([fails, more], ignore_index=True) if len(more) else fails
    return table.drop_columns(unnamed), fails


def _ragged_cells(dataset: str, fields: list[str], n: int) -> list[str]:
    """The cells of a ragged row as text, padded / cut to the header. A value may sit in the
    wrong column, so in a dataset with raw IDs every cell is blanked: a shifted phone or ID
    number must never reach quarantine."""
    if DATASETS[dataset].pseudonymise:
        return [""] * n
    return (list(fields) + [""] * n)[:n]


def _read_csv_lines(
    dataset: str, text: str, names: list[str], header_at: int
) -> tuple[pa.Table, pd.DataFrame]:
    """The slow, exact reader of a CSV with broken rows, line by line: a quote left open ends at
    its line and cannot swallow the rows after it; a row whose field count differs from the
    header's is a ``field_count`` failure at its line; every other row is read."""
    n = len(names)
    lines = text.split("\n")
    body: list[list[str]] = []
    bad_rows: list[int] = []
    messages: list[str] = []
    for ln in range(header_at + 1, len(lines)):
        line = lines[ln].rstrip("\r")
        if not line.strip():
            continue  # an empty line is no row (as in pyarrow's reader)
        fields = next(csv.reader([line]), []) if '"' in line else line.split(",")
        if len(fields) != n:
            bad_rows.append(len(body))
            quote = ", a quote left open" if line.count('"') % 2 else ""
            messages.append(f"line {ln + 1}: {len(fields)} fields, the header has {n}{quote}")
            body.append(_ragged_cells(dataset, fields, n))
        else:
            body.append(fields)
    cols = {c: pa.array([r[i] for r in body], type=pa.string()) for i, c in enumerate(names)}
    return pa.table(cols), _field_count_failures(bad_rows, messages)


def _has_quote(path: Path) -> bool:
    import mmap

    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return mm.find(b'"') >= 0


def _any_line_break(table: pa.Table) -> bool:
    return any(pc.any(pc.match_substring(col, "\n")).as_py() for col in table.columns)


def read_csv_checked(dataset: str, path: Path) -> tuple[pa.Table, pd.DataFrame]:
    """A CSV as an all-text table and its row failures (``field_count``; FAILURE_COLUMNS)."""
    import pyarrow.csv as pcsv

    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise RejectedFile(path.name, "empty file: no header row")
    enc = _sniff_text(path.name, head)
    text_head = head.decode(enc, errors="ignore")
    first = [next(csv.reader([ln]), []) for ln in text_head.splitlines()[:HEADER_SEARCH_ROWS]]
    header_at, names = _header_row(dataset, path.name, first)
    # the fast reader (multi-threaded pyarrow) stops at a row with the wrong number of fields;
    # then the file is read line by line (no Python callback runs inside pyarrow's threads)
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(
                column_names=names,
                skip_rows=header_at + 1,
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
        # a quote left open makes pyarrow join the lines up to the next quote into one row: a
        # cell holding a line break (values never do: newlines_in_values=False) means that
        broken = _has_quote(path) and _any_line_break(table)
    except pa.ArrowInvalid as exc:
        if "columns" not in str(exc):  # not a field-count error
            raise RejectedFile(path.name, f"malformed CSV: {exc}") from exc
        broken = True
    except (UnicodeDecodeError, OSError) as exc:
        raise RejectedFile(path.name, f"malformed CSV: {exc}") from exc
    if broken:
        try:
            text = path.read_bytes().decode(enc)
        except UnicodeDecodeError as exc:
            raise RejectedFile(path.name, f"malformed CSV: {exc}") from exc
        table, fails = _read_csv_lines(dataset, text, names, header_at)
    else:
        fails = no_failures()
    return _drop_unnamed(table, header_at + 2, fails)


def read_csv(dataset: str, path: Path) -> pa.Table:
    return read_csv_checked(dataset, path)[0]


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


def read_xlsx_checked(dataset: str, path: Path) -> tuple[pa.Table, pd.DataFrame]:
    """A sender's workbook (first sheet) as an all-text table and its row failures. Title rows
    above the header are skipped (the header is the first row naming every required column); a
    row with a value in a column without a header is a ``field_count`` failure."""
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
    header_at, names = _header_row(
        dataset, path.name, [[_cell_text(h) for h in r] for r in rows[:HEADER_SEARCH_ROWS]]
    )
    body = rows[header_at + 1 :]
    width = len(names)
    cols = {
        n: pa.array([_cell_text(r[i]) if i < len(r) else "" for r in body], type=pa.string())
        for i, n in enumerate(names)
    }
    # cells beyond the header's last column
    extra = [i for i, r in enumerate(body) if any(_cell_text(v) != "" for v in r[width:])]
    fails = _field_count_failures(
        extra,
        [f"row {i + header_at + 2}: a value beyond the header's {width} columns" for i in extra],
    )
    return _drop_unnamed(pa.table(cols), header_at + 2, fails, "row")


def read_xlsx(dataset: str, path: Path) -> pa.Table:
    return read_xlsx_checked(dataset, path)[0]


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


def read_landing_checked(dataset: str, path: Path) -> tuple[pa.Table, pd.DataFrame]:
    """Read one landing file as an all-text table, with the failures of rows the reader could
    not split into the header's columns (``field_count``: row index, check, column ``*``, a
    message naming the line). Raises ``RejectedFile``."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_checked(dataset, path)
    if suffix == ".xlsx":
        return read_xlsx_checked(dataset, path)
    if suffix == ".parquet":
        return read_parquet(dataset, path), no_failures()
    raise RejectedFile(path.name, f"unsupported file type {suffix!r}")


def read_landing(dataset: str, path: Path) -> pa.Table:
    """Read one landing file as an all-text table (raises ``RejectedFile``)."""
    return read_landing_checked(dataset, path)[0]
