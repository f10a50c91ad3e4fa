"""A writer SIGKILLed in the middle of a partition write (issue 9, item 4): real processes.

A child process ingests one day of meter data fed by two landing files, so the partition is
rebuilt by ``write_partition``; an injected pause inside the Parquet write (after half the bytes
are on disk) lets the parent SIGKILL it there. Afterwards DuckDB's analyst glob
``read_parquet('<lake>/<dataset>/**/*.parquet')`` must still read the dataset, and the rerun
must remove the stale temporary and give the same bytes as a clean run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from carbon.pipeline.lake import is_temporary

DATASET = "electricity_consumption"
HEADER = "account_type,account_id,region_code,date,kwh,green_kwh\n"

CHILD = r"""
import os, sys, time
from pathlib import Path
import pyarrow.parquet as pq

home, ready, pause_on = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "1"
real = pq.write_table

def paused_write(table, where, *a, **k):
    if pause_on and table.num_rows == 2200:  # the partition of two files, not a staged part
        import io
        buf = io.BytesIO()
        real(table, buf, *a, **k)
        where.write(buf.getvalue()[: len(buf.getvalue()) // 2])  # half the file on disk
        where.flush()
        ready.write_text(str(os.getpid()))
        time.sleep(600)  # killed here
    return real(table, where, *a, **k)

pq.write_table = paused_write
from carbon.pipeline.ingest import pipeline
pipeline.ingest_dataset("electricity_consumption", home, secret=b"kill-test")
"""


def _landing(home: Path, first: int, n: int, name: str) -> None:
    rows = "".join(
        f"household,{3209000000000 + i},320902,2026-10-20,{i % 97}.5,0\n"
        for i in range(first, first + n)
    )
    d = home / "landing" / DATASET
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(HEADER + rows)


def _run(home: Path, pause: bool, ready: Path) -> subprocess.Popen:
    env = dict(os.environ, CARBON_PSEUDONYM_SECRET="kill-test")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(ready), "1" if pause else "0"], env=env
    )


def _lake_bytes(home: Path) -> dict[str, bytes]:
    root = home / "lake" / DATASET
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _duckdb_rows(home: Path) -> int:
    glob = str(home / "lake" / DATASET / "**" / "*.parquet")
    con = duckdb.connect()
    try:
        return con.execute(f"select count(*) from read_parquet('{glob}')").fetchone()[0]
    finally:
        con.close()


def test_sigkill_mid_partition_write_leaves_lake_readable_and_rerun_converges(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for home in (clean, killed):
        _landing(home, 0, 1500, "meter_20261020_a.csv")
    ready = tmp_path / "ready"
    assert _run(killed, False, ready).wait(300) == 0  # night 1: file a only
    for home in (clean, killed):  # night 2: file b arrives for the same day
        _landing(home, 1500, 700, "meter_20261020_b.csv")
    assert _run(clean, False, ready).wait(300) == 0
    expected = _lake_bytes(clean)
    assert _duckdb_rows(clean) == 2200

    child = _run(killed, True, ready)
    deadline = time.monotonic() + 300
    while not ready.exists():
        assert child.poll() is None, "the child ended before the injected pause"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(60) == -signal.SIGKILL

    left = [p.name for p in (killed / "lake").rglob("*") if p.is_file()]
    assert any(is_temporary(n) for n in left), left  # the killed write's half temporary
    assert _duckdb_rows(killed) == 1500  # night 1's partition, read; the temporary not seen

    # and one of the earlier naming scheme, which the glob did match
    old = killed / "lake" / DATASET / "date=2026-10-20" / ".tmp-0123abcd-part-0.parquet"
    old.write_bytes(b"PAR1\0\0")
    assert _run(killed, False, ready).wait(300) == 0  # the rerun
    assert _lake_bytes(killed) == expected  # no stale temporary, the same bytes as a clean run
    assert _duckdb_rows(killed) == 2200
