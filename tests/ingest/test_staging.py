"""Staging: a file's good rows are staged as a finished lake file, written optimistically while the
contract runs, and a partition fed by one file is that file put in place by a hard link.

- a clean file: the lake partition is the staged file (same inode), no row-number file;
- a file with failing rows (a range failure, and an empty required cell, which the optimistic
  all-rows write cannot even hold): the write is redone with the good rows only, in order, and
  their row numbers are kept;
- two files feeding one partition: rewritten together, the second file's repeat of a key is
  quarantined with its own row number in its landing file;
- a crash while a staged file is put in place leaves the old partition as it was; where hard
  links are refused, the staged file is copied; publishing the same staged file again (a retried
  task) changes nothing and leaves no temporary file;
- a partition whose file now has no good row of it is removed, not left with the old rows.
"""

from __future__ import annotations

import datetime as dt
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon.pipeline import lake
from carbon.pipeline.ingest import pipeline

DS = "electricity_consumption"
TODAY = dt.date(2026, 11, 21)
SECRET = b"test-secret-staging"
HEADER = "account_type,account_id,region_code,date,kwh,green_kwh\n"


def _row(i: int, kwh: str = "3.5") -> str:
    return f"household,32090{i:08d},320902,2026-10-31,{kwh},0\n"


def _land(home, name: str, rows: list[str]) -> None:
    d = home / "landing" / DS
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(HEADER + "".join(rows))


def _ingest(home) -> dict:
    return pipeline.ingest_dataset(DS, home, today=TODAY, secret=SECRET)


def _lake(home) -> pa.Table:
    return pq.read_table(home / "lake" / DS / "date=2026-10-31" / "part-0.parquet")


def _quarantine(home) -> pa.Table:
    return pq.read_table(home / "quarantine" / DS / "date=2026-10-31" / "quarantine.parquet")


def test_clean_file_becomes_the_partition_by_link(tmp_path):
    _land(tmp_path, "meter_20261031.csv", [_row(i) for i in range(1, 6)])
    s = _ingest(tmp_path)
    assert s["rows_ok"] == 5 and s["rows_quarantined"] == 0
    part = tmp_path / "lake" / DS / "date=2026-10-31" / "part-0.parquet"
    staged = pipeline.staged_good_path(DS, "meter_20261031.csv", "2026-10-31", tmp_path)
    assert os.path.samefile(part, staged)  # no copy
    assert not pipeline.staged_rows_path(DS, "meter_20261031.csv", "2026-10-31", tmp_path).exists()
    assert _lake(tmp_path).schema == lake.lake_schema(DS)
    before = part.read_bytes()
    # a resent file with other readings: staging it again must not touch the published partition
    _land(tmp_path, "meter_20261031.csv", [_row(i, "4.5") for i in range(1, 6)])
    pipeline.stage_file(DS, "meter_20261031.csv", tmp_path, today=TODAY, secret=SECRET)
    assert part.read_bytes() == before
    _ingest(tmp_path)
    assert _lake(tmp_path)["kwh"].to_pylist() == [4.5] * 5


def test_failing_rows_redo_the_optimistic_write(tmp_path):
    rows = [_row(1), _row(2), _row(3, "-7"), _row(4), _row(5, ""), _row(6)]
    _land(tmp_path, "meter_20261031.csv", rows)
    s = _ingest(tmp_path)
    assert s["rows_ok"] == 4 and s["failures_by_check"] == {"not_null": 1, "range": 1}
    ids = [pipeline.pseudonym.keyed_hash(f"32090{i:08d}", SECRET) for i in (1, 2, 4, 6)]
    assert _lake(tmp_path)["account_id"].to_pylist() == ids  # delivery order, bad rows out
    rows_file = pipeline.staged_rows_path(DS, "meter_20261031.csv", "2026-10-31", tmp_path)
    with pa.memory_map(str(rows_file)) as src:
        assert pa.ipc.open_file(src).read_all()["__row_number"].to_pylist() == [1, 2, 4, 6]
    q = _quarantine(tmp_path)
    assert sorted(zip(q["row_number"].to_pylist(), q["check"].to_pylist(), strict=True)) == [
        (3, "range"),
        (5, "not_null"),
    ]


