"""Closing, listing and reopening ledger months: every event kept, in order, append-only; the
dbt staging model sees exactly the months whose latest event is a close."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carbon.config import REPO_ROOT
from carbon.domain import periods
from carbon.pipeline.warehouse import months


def carbon(home, *args):
    return subprocess.run(
        [sys.executable, "-m", "carbon.cli", "--home", str(home), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_close_list_reopen_close_again_through_the_cli(tmp_path):
    home = tmp_path / "h"
    p = carbon(home, "ledgers", "close-month", "2026-09", "--by", "Li Wei", "--reason", "Q3 done")
    assert p.returncode == 0, p.stderr
    # closing it again records nothing and says so
    again = carbon(home, "ledgers", "close-month", "2026-09", "--by", "Li Wei")
    assert again.returncode == 1 and "already closed" in again.stdout
    # reopening an open month records nothing
    nope = carbon(home, "ledgers", "reopen-month", "2026-08", "--by", "Li", "--reason", "why not")
    assert nope.returncode == 1 and "is not closed" in nope.stdout
    listed = carbon(home, "ledgers", "months")
    assert listed.returncode == 0
    assert "2026-09" in listed.stdout and "closed" in listed.stdout, listed.stdout
    r = carbon(
        home,
        "ledgers",
        "reopen-month",
        "2026-09",
        "--by",
        "Zhang Min",
        "--reason",
        "late meter file",
    )
    assert r.returncode == 0, r.stderr
    listed = carbon(home, "ledgers", "months")
    assert "open" in listed.stdout and "late meter file" in listed.stdout, listed.stdout
    assert carbon(home, "ledgers", "close-month", "2026-09", "--by", "Li Wei").returncode == 0
    hist = carbon(home, "ledgers", "months", "--history")
    cells = [ln.replace("│", " ").split() for ln in hist.stdout.splitlines()]  # a rich table
    lines = [w for w in cells if w and w[0] == "2026-09"]
    assert [w[1:3] for w in lines] == [["1", "close"], ["2", "reopen"], ["3", "close"]]
    # the record itself: three rows, the first two unchanged by the later events
    rows = pq.read_table(
        home / "lake/ledger_closed_months/month=2026-09/part-0.parquet"
    ).to_pylist()
    assert [(r["seq"], r["event"], r["event_by"]) for r in rows] == [
        (1, "close", "Li Wei"),
        (2, "reopen", "Zhang Min"),
        (3, "close", "Li Wei"),
    ]
    assert rows[0]["reason"] == "Q3 done" and rows[1]["reason"] == "late meter file"
    assert rows[1]["closed_at"] is None and rows[2]["closed_by"] == "Li Wei"
    assert months.closed_months(home) == ["2026-09"]


def test_a_month_can_be_closed_only_after_it_ended(tmp_path):
    today = dt.date(2026, 11, 1)
    months.close("2026-10", "x", home=tmp_path, today=today)  # ended yesterday
    for m, why in (("2026-11", "has not ended yet"), ("2026-12", "is in the future")):
        with pytest.raises(periods.BadValue, match=why):
            months.close(m, "x", home=tmp_path, today=today)
    with pytest.raises(periods.BadValue, match="month 13 does not exist"):
        months.close("2026-13", "x", home=tmp_path, today=today)
    assert months.closed_months(tmp_path) == ["2026-10"]


def test_a_first_version_record_still_reads_as_closed(tmp_path):
    """Rows written before reopening existed (closed_at / closed_by only) read as a close."""
    part = tmp_path / "lake/ledger_closed_months/month=2025-12/part-0.parquet"
    part.parent.mkdir(parents=True)
    pq.write_table(
        pa.table({"closed_at": ["2026-01-05T00:00:00+00:00"], "closed_by": ["carbon"]}), part
    )
    assert months.closed_months(tmp_path) == ["2025-12"]
    months.reopen("2025-12", "auditor", "restated December", home=tmp_path)
    rows = pq.read_table(part).to_pylist()
    assert [(r["seq"], r["event"], r["event_by"], r["closed_at"]) for r in rows] == [
        (1, "close", "carbon", "2026-01-05T00:00:00+00:00"),
        (2, "reopen", "auditor", None),
    ]
    assert months.closed_months(tmp_path) == []


@pytest.mark.slow
def test_dbt_staging_lists_the_months_closed_now(tmp_path):
    """Real dbt over real Parquet: a first-version partition, a closed-reopened-closed month, a
    reopened month. stg_lake__ledger_closed_months = months whose latest event is a close."""
    import duckdb

    from carbon.pipeline.warehouse import build as ledgers

    home = tmp_path / "h"
    legacy = home / "lake/ledger_closed_months/month=2025-11/part-0.parquet"
    legacy.parent.mkdir(parents=True)
    pq.write_table(
        pa.table({"closed_at": ["2025-12-03T09:00:00+08:00"], "closed_by": ["old"]}), legacy
    )
    today = dt.date(2026, 11, 2)
    months.close("2026-01", "a", home=home, today=today)
    months.reopen("2026-01", "b", "late data", home=home)
    months.close("2026-01", "c", home=home, today=today)
    months.close("2026-02", "a", home=home, today=today)
    months.reopen("2026-02", "b", "restatement", home=home)
    r = ledgers.build(home, select=["stg_lake__ledger_closed_months"], raise_on_error=False)
    assert r.ok, r.failures
    con = duckdb.connect(str(home / "warehouse/carbon.duckdb"), read_only=True)
    try:
        got = con.execute(
            "select month, closed_by from staging.stg_lake__ledger_closed_months order by 1"
        ).fetchall()
    finally:
        con.close()
    assert got == [("2025-11", "old"), ("2026-01", "c")]
