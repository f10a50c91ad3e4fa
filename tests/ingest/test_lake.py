"""The lake: three readers agree, reruns are byte-identical, a crash mid-write leaves nothing visible,
and malformed files are rejected whole while the other files still load."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastparquet import ParquetFile

from carbon.domain.datasets import DATASETS
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.ingest.readers import RejectedFile
from carbon.pipeline.lake import list_partitions, read_dataset, write_partition


def _ingest_all(city) -> None:
    for ds in DATASETS:
        pipeline.ingest_dataset(ds, city.home, today=city.today, secret=city.secret)


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):  # naive = UTC (or a date)
            s = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif s.dtype == object and len(s) and hasattr(s.dropna().iloc[0], "isoformat"):
            s = pd.to_datetime(s).dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif pd.api.types.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean":
            s = s.astype("boolean")
        elif pd.api.types.is_float_dtype(s.dtype):
            s = s.astype("float64")
        elif pd.api.types.is_integer_dtype(s.dtype):
            s = s.astype("Int64")
        else:
            s = s.astype("object").where(s.notna(), None)
        out[c] = s.reset_index(drop=True)
    return pd.DataFrame(out)


def test_three_readers_agree_on_every_partition(city):
    _ingest_all(city)
    files = [f for ds in DATASETS for f in list_partitions(ds, city.home)]
    # every dataset the hand-made city lands has at least one partition (it lands no park data)
    landed = [ds for ds in DATASETS if (city.home / "landing" / ds).exists()]
    assert len(landed) >= 11 and len(files) >= len(landed)
    con = duckdb.connect()
    for f in files:
        a = _normalise(pq.read_table(f).to_pandas())
        b = ParquetFile(str(f)).to_pandas()
        key, value = f.parent.name.split("=")
        if key in b.columns and key not in a.columns:  # fastparquet adds the hive column
            assert set(b.pop(key).astype(str)) == {value}
        b = _normalise(b)
        c = _normalise(
            con.execute("select * from read_parquet(?, hive_partitioning=false)", [str(f)]).df()
        )
        assert list(a.columns) == list(b.columns) == list(c.columns), f
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_dtype=True, obj=f"fastparquet {f}")
        pd.testing.assert_frame_equal(a, c, check_dtype=True, obj=f"duckdb {f}")


def _digests(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("lake", "quarantine")
        for p in sorted((root / sub).rglob("*.parquet"))
    }


def test_rerun_gives_byte_identical_partitions(city):
    _ingest_all(city)
    first = _digests(city.home)
    _ingest_all(city)
    assert _digests(city.home) == first
    assert (
        len(read_dataset("electricity_consumption", city.home))
        == city.good_rows["electricity_consumption"]
    )


def test_failure_mid_write_leaves_no_partial_partition(city):
    pipeline.ingest_dataset("grid_signals", city.home, today=city.today, secret=city.secret)
    (part,) = list_partitions("grid_signals", city.home)
    before = part.read_bytes()
    table = pq.read_table(part)
    with pytest.raises(OSError, match="injected failure"):
        write_partition(
            "grid_signals",
            "date",
            "2026-10-15",
            table.slice(0, 3),
            home=city.home,
            _fail_after_bytes=100,
        )
    assert part.read_bytes() == before  # the old partition is intact
    assert [p.name for p in part.parent.iterdir()] == ["part-0.parquet"]  # no temp file left
    with pytest.raises(OSError):
        write_partition(
            "grid_signals", "date", "2026-10-16", table, home=city.home, _fail_after_bytes=10
        )
    assert not (part.parent.parent / "date=2026-10-16" / "part-0.parquet").exists()
    assert len(read_dataset("grid_signals", city.home)) == city.good_rows["grid_signals"]


def test_malformed_files_are_rejected_whole_and_others_still_load(city):
    land = city.home / "landing"
    (land / "electricity_consumption" / "meter_20261017.csv").write_text(
        "account_type,account_id,date,kwh,green_kwh\nhousehold,3209000000001,2026-10-17,3,0\n"
    )
    (land / "fuel_consumption" / "fuel_2026-09.xlsx").write_bytes(bytes(range(256)) * 40)
    (land / "fuel_consumption" / "fuel_empty.xlsx").write_bytes(b"")
    with pytest.raises(
        RejectedFile, match=r"meter_20261017.csv.*missing required columns.*region_code"
    ):
        pipeline.stage_file(
            "electricity_consumption",
            "meter_20261017.csv",
            city.home,
            today=city.today,
            secret=city.secret,
        )
    s_el = pipeline.ingest_dataset(
        "electricity_consumption", city.home, today=city.today, secret=city.secret
    )
    s_fu = pipeline.ingest_dataset(
        "fuel_consumption", city.home, today=city.today, secret=city.secret
    )
    assert [r["file"] for r in s_el["rejected"]] == ["meter_20261017.csv"]
    assert s_el["rejected"][0]["columns"] == ["region_code"]
    assert sorted(r["file"] for r in s_fu["rejected"]) == ["fuel_2026-09.xlsx", "fuel_empty.xlsx"]
    assert all("XLSX" in r["reason"] for r in s_fu["rejected"])
    # every good row of the other files is there
    assert (
        len(read_dataset("electricity_consumption", city.home))
        == city.good_rows["electricity_consumption"]
    )
    assert len(read_dataset("fuel_consumption", city.home)) == city.good_rows["fuel_consumption"]
    rej = city.home / "quarantine" / "fuel_consumption" / "_rejected"
    assert (rej / "fuel_2026-09.xlsx").exists()
    assert "unreadable XLSX" in (rej / "fuel_2026-09.xlsx.reason.txt").read_text()
    # a file with raw IDs is not copied into quarantine: only its reason
    erej = city.home / "quarantine" / "electricity_consumption" / "_rejected"
    assert sorted(p.name for p in erej.iterdir()) == ["meter_20261017.csv.reason.txt"]
    rep = json.loads(
        (city.home / "reports/electricity_consumption/meter_20261017.csv.json").read_text()
    )
    assert rep["status"] == "rejected" and rep["columns"] == ["region_code"]
