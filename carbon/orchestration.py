"""Run the project's Airflow DAGs for real, in a subprocess, against a metadata DB under the data home.

``run_dag`` starts ``python -m carbon.orchestration run DAG_ID`` with ``AIRFLOW_HOME`` and
``CARBON_HOME`` set, so that Airflow reads its configuration before it is imported, and every data
home has its own SQLite metadata DB (``<home>/airflow/airflow.db``). The child migrates the DB on
first use, parses the DAG folder into a DagBag and calls ``dag.test()``: real Airflow, real task
runner, real XComs and Asset events.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from carbon.config import TZ, paths

REPO_ROOT = Path(__file__).resolve().parents[1]


def dags_folder() -> Path:
    return Path(os.environ.get("CARBON_DAGS_FOLDER", REPO_ROOT / "dags")).resolve()


def airflow_env(home: str | Path | None = None) -> dict[str, str]:
    """Environment for Airflow processes bound to one data home."""
    p = paths(home)
    ah = p.airflow_home
    env = dict(os.environ)
    env.update(
        {
            "CARBON_HOME": str(p.home),
            "AIRFLOW_HOME": str(ah),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": TZ,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{ah / 'airflow.db'}",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get(
                "CARBON_AIRFLOW_LOG_LEVEL", "WARNING"
            ),
            "PYTHONPATH": os.pathsep.join(
                x for x in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if x
            ),
        }
    )
    return env


@dataclass
class DagResult:
    dag_id: str
    state: str
    task_states: dict[str, str]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.state == "success"


def run_dag(
    dag_id: str,
    home: str | Path | None = None,
    conf: dict | None = None,
    *,
    logical_date: str | None = None,
    stream: bool = False,
) -> DagResult:
    """Run one DAG under real Airflow (``dag.test()``) and return its final state."""
    p = paths(home)
    p.airflow_home.mkdir(parents=True, exist_ok=True)
    result_file = p.airflow_home / f".result-{dag_id}-{os.getpid()}.json"
    result_file.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "carbon.orchestration",
        "run",
        dag_id,
        "--result",
        str(result_file),
    ]
    if conf:
        cmd += ["--conf", json.dumps(conf)]
    if logical_date:
        cmd += ["--logical-date", logical_date]
    proc = subprocess.run(
        cmd,
        env=airflow_env(p.home),
        cwd=REPO_ROOT,
        text=True,
        stdout=None if stream else subprocess.PIPE,
        stderr=subprocess.STDOUT if not stream else None,
    )
    output = proc.stdout or ""
    if result_file.exists():
        res = json.loads(result_file.read_text())
        result_file.unlink()
    else:
        res = {"state": "error", "task_states": {}}
    return DagResult(dag_id, res["state"], res["task_states"], proc.returncode, output)


def _ensure_db() -> None:
    from airflow.utils import db

    db_path = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    if not db_path.exists() or db_path.stat().st_size == 0:
        db.initdb()


def _child_run(dag_id: str, conf: dict | None, logical_date: str | None, result: Path) -> int:
    _ensure_db()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder()), safe_mode=True)
    if bag.import_errors:
        for f, err in bag.import_errors.items():
            print(f"DAG import error in {f}:\n{err}", file=sys.stderr)
    dag = bag.get_dag(dag_id)
    if dag is None:
        print(f"no DAG {dag_id!r} in {dags_folder()}", file=sys.stderr)
        result.write_text(json.dumps({"state": "missing", "task_states": {}}))
        return 2
    kwargs: dict = {"run_conf": conf or None}
    if logical_date:
        import pendulum

        kwargs["logical_date"] = pendulum.parse(logical_date, tz=TZ)
    dr = dag.test(**kwargs)
    states = {}
    for ti in dr.get_task_instances():
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        states[key] = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
    state = str(dr.state.value if hasattr(dr.state, "value") else dr.state)
    result.write_text(json.dumps({"state": state, "task_states": states}))
    return 0 if state == "success" else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m carbon.orchestration")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("dag_id")
    r.add_argument("--conf", default=None)
    r.add_argument("--logical-date", default=None)
    r.add_argument("--result", type=Path, required=True)
    args = ap.parse_args(argv)
    conf = json.loads(args.conf) if args.conf else None
    return _child_run(args.dag_id, conf, args.logical_date, args.result)


if __name__ == "__main__":
    sys.exit(main())
