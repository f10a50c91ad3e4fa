"""Pure-logic ingest tests (no Airflow): every defect kind is quarantined with its reason and every
good row reaches the lake; unit conversion; pseudonymisation; reports."""

from __future__ import annotations

import datetime
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from carbon.domain.datasets import DATASETS
from carbon.pipeline.contracts import CHECK_NAMES, schema
from carbon.pipeline.ingest import pipeline, pseudonym
from carbon.pipeline.lake import read_dataset


def _ingest_all(city) -> dict[str, dict]:
    return {
        ds: pipeline.ingest_dataset(ds, city.home, today=city.today, secret=city.secret)
        for ds in DATASETS
    }


def _quarantine(home, ds: str) -> pd.DataFrame:
    files = sorted((home / "quarantine" / ds).glob("*=*/quarantine.parquet"))
    if not files:
        return pd.DataFrame(columns=["source_file", "row_number", "check", "column"])
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def test_every_dataset_has_a_schema_with_named_checks():
    for ds in DATASETS:
        s = schema(ds, file_period="2026-10", today=datetime.date(2026, 11, 21))
        names = {c.name for col in s.columns.values() for c in col.checks} | {
            c.name for c in s.checks
        }
        assert names <= set(CHECK_NAMES), (ds, names - set(CHECK_NAMES))
        assert "unique_key" in names and "not_null" in names


def test_each_defect_is_quarantined_and_good_rows_reach_the_lake(city):
    summaries = _ingest_all(city)
    kinds = {d[3] for d in city.defects}
    assert kinds == set(CHECK_NAMES), set(CHECK_NAMES) - kinds  # the fixture covers every kind
    for ds, file, row, check, column in city.defects:
        q = _quarantine(city.home, ds)
        hit = q[(q.source_file == file) & (q.row_number == row) & (q.check == check)]
        assert len(hit) == 1, (ds, file, row, check, q[["source_file", "row_number", "check"]])
        assert hit.iloc[0]["column"] == column
    for ds, n in city.good_rows.items():
        lake = read_dataset(ds, city.home)
        assert len(lake) == n, (ds, len(lake), n)
        assert summaries[ds]["rows_ok"] == n
        assert summaries[ds]["rows_quarantined"] == len(
            {(d[1], d[2]) for d in city.defects if d[0] == ds}
        )


def test_parse_failure_is_per_row_with_original_text(city):
    pipeline.ingest_dataset(
        "electricity_consumption", city.home, today=city.today, secret=city.secret
    )
    q = _quarantine(city.home, "electricity_consumption")
    row = q[q.check == "parseable"].iloc[0]
    assert row["failure_value"] == "12,3a" and row["kwh"] == "12,3a"
    # the unparseable cell is not also reported as not_null
    assert not ((q.row_number == row.row_number) & (q.check == "not_null")).any()


def test_units_are_converted_and_originals_kept(city):
    pipeline.ingest_dataset("fuel_consumption", city.home, today=city.today, secret=city.secret)
    lake = read_dataset("fuel_consumption", city.home).set_index("fuel_code")
    assert lake.loc["coke", "quantity"] == pytest.approx(30_000.0)  # 30 kt -> t
    assert lake.loc["coke", "unit"] == "t" and lake.loc["coke", "unit_as_reported"] == "kt"
    assert lake.loc["coke", "quantity_as_reported"] == 30
    assert lake.loc["natural_gas", "unit"] == "10^4 Nm3"
    assert lake.loc["natural_gas", "quantity"] == pytest.approx(120.0)
    pipeline.ingest_dataset("low_carbon_activity", city.home, today=city.today, secret=city.secret)
    lca = read_dataset("low_carbon_activity", city.home).set_index("record_id")
    assert lca.loc["C1", "unit"] == "kWh" and lca.loc["C1", "quantity"] == pytest.approx(40.0)
    # a behaviour keeps a unit it lists: 12.5 km of metro is not 12.5 trips
    assert lca.loc["T2", "unit"] == "km" and lca.loc["T2", "quantity"] == pytest.approx(12.5)
    assert lca.loc["T1", "unit"] == "trips" and lca.loc["T1", "quantity"] == pytest.approx(2.0)


def test_keyed_hash_is_hmac_sha256_and_both_paths_agree():
    import hashlib
    import hmac

    import numpy as np

    raw = np.array([f"1{i:010d}" for i in range(50)], dtype=object)
    expect = [hmac.new(b"test-secret-h2", r.encode(), hashlib.sha256).hexdigest()[:32] for r in raw]
    assert list(pseudonym._hash_many_stdlib(raw, b"test-secret-h2")) == expect
    assert list(pseudonym.hash_values(raw, b"test-secret-h2")) == expect
    long_key = b"k" * 100  # keys over the block size are hashed first (RFC 2104)
    assert list(pseudonym.hash_values(raw[:3], long_key)) == [
        hmac.new(long_key, r.encode(), hashlib.sha256).hexdigest()[:32] for r in raw[:3]
    ]
    assert pseudonym.keyed_hash("x", b"test-secret-h2") != pseudonym.keyed_hash(
        "x", b"test-secret-h2" + b"2"
    )


