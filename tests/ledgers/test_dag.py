"""The build_ledgers DAG under real Airflow (dag.test() via carbon.orchestration.run_dag)."""

from __future__ import annotations

import duckdb
import pytest

from carbon.config import paths
from carbon.orchestration import run_dag

pytestmark = pytest.mark.slow


def test_build_ledgers_dag_runs_dbt_and_fills_the_marts(tmp_path, lf):
    lf.make_fixture_lake(tmp_path)
    res = run_dag("build_ledgers", tmp_path, conf={"as_of": "2025-06-01"})
    assert res.ok, res.output[-3000:]
    assert res.task_states == {"build": "success", "headline": "success"}
    con = duckdb.connect(str(paths(tmp_path).warehouse), read_only=True)
    try:
        (v,) = con.execute(
            "select scope2_location from main.ent_enterprise_emissions_monthly "
            "where month = '2023-03'"
        ).fetchone()
        n = con.execute("select count(*) from main.ledger_entries").fetchone()[0]
    finally:
        con.close()
    assert v == pytest.approx(2 * 0.5978, abs=1e-12)  # as_of from the run conf reached dbt
    assert n > 0
