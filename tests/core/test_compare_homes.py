"""scripts/compare_homes.py finds every kind of difference it claims to, and ignores only the
run's wall-clock / build-id columns."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("compare_homes", REPO / "scripts/compare_homes.py")
compare_homes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_homes)


def _home(root: Path, planned_at: str = "2026-12-03 10:00:00+08", build_id: str = "b1") -> Path:
    (root / "lake/regions/year=2025").mkdir(parents=True)
    pq.write_table(
        pa.table({"region_code": ["320902"], "population": [1]}),
        root / "lake/regions/year=2025/part-0.parquet",
    )
    (root / "lake/dispatch_kpis/plan=2026-12-04__dc1").mkdir(parents=True)
    pq.write_table(
        pa.table({"site_id": ["dc1"], "cost_cny": [1.5], "planned_at": [planned_at]}),
        root / "lake/dispatch_kpis/plan=2026-12-04__dc1/part-0.parquet",
    )
    (root / "warehouse").mkdir()
    con = duckdb.connect(str(root / "warehouse/carbon.duckdb"))
    con.execute(
        "create table ledger_entries as select * from (values"
        f" ('e-{build_id}-1', 'enterprise', 12.25::double, '{build_id}'),"
        f" ('e-{build_id}-2', 'enterprise', 0.1::double + 0.2::double, '{build_id}'))"
        " t(entry_id, ledger, tco2e, build_id)"
    )
    con.close()
    return root


def test_identical_homes_differ_only_in_run_time_and_build_id(tmp_path, capsys):
    a = _home(tmp_path / "a")
    b = _home(tmp_path / "b", planned_at="2026-12-03 11:30:00+08", build_id="b2")
    assert compare_homes.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "identical" in out and "planned_at" in out


def test_a_changed_lake_byte_or_file_is_found(tmp_path):
    a = _home(tmp_path / "a")
    b = _home(tmp_path / "b")
    pq.write_table(
        pa.table({"region_code": ["320902"], "population": [2]}),
        b / "lake/regions/year=2025/part-0.parquet",
    )
    shutil.copytree(b / "lake/regions/year=2025", b / "lake/regions/year=2026")
    diffs, _ = compare_homes.compare_lake(a, b)
    assert "lake/regions/year=2025/part-0.parquet: bytes differ" in diffs
    assert "lake/regions/year=2026/part-0.parquet: only in B" in diffs
    # a non-volatile column of a volatile dataset still counts
    pq.write_table(
        pa.table({"site_id": ["dc1"], "cost_cny": [1.75], "planned_at": ["x"]}),
        b / "lake/dispatch_kpis/plan=2026-12-04__dc1/part-0.parquet",
    )
    diffs, _ = compare_homes.compare_lake(a, b)
    assert "lake/dispatch_kpis/plan=2026-12-04__dc1/part-0.parquet: bytes differ" in diffs


def test_a_changed_mart_row_is_found_and_a_last_bit_double_is_named(tmp_path):
    a = _home(tmp_path / "a")
    b = _home(tmp_path / "b")
    con = duckdb.connect(str(b / "warehouse/carbon.duckdb"))
    con.execute("update ledger_entries set tco2e = 0.3 where tco2e > 0.2 and tco2e < 0.4")
    con.close()
    diffs, _ = compare_homes.compare_warehouse(a, b, ["main"])
    # 0.1 + 0.2 != 0.3 in binary: a difference, named as one of the last DOUBLE digits
    assert diffs == [
        "main.ledger_entries: 1/1 rows differ exactly, equal to 12 significant digits (DOUBLE sums)"
    ]
    diffs, notes = compare_homes.compare_warehouse(a, b, ["main"], double_digits=12)
    assert diffs == [] and any("12 significant digits" in n for n in notes)
    con = duckdb.connect(str(b / "warehouse/carbon.duckdb"))
    con.execute("update ledger_entries set tco2e = 12.5 where tco2e = 12.25")
    con.close()
    diffs, _ = compare_homes.compare_warehouse(a, b, ["main"], double_digits=12)
    assert diffs == ["main.ledger_entries: 2 rows only in A, 2 only in B (of 2)"]
