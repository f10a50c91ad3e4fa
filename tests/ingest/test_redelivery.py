"""A sender's second delivery (issue 9, item 7): the latest delivery wins per key.

"Latest" is the landing file's modification time (when it arrived), then its name. The lake ends
with one copy of each row, holding the corrected value; nothing is quarantined as a duplicate
key; the load reports say which file superseded which; reruns give the same bytes."""

from __future__ import annotations

import hashlib
import json
import os

import pyarrow.parquet as pq

from carbon.pipeline.ingest import pipeline, pseudonym

DS = "electricity_consumption"
HEADER = "account_type,account_id,region_code,date,kwh,green_kwh\n"
SECRET = b"redelivery-secret"
DAY = "2026-10-31"


def _rows(kwh: dict[int, str]) -> str:
    return "".join(f"household,32090{i:08d},320902,{DAY},{v},0\n" for i, v in kwh.items())


def _land(home, name: str, body: str, mtime: int) -> None:
    d = home / "landing" / DS
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(HEADER + body)
    os.utime(d / name, ns=(mtime, mtime))


def _ingest(home) -> dict:
    return pipeline.ingest_dataset(DS, home, secret=SECRET)


def _lake(home) -> dict[str, float]:
    t = pq.read_table(home / "lake" / DS / f"date={DAY}" / "part-0.parquet")
    ids, kwh = t["account_id"].to_pylist(), t["kwh"].to_pylist()
    assert len(set(ids)) == len(ids)  # one copy of each row
    return dict(zip(ids, kwh, strict=True))


def _report(home, name: str) -> dict:
    return json.loads((home / "reports" / DS / f"{name}.json").read_text())


def _digests(home) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("lake", "quarantine")
        for p in sorted((home / sub).rglob("*.parquet"))
    }


def _pid(i: int) -> str:
    return pseudonym.keyed_hash(f"32090{i:08d}", SECRET)


def test_corrected_file_for_a_day_already_loaded_supersedes_it(tmp_path):
    first = {i: "3.5" for i in range(1, 11)}
    _land(tmp_path, "meter_20261031.csv", _rows(first), 1_000_000_000_000_000_000)
    _ingest(tmp_path)  # night 1
    assert _lake(tmp_path)[_pid(4)] == 3.5
    # night 2: the grid company re-delivers the day, one reading corrected; its name sorts
    # BEFORE the original's, so only the delivery time says which is the correction
    corrected = {**first, 4: "4.75"}
    _land(tmp_path, "a_meter_20261031_corrected.csv", _rows(corrected), 1_000_000_100_000_000_000)
    s = _ingest(tmp_path)
    lake = _lake(tmp_path)
    assert len(lake) == 10 and lake[_pid(4)] == 4.75 and lake[_pid(5)] == 3.5
    assert s["rows_ok"] == 10 and s["rows_quarantined"] == 0 and s["rows_superseded"] == 10
    assert "unique_key" not in s["failures_by_check"]
    assert not (tmp_path / "quarantine" / DS / f"date={DAY}" / "quarantine.parquet").exists()
    old, new = (
        _report(tmp_path, "meter_20261031.csv"),
        _report(tmp_path, "a_meter_20261031_corrected.csv"),
    )
    assert old["status"] == "superseded" and old["rows_ok"] == 0
    assert old["superseded_by"] == {"a_meter_20261031_corrected.csv": 10}
    assert new["status"] == "loaded" and new["supersedes"] == {"meter_20261031.csv": 10}
    assert s["superseded"] == {"meter_20261031.csv": {"a_meter_20261031_corrected.csv": 10}}
    # the rerun over the same landing: the same bytes
    before = _digests(tmp_path)
    _ingest(tmp_path)
    assert _digests(tmp_path) == before


def test_partial_correction_replaces_only_its_keys(tmp_path):
    _land(tmp_path, "meter_20261031.csv", _rows({i: "3.5" for i in range(1, 6)}), 10**18)
    _land(tmp_path, "meter_20261031_fix.csv", _rows({2: "0.5", 9: "1.25"}), 10**18 + 10**9)
    s = _ingest(tmp_path)
    lake = _lake(tmp_path)
    assert lake == {
        _pid(1): 3.5,
        _pid(3): 3.5,
        _pid(4): 3.5,
        _pid(5): 3.5,
        _pid(2): 0.5,
        _pid(9): 1.25,
    }
    assert s["rows_ok"] == 6 and s["rows_superseded"] == 1
    assert _report(tmp_path, "meter_20261031.csv")["rows_ok"] == 4
    assert _report(tmp_path, "meter_20261031.csv")["status"] == "loaded"


def test_same_time_falls_back_to_the_name(tmp_path):
    t = 10**18
    _land(tmp_path, "meter_20261031.csv", _rows({1: "1"}), t)
    _land(tmp_path, "meter_20261031_v2.csv", _rows({1: "2"}), t)
    _ingest(tmp_path)
    assert _lake(tmp_path) == {_pid(1): 2.0}
