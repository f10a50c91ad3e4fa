"""Files as real senders deliver them (issue 9, items 1 and 6): ragged rows are bad rows, not bad
files; a file that is not text, UTF-16, or a title row above the header says what is wrong, and
the common cases load."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from carbon.domain.codes import make_uscc
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.ingest.readers import RejectedFile
from carbon.pipeline.lake import read_dataset

METER = "account_type,account_id,region_code,date,kwh,green_kwh"
GRID = "province_code,ts,price_cny_per_kwh,carbon_intensity_kg_per_kwh"
HEAT = ["uscc", "month", "gj_purchased", "gj_exported"]


def _quarantine(home, ds: str) -> pd.DataFrame:
    files = sorted((home / "quarantine" / ds).glob("*=*/quarantine.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def _meter_rows(day: str, first: int, n: int) -> list[str]:
    return [
        f"household,{3209100000000 + i},320902,{day},{i % 13}.25,0" for i in range(first, first + n)
    ]


def _ingest(city, ds):
    return pipeline.ingest_dataset(ds, city.home, today=city.today, secret=city.secret)


def _xlsx(path, rows) -> None:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)


def _lake_rows(city, ds, col, **where) -> pd.DataFrame:
    df = read_dataset(ds, city.home)
    for k, v in where.items():
        df = df[df[k].astype(str) == v]
    return df


def test_ragged_rows_are_quarantined_with_their_line_and_the_rest_loads(city):
    land = city.home / "landing"
    rows = _meter_rows("2026-10-17", 0, 300)
    bad = {  # line number (header = line 1) -> the broken row
        5: rows[3] + ",extra",  # one field too many
        40: "household,3209100009999,320902,2026-10-17,4.5",  # one too few
        41: "household",  # far too few
        120: 'household,"3209100008888,320902,2026-10-17,1,0',  # a quote left open
        299: rows[297] + ",,",  # two empty fields too many
    }
    lines = [METER, *rows]
    for ln, text in bad.items():
        lines[ln - 1] = text
    (land / "electricity_consumption" / "meter_20261017.csv").write_text("\n".join(lines) + "\n")
    good = [r for i, r in enumerate(rows) if i + 2 not in bad]
    # a second dataset: grid signals with a short row and one with an extra quoted field
    g = [GRID] + [f"320000,2026-10-17 {h:02d}:00:00,0.5,0.58" for h in range(24)]
    g[7] = "320000,2026-10-17 06:00:00,0.5"
    g[20] = '320000,2026-10-17 19:00:00,0.5,0.58,"note, with comma"'
    (land / "grid_signals" / "grid_20261017.csv").write_text("\n".join(g) + "\n")
    # a third: a workbook with a value beyond the header's columns
    e = [make_uscc("320902", f"MB{i:06d}") for i in range(5)]
    _xlsx(
        land / "heat_consumption" / "heat_2026-09.xlsx",
        [HEAT, *[[u, "2026-09", 100.0 + i, 0.0] for i, u in enumerate(e)]],
    )
    wb_rows = [HEAT, *[[u, "2026-09", 100.0 + i, 0.0] for i, u in enumerate(e)]]
    wb_rows[3] = [*wb_rows[3], "stray"]
    _xlsx(land / "heat_consumption" / "heat_2026-09.xlsx", wb_rows)

    s = _ingest(city, "electricity_consumption")
    lake = _lake_rows(city, "electricity_consumption", "date", date="2026-10-17")
    assert len(lake) == len(good)  # every good row of the file, none of the broken ones
    assert s["rejected"] == []
    q = _quarantine(city.home, "electricity_consumption")
    q = q[q.source_file == "meter_20261017.csv"]
    assert sorted(q.row_number) == sorted(ln - 1 for ln in bad)  # data row = line - 1
    assert set(q.check) == {"field_count"} and set(q.column) == {"*"}
    for ln in bad:
        (msg,) = q[q.row_number == ln - 1].failure_value
        assert msg.startswith(f"line {ln}: ")
    assert "quote left open" in q[q.row_number == 119].failure_value.iloc[0]
    # a ragged row of a dataset with raw IDs keeps no cell (a shifted ID could land anywhere)
    assert (q.account_id.fillna("") == "").all()
    rep = pipeline.report_path("electricity_consumption", "meter_20261017.csv", city.home)
    assert '"field_count": 5' in rep.read_text()

    _ingest(city, "grid_signals")
    grid = _lake_rows(city, "grid_signals", "date", date="2026-10-17")
    assert len(grid) == 22
    qg = _quarantine(city.home, "grid_signals")
    qg = qg[qg.source_file == "grid_20261017.csv"]
    assert sorted(zip(qg.row_number, qg.check, strict=True)) == [
        (7, "field_count"),
        (20, "field_count"),
    ]
    assert qg[qg.row_number == 7].failure_value.iloc[0] == "line 8: 3 fields, the header has 4"

    _ingest(city, "heat_consumption")
    heat = read_dataset("heat_consumption", city.home)
    assert sorted(heat[heat.month.astype(str) == "2026-09"].uscc) == sorted(e[:2] + e[3:])
    qh = _quarantine(city.home, "heat_consumption")
    qh = qh[qh.source_file == "heat_2026-09.xlsx"]
    assert list(zip(qh.row_number, qh.check, strict=True)) == [(3, "field_count")]
    assert qh.failure_value.iloc[0].startswith("row 4: ")


def test_a_trailing_comma_on_every_line_is_no_defect(city):
    land = city.home / "landing" / "electricity_consumption"
    rows = _meter_rows("2026-10-18", 0, 20)
    (land / "meter_20261018.csv").write_text("\n".join([METER + ",", *(r + "," for r in rows)]))
    _ingest(city, "electricity_consumption")
    assert len(_lake_rows(city, "electricity_consumption", "date", date="2026-10-18")) == 20


def _stage_reason(city, ds, name) -> str:
    with pytest.raises(RejectedFile) as exc:
        pipeline.stage_file(ds, name, city.home, today=city.today, secret=city.secret)
    return str(exc.value)


def test_not_text_files_say_so(city):
    land = city.home / "landing" / "electricity_consumption"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("meter.csv", METER + "\n")
    (land / "meter_20261019.csv").write_bytes(buf.getvalue())
    (land / "meter_20261020.csv").write_bytes(bytes(range(256)) * 16)
    (land / "meter_20261021.csv").write_bytes(b"\xff\xfe\xfd" * 100 + b"\x81\x30" * 50)
    assert "not a text file: it is a ZIP archive" in _stage_reason(
        city, "electricity_consumption", "meter_20261019.csv"
    )
    for name in ("meter_20261020.csv", "meter_20261021.csv"):
        msg = _stage_reason(city, "electricity_consumption", name)
        assert "not a text file" in msg and "missing required columns" not in msg, msg


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_decoded(city, encoding):
    """UTF-16 is read (with its BOM, or without one: detected from the NUL bytes of ASCII)."""
    land = city.home / "landing" / "electricity_consumption"
    rows = _meter_rows("2026-10-19", 0, 30)
    (land / "meter_20261019.csv").write_bytes(
        ("\r\n".join([METER, *rows]) + "\r\n").encode(encoding)
    )
    r = pipeline.stage_file(
        "electricity_consumption",
        "meter_20261019.csv",
        city.home,
        today=city.today,
        secret=city.secret,
    )
    assert r["rows_in"] == 30 and r["rows_ok"] == 30


def test_title_rows_above_the_header_are_skipped(city):
    land = city.home / "landing"
    rows = _meter_rows("2026-10-20", 0, 12)
    title = "盐城市 2026年10月20日 居民用电日报,,,,,"
    (land / "electricity_consumption" / "meter_20261020.csv").write_text(
        "\n".join([title, "制表：供电公司,,,,,", METER, *rows]) + "\n"
    )
    e = [make_uscc("320902", f"MC{i:06d}") for i in range(3)]
    _xlsx(  # a title row, an empty row, then the header
        land / "heat_consumption" / "heat_2026-08.xlsx",
        [["盐城市重点企业用热 2026年8月"], [None], HEAT] + [[u, "2026-08", 10.0, 0.0] for u in e],
    )
    _ingest(city, "electricity_consumption")
    assert len(_lake_rows(city, "electricity_consumption", "date", date="2026-10-20")) == 12
    _ingest(city, "heat_consumption")
    heat = read_dataset("heat_consumption", city.home)
    assert sorted(heat[heat.month.astype(str) == "2026-08"].uscc) == sorted(e)


def test_a_header_row_not_first_and_incomplete_says_so(city):
    land = city.home / "landing" / "electricity_consumption"
    (land / "meter_20261021.csv").write_text(
        "盐城市 居民用电日报\naccount_type,account_id,date,kwh,green_kwh\n"
        "household,3209100000001,2026-10-21,1,0\n"
    )
    msg = _stage_reason(city, "electricity_consumption", "meter_20261021.csv")
    assert "the header row is not the first row" in msg and "region_code" in msg, msg
    assert "duplicate column headers" not in msg