def test_household_key_matches_across_datasets_and_no_raw_ids(city, scan_raw):
    _ingest_all(city)
    hh = read_dataset("households", city.home)
    meters = read_dataset("electricity_consumption", city.home)
    household_meters = set(meters.loc[meters.account_type == "household", "account_id"])
    first = pseudonym.keyed_hash("3209000000001", city.secret)  # hh[0] of the fixture
    assert first in household_meters and first in set(hh["household_key"])
    assert "person_key" in read_dataset("low_carbon_activity", city.home).columns
    for sub in ("lake", "quarantine", "reports", "staging"):
        assert scan_raw(city.home / sub, city.raw_ids) == []


def test_load_reports(city):
    _ingest_all(city)
    rep = json.loads(
        (city.home / "reports/electricity_consumption/meter_20261015.csv.json").read_text()
    )
    assert rep["status"] == "loaded" and rep["rows_in"] == 12
    assert rep["rows_ok"] + rep["rows_quarantined"] == rep["rows_in"]
    assert rep["failures_by_check"]["unique_key"] == 1
    assert rep["partitions_written"] == ["2026-10-15"] and len(rep["sha256"]) == 64
    assert not (city.home / "reports/regions/_notes.csv.json").exists()  # _files are ignored


def test_exact_copy_under_another_name_is_loaded_once(city):
    land = city.home / "landing" / "electricity_consumption"
    src = (land / "meter_20261016.csv").read_bytes()
    (land / "meter_20261016_resend.csv").write_bytes(src)
    s = pipeline.ingest_dataset(
        "electricity_consumption", city.home, today=city.today, secret=city.secret
    )
    lake = read_dataset("electricity_consumption", city.home)
    assert len(lake) == city.good_rows["electricity_consumption"]
    reps = city.home / "reports/electricity_consumption"
    copy = json.loads((reps / "meter_20261016_resend.csv.json").read_text())
    first = json.loads((reps / "meter_20261016.csv.json").read_text())
    # the copy delivered last holds the rows; the first delivery is superseded whole
    assert copy["rows_ok"] == 2 and copy["supersedes"] == {"meter_20261016.csv": 2}
    assert "unique_key" not in copy["failures_by_check"] and copy["rows_quarantined"] == 1
    assert first["status"] == "superseded" and first["rows_ok"] == 0
    assert first["superseded_by"] == {"meter_20261016_resend.csv": 2}
    assert first["exact_copy_of"] == "meter_20261016_resend.csv"
    assert first["rows_superseded"] == 3 and first["rows_quarantined"] == 0
    q = pd.concat(
        pq.read_table(f).to_pandas()
        for f in (city.home / "quarantine/electricity_consumption").glob("*=*/*.parquet")
    )
    assert "unique_key" not in set(q[q.source_file.str.startswith("meter_20261016")].check)
    assert len(q[q.source_file.str.startswith("meter_20261016")]) == 1  # one copy of the bad row
    assert s["rows_ok"] == city.good_rows["electricity_consumption"]


def test_future_dates_fail_date_in_period(city):
    land = city.home / "landing" / "grid_signals"
    (land / "grid_20261015.csv").unlink()
    (land / "grid_latest.csv").write_text(
        "province_code,ts,price_cny_per_kwh,carbon_intensity_kg_per_kwh\n"
        "320000,2026-11-20 10:00:00,0.6,0.5\n320000,2030-01-01 10:00:00,0.6,0.5\n"
    )
    pipeline.ingest_dataset("grid_signals", city.home, today=city.today, secret=city.secret)
    q = _quarantine(city.home, "grid_signals")
    assert list(q.check) == ["date_in_period"] and list(q.row_number) == [2]
    assert len(read_dataset("grid_signals", city.home)) == 1


def test_dataset_docs_follow_the_contracts():
    from carbon.demo.dataset_docs import DOCS, render

    for ds in DATASETS:
        assert (DOCS / f"{ds}.md").read_text(encoding="utf-8") == render(ds), (
            f"docs/datasets/{ds}.md is stale: run `./run.sh python -m carbon.demo.dataset_docs`"
        )


def test_compiled_kernels_write_the_same_lake_as_the_plain_paths(city, tmp_path, monkeypatch):
    """Small files take Python's ``hmac`` and Arrow's encoding; large ones the numba kernels.
    Forcing the kernels on the whole fixture city gives byte-identical lake and quarantine files."""
    import shutil

    from carbon import config

    _ingest_all(city)
    other = tmp_path / "compiled"
    shutil.copytree(city.home / "landing", other / "landing")
    monkeypatch.setattr(config, "COMPILED_MIN", 0)
    for ds in DATASETS:
        pipeline.ingest_dataset(ds, other, today=city.today, secret=city.secret)
    for sub in ("lake", "quarantine"):
        plain = {
            p.relative_to(city.home): p.read_bytes() for p in (city.home / sub).rglob("*.parquet")
        }
        fast = {p.relative_to(other): p.read_bytes() for p in (other / sub).rglob("*.parquet")}
        assert plain and plain.keys() == fast.keys()
        assert [k for k in plain if plain[k] != fast[k]] == []
