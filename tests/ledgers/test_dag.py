"""The build_ledgers DAG under real Airflow (dag.test() via carbon.orchestration.run_dag)."""

from __future__ import annotations

import re

import duckdb
import pytest

from carbon.config import paths
from carbon.orchestration.dagrun import run_dag

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
    # the task log has the night's ledger figures (issue 11 §5): the first build posts the journal
    line = next(x for x in res.output.splitlines() if "figures ledgers/build:" in x)
    figs = dict(re.findall(r"(\w+)=(\S+)", line.split("figures ledgers/build:")[1]))
    assert int(figs["entries_posted"]) == n and int(figs["reversals"]) == 0
    assert float(figs["city_total_tco2e"]) > 0 and int(figs["recon_region_months"]) > 0
