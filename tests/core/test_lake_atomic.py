"""The lake writer: atomic, idempotent, deterministic."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from carbon.pipeline import lake


def _rows(n: int, kwh: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_type": ["household"] * n,
            "account_id": [f"k{i:04d}" for i in range(n)],
            "region_code": ["320902"] * n,
            "date": [dt.date(2026, 10, 1)] * n,
            "kwh": [kwh] * n,
            "green_kwh": [0.0] * n,
        }
    )


def test_rewrite_is_byte_identical(tmp_path):
    p1 = lake.write_partition(
        "electricity_consumption", "date", "2026-10-01", _rows(50), home=tmp_path
    )
    b1 = p1.read_bytes()
    p2 = lake.write_partition(
        "electricity_consumption", "date", "2026-10-01", _rows(50), home=tmp_path
    )
    assert p1 == p2 and p2.read_bytes() == b1
    assert len(lake.read_dataset("electricity_consumption", tmp_path)) == 50


def test_failure_mid_write_leaves_old_partition_visible(tmp_path):
    lake.write_partition("electricity_consumption", "date", "2026-10-01", _rows(10), home=tmp_path)
    with pytest.raises(OSError, match="injected failure"):
        lake.write_partition(
            "electricity_consumption",
            "date",
            "2026-10-01",
            _rows(99, 5.0),
            home=tmp_path,
            _fail_after_bytes=1000,
        )
    df = lake.read_dataset("electricity_consumption", tmp_path)
    assert len(df) == 10 and (df.kwh == 1.0).all()
    leftovers = [
        p for p in (tmp_path / "lake").rglob("*") if p.is_file() and p.name != "part-0.parquet"
    ]
    assert leftovers == []


def test_failure_on_first_write_leaves_no_partition(tmp_path):
    with pytest.raises(OSError):
        lake.write_partition(
            "electricity_consumption",
            "date",
            "2026-10-02",
            _rows(5),
            home=tmp_path,
            _fail_after_bytes=10,
        )
    assert lake.list_partitions("electricity_consumption", tmp_path) == []
