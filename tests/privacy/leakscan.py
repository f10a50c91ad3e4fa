"""An outside scan of a data home for raw identifiers, written independently of carbon.pipeline.ingest.

``raw_identifiers(landing)`` collects every raw person / household identifier of the landing
files (households' 户号, low-carbon user ids, household meter account ids, and any value of
those columns in any file, good or bad, readable or not). ``scan(home, raw)`` then looks at
EVERY file under the data home except ``landing/``:

* as bytes (latin-1 text, and with NUL bytes dropped for UTF-16), for each raw value and for
  ID-card (18 digits with a valid GB 11643 check character) and mobile-number (1[3-9] + 9
  digits) shapes;
* decoded: Parquet read with pyarrow (every cell as text), DuckDB files queried table by table,
  SQLite files queried table by table (zlib-compressed blobs decompressed), so that compressed
  pages and blobs are seen too.

Pattern hits count only in text (a number column of a warehouse may well hold 11 digits).
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# bounded by anything but a letter or digit; not the fraction digits of a decimal (0.0198950767…)
_B = r"(?<![0-9A-Za-z])(?<!\d\.)"
MOBILE = re.compile(_B + r"(?:\+?86)?(1[3-9]\d{9})(?![0-9A-Za-z])")
ID18 = re.compile(_B + r"(\d{17}[0-9Xx])(?![0-9A-Za-z])")
DIGIT_RUNS = re.compile(r"[0-9Xx]{7,}")
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _W, strict=True)) % 11]


def is_id_card(s: str) -> bool:
    return len(s) == 18 and s[:17].isdigit() and id_card_check(s[:17]) == s[17].upper()


ID_COLUMNS = {
    "households": ("household_no", "户号", "用电户号"),
    "low_carbon_activity": ("user_id", "用户标识", "手机号", "证件号", "身份证号"),
    "electricity_consumption": ("account_id", "账户标识"),
}


def _rows_of_text(data: bytes) -> list[list[str]]:
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        return list(csv.reader(io.StringIO(text)))
    return []


def raw_identifiers(landing: Path) -> set[str]:
    """Every raw identifier value of the personal datasets' landing files (≥ 7 characters)."""
    out: set[str] = set()
    for ds, names in ID_COLUMNS.items():
        for f in sorted((landing / ds).glob("*")):
            if f.suffix == ".parquet":
                t = pq.read_table(f)
                for n in t.column_names:
                    if n in names:
                        out |= {str(v) for v in t[n].to_pylist() if v is not None}
                continue
            rows = _rows_of_text(f.read_bytes())
            if not rows:
                continue
            header = [h.strip().lstrip("\ufeff") for h in rows[0]]
            cols = [i for i, h in enumerate(header) if h in names]
            for r in rows[1:]:
                for i in cols:
                    if i < len(r):
                        out.add(r[i].strip())
            # every mobile / ID-card shaped value anywhere in the file, header or not
            for r in rows:
                for cell in r:
                    out |= set(MOBILE.findall(cell)) | {
                        m for m in ID18.findall(cell) if is_id_card(m)
                    }
    # an organisation's USCC is public; everything else in those columns is personal
    from carbon.domain.codes import is_valid_uscc

    out = {v for v in out if len(v) >= 7 and not is_valid_uscc(v)}
    return out | {v.upper() for v in out} | {v.lower() for v in out}  # a check char x / X


def _hits_in_text(text: str, raw: set[str], where: str, patterns: bool = True) -> list[str]:
    hits = []
    lengths = sorted({len(v) for v in raw})
    for m in DIGIT_RUNS.finditer(text):
        run = m.group(0)
        for n in lengths:
            for i in range(0, len(run) - n + 1):
                if run[i : i + n] in raw:
                    hits.append(f"{where}: raw {run[i : i + n]}")
    if patterns:
        hits += [f"{where}: mobile {v}" for v in MOBILE.findall(text)]
        hits += [f"{where}: id card {v}" for v in ID18.findall(text) if is_id_card(v)]
    return hits


def _table_text(t: pa.Table) -> str:
    parts = []
    for col in t.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            parts.append("\n".join("" if v is None else v for v in col.to_pylist()))
    return "\n".join(parts)


def _duckdb_text(path: Path) -> list[tuple[str, str, bool]]:
    import duckdb

    out = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select database_name, schema_name, table_name from duckdb_tables() where not internal"
        ).fetchall()
        for db, sch, name in tables:
            cols = con.execute(
                "select column_name, data_type from duckdb_columns() "
                "where database_name = ? and schema_name = ? and table_name = ?",
                [db, sch, name],
            ).fetchall()
            for c, typ in cols:
                vals = con.execute(
                    f'select distinct cast("{c}" as varchar) from "{db}"."{sch}"."{name}"'
                ).fetchall()
                text = "\n".join("" if v[0] is None else v[0] for v in vals)
                out.append((f"{path}:{sch}.{name}.{c}", text, typ.startswith("VARCHAR")))
    finally:
        con.close()
    return out


def _sqlite_text(path: Path) -> list[tuple[str, str, bool]]:
    out = []
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for name in names:
            for row in con.execute(f'select * from "{name}"'):
                for v in row:
                    if isinstance(v, bytes):
                        try:
                            v = zlib.decompress(v).decode("utf-8", "replace")
                        except zlib.error:
                            v = v.decode("latin-1")
                    if isinstance(v, str):
                        out.append((f"{path}:{name}", v, True))
    finally:
        con.close()
    return out


def scan(home: Path, raw: set[str]) -> tuple[list[str], int]:
    """Every leak under ``home`` outside ``landing/``; and the number of files scanned."""
    hits: list[str] = []
    n = 0
    for p in sorted(home.rglob("*")):
        if not p.is_file() or p.is_relative_to(home / "landing"):
            continue
        n += 1
        data = p.read_bytes()
        for b in (data, data.replace(b"\x00", b"")):
            hits += _hits_in_text(b.decode("latin-1"), raw, f"{p} (bytes)")
        if data[:4] == b"PAR1":
            hits += _hits_in_text(_table_text(pq.read_table(p)), raw, f"{p} (parquet)")
        elif data[8:12] == b"DUCK":
            for where, text, is_text in _duckdb_text(p):
                hits += _hits_in_text(text, raw, where, patterns=is_text)
        elif data[:16] == b"SQLite format 3\x00":
            for where, text, is_text in _sqlite_text(p):
                hits += _hits_in_text(text, raw, where, patterns=is_text)
    return sorted(set(hits)), n
