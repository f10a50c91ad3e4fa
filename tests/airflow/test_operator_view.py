"""The operator's view in Airflow (issue 11 §5), under real Airflow and its real metadata DB:
the generated configuration (Asia/Shanghai, demo DAGs unpaused), the figures in the task logs,
the counts on the ingest Asset events, and no OpenLineage warnings at start-up."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

from carbon.domain.codes import make_uscc
from carbon.orchestration.dagrun import REPO_ROOT, airflow_env, run_dag

CONF = """
from airflow.configuration import conf
print("CFG " + "|".join([conf.get("core", "default_timezone"),
    conf.get("webserver", "default_ui_timezone"),
    str(conf.getboolean("core", "dags_are_paused_at_creation"))]))
"""


def _airflow_conf(home) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", CONF],
        env=airflow_env(home),
        cwd=REPO_ROOT,
        text=True,
        capture_output=True,
        timeout=300,
    )
    line = next(x for x in proc.stdout.splitlines() if x.startswith("CFG "))
    return line[4:].split("|")


def test_generated_config_is_shanghai_time_and_unpauses_only_the_demo(tmp_path):
    demo, prod = tmp_path / "demo", tmp_path / "prod"
    (demo / "demo_manifest").mkdir(parents=True)
    prod.mkdir()
    # what Airflow itself reads from the configuration the project generates
    assert _airflow_conf(demo) == ["Asia/Shanghai", "Asia/Shanghai", "False"]
    assert _airflow_conf(prod) == ["Asia/Shanghai", "Asia/Shanghai", "True"]


def test_standalone_start_unpauses_the_demo_dags_in_the_metadata_db(tmp_path):
    from carbon.orchestration.airflow_config import unpause_project_dags

    home = tmp_path / "demo"
    (home / "demo_manifest").mkdir(parents=True)
    first = unpause_project_dags(home)
    db = home / "airflow" / "airflow.db"
    with sqlite3.connect(db) as con:  # as if an earlier start had created them paused
        con.execute("update dag set is_paused = 1")
    again = unpause_project_dags(home)
    assert again == first and {"nightly_ingest", "build_ledgers", "monitor_alerts"} <= set(first)
    with sqlite3.connect(db) as con:
        paused = dict(con.execute("select dag_id, is_paused from dag").fetchall())
    assert set(first) <= set(paused) and not any(paused[d] for d in first), paused


def test_airflow_start_up_has_no_openlineage_warnings(tmp_path):
    """Every Airflow process (scheduler, API server, task runner) loads the plugins: none of them
    may warn about OpenLineage (the unused astronomer-cosmos plugin did, twice per process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "carbon.cli", "--home", str(tmp_path), "airflow", "plugins"],
        cwd=REPO_ROOT,
        env=airflow_env(tmp_path),
        text=True,
        capture_output=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "openlineage" not in out.lower(), out[-3000:]
    assert "cosmos" not in out.lower()


HEADER = "uscc,name,industry_code,region_code,is_key_emitter,is_datacenter,in_ets,snapshot_month"


def _enterprise_files(home) -> None:
    land = home / "landing" / "enterprises"
    land.mkdir(parents=True)
    rows = [HEADER]
    for i in range(6):
        code = make_uscc("320902", f"MA{i:06d}")
        if i == 4:  # a bad check digit: quarantined
            code = code[:-1] + ("1" if code[-1] != "1" else "2")
        industry = "9999" if i == 5 else "4411"  # not a GB/T 4754-2017 class: quarantined
        rows.append(f"{code},企业{i},{industry},320902,true,false,false,2026-10")
    (land / "enterprises_2026-10.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # breaks the contract (no region_code column): rejected whole
    (land / "enterprises_2026-09.csv").write_text(
        "uscc,name,industry_code,is_key_emitter,is_datacenter,in_ets,snapshot_month\n"
        f"{make_uscc('320902', 'MA000009')},企业9,4411,true,false,false,2026-09\n",
        encoding="utf-8",
    )


def test_ingest_task_logs_carry_the_figures_and_the_asset_event_the_counts(tmp_path):
    home = tmp_path
    _enterprise_files(home)
    res = run_dag("ingest_enterprises", home)
    assert res.task_states.get("publish") == "success", res.output[-4000:]
    summary = json.loads((home / "reports" / "enterprises" / "_summary.json").read_text())
    want = {
        "rows_in": summary["rows_in"],
        "rows_ok": summary["rows_ok"],
        "rows_quarantined": summary["rows_quarantined"],
        "files_rejected": len(summary["rejected"]),
    }
    assert want["rows_quarantined"] >= 2 and want["files_rejected"] == 1 and want["rows_ok"] >= 4
    # the task log (the captured log of the real task runner) has the dataset's figures line
    line = next((x for x in res.output.splitlines() if "figures ingest/enterprises:" in x), None)
    assert line is not None, res.output[-4000:]
    got = dict(re.findall(r"(\w+)=(\S+)", line.split("figures ingest/enterprises:")[1]))
    assert {k: int(got[k]) for k in want} == want and int(got["files"]) == 2
    # and each staged file's own figures
    assert "figures ingest/enterprises/enterprises_2026-10.csv: rows_in=6" in res.output
    assert "REJECTED enterprises/enterprises_2026-09.csv" in res.output
    assert "openlineage" not in res.output.lower()
    # the Asset event in the metadata DB carries the counts as its extra
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        events = con.execute(
            """select e.extra from asset_event e join asset a on a.id = e.asset_id
               where a.uri = 'carbon://lake/enterprises'"""
        ).fetchall()
    assert [json.loads(e) for (e,) in events] == [want]