def test_two_files_of_one_partition_keep_their_row_numbers(tmp_path):
    _land(tmp_path, "meter_20261031.csv", [_row(i) for i in range(1, 4)])
    # the resend: row 1 fails, row 2 repeats the first file's account 2, rows 3-4 are new
    _land(
        tmp_path,
        "meter_20261031_resend.csv",
        [_row(9, "x"), _row(2, "9.0"), _row(7), _row(8)],
    )
    s = _ingest(tmp_path)
    assert s["rows_ok"] == 5 and s["rows_quarantined"] == 1 and s["rows_superseded"] == 1
    got = _lake(tmp_path)
    ids = [pipeline.pseudonym.keyed_hash(f"32090{i:08d}", SECRET) for i in (1, 3, 2, 7, 8)]
    assert got["account_id"].to_pylist() == ids  # file name, then row
    assert got["kwh"].to_pylist()[2] == 9.0  # the later delivery's reading of account 2 wins
    q = _quarantine(tmp_path).to_pylist()
    assert [(r["source_file"], r["row_number"], r["check"]) for r in q] == [
        ("meter_20261031_resend.csv", 1, "parseable"),
    ]
    part = tmp_path / "lake" / DS / "date=2026-10-31" / "part-0.parquet"
    assert part.stat().st_nlink == 1  # written anew, not a staged file


def test_crash_while_publishing_leaves_the_old_partition(tmp_path, monkeypatch):
    _land(tmp_path, "meter_20261031.csv", [_row(i) for i in range(1, 4)])
    _ingest(tmp_path)
    part = tmp_path / "lake" / DS / "date=2026-10-31" / "part-0.parquet"
    before = part.read_bytes()
    _land(tmp_path, "meter_20261031.csv", [_row(i, "8") for i in range(1, 4)])

    def crash(src, dst):
        raise OSError("injected failure while renaming")

    results = [pipeline.stage_file(DS, "meter_20261031.csv", tmp_path, today=TODAY, secret=SECRET)]
    monkeypatch.setattr(lake.os, "replace", crash)
    with pytest.raises(OSError, match="injected failure"):
        pipeline.write_partition_value(DS, "2026-10-31", results, tmp_path)
    assert part.read_bytes() == before
    assert [p.name for p in part.parent.iterdir()] == ["part-0.parquet"]  # no temp file left


def test_publish_copies_where_links_are_refused(tmp_path, monkeypatch):
    """Staging and lake on different file systems (or links not allowed): a copy, same bytes."""
    _land(tmp_path, "meter_20261031.csv", [_row(i) for i in range(1, 4)])

    def no_link(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(lake.os, "link", no_link)
    _ingest(tmp_path)
    part = tmp_path / "lake" / DS / "date=2026-10-31" / "part-0.parquet"
    staged = pipeline.staged_good_path(DS, "meter_20261031.csv", "2026-10-31", tmp_path)
    assert not os.path.samefile(part, staged) and part.read_bytes() == staged.read_bytes()
    assert part.stat().st_nlink == 1 and len(_lake(tmp_path)) == 3


def test_publishing_again_is_a_no_op(tmp_path):
    """A retried write task publishes the same staged file again: nothing changes, and no hidden
    temporary file is left (renaming a hard link onto its own file does nothing)."""
    _land(tmp_path, "meter_20261031.csv", [_row(i) for i in range(1, 4)])
    results = [pipeline.stage_file(DS, "meter_20261031.csv", tmp_path, today=TODAY, secret=SECRET)]
    for _ in range(2):
        pipeline.write_partition_value(DS, "2026-10-31", results, tmp_path)
    part = tmp_path / "lake" / DS / "date=2026-10-31" / "part-0.parquet"
    assert [p.name for p in part.parent.iterdir()] == ["part-0.parquet"]
    assert len(_lake(tmp_path)) == 3


def test_partition_without_good_rows_is_removed(tmp_path):
    """A resent file whose every row now fails: the partition's earlier rows must not stay in
    the lake (its report says 0 rows ok), and a rerun gives the same state."""
    _land(tmp_path, "meter_20261031.csv", [_row(i) for i in range(1, 4)])
    _ingest(tmp_path)
    folder = tmp_path / "lake" / DS / "date=2026-10-31"
    assert (folder / "part-0.parquet").exists()
    _land(tmp_path, "meter_20261031.csv", [_row(i, "-1") for i in range(1, 4)])
    for _ in range(2):
        s = _ingest(tmp_path)
        assert s["rows_ok"] == 0 and s["rows_quarantined"] == 3 and s["partitions"] == []
        assert not folder.exists()
        assert _quarantine(tmp_path).num_rows == 3
    assert lake.read_dataset(DS, tmp_path).empty
