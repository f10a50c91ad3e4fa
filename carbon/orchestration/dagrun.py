"""Run the project's Airflow DAGs for real, in a subprocess, against a metadata DB under the data home.

``run_dag`` starts ``python -m carbon.orchestration.dagrun run DAG_ID`` with ``AIRFLOW_HOME`` and
``CARBON_HOME`` set, so that Airflow reads its configuration before it is imported, and every data
home has its own SQLite metadata DB (``<home>/airflow/airflow.db``). The child migrates the DB on
first use, parses the DAG folder into a DagBag and calls ``dag.test()``: real Airflow, real task
runner, real XComs and Asset events.

Every task that fails is recorded with its error (exception type and first line of the message,
identifiers masked) by an ``on_failure_callback`` the child adds to each task, and returned in
``DagResult.failures``: a DAG run's own state says only whether its LAST tasks succeeded (Airflow
derives it from the leaves), so ``carbon nightly`` judges the night by these records instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from carbon.config import REPO_ROOT, TZ, paths
from carbon.orchestration.airflow_config import airflow_env, dags_folder


@dataclass
class DagResult:
    dag_id: str
    state: str
    task_states: dict[str, str]
    returncode: int
    output: str
    #: one record per failed task instance: task (``group.task[map]``), error_type, error, file
    failures: list[dict] = field(default_factory=list)

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
        "carbon.orchestration.dagrun",
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
    return DagResult(
        dag_id,
        res["state"],
        res["task_states"],
        proc.returncode,
        output,
        res.get("failures", []),
    )


# ID-card (18 digits, last may be X) and mainland mobile numbers: masked in recorded errors
_ID_PATTERNS = (
    (r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])", r"\1********\2"),
    (r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)", r"\1****\2"),
)


def error_line(exc: BaseException | None, limit: int = 400) -> str:
    """One line for a task's error: ``Type: first line of the message``, identifiers masked."""
    import re

    if exc is None:
        return "(no exception recorded)"
    text = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "")
    for pat, rep in _ID_PATTERNS:
        text = re.sub(pat, rep, text)
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


_FAILURES: list[dict] = []


def _record_failure(context) -> None:
    """on_failure_callback: note which task failed and why (runs in the task's process)."""
    ti = context.get("ti")
    exc = context.get("exception")
    task = getattr(ti, "task", None) or context.get("task")
    kwargs = getattr(task, "op_kwargs", None) or {}
    map_index = getattr(ti, "map_index", -1)
    task_id = getattr(ti, "task_id", "?")
    key = task_id if map_index is None or map_index < 0 else f"{task_id}[{map_index}]"
    mro = [c.__name__ for c in type(exc).__mro__] if exc is not None else []
    _FAILURES.append(
        {
            "task": key,
            "task_id": task_id,
            "map_index": map_index,
            "error_type": type(exc).__name__ if exc is not None else None,
            "error_classes": mro,
            "error": error_line(exc),
            "file": kwargs.get("file_name") if isinstance(kwargs, dict) else None,
        }
    )


def _add_failure_callbacks(dag) -> None:
    for t in dag.tasks:
        cb = t.on_failure_callback
        cbs = [] if not cb else list(cb) if isinstance(cb, list | tuple) else [cb]
        if _record_failure not in cbs:
            t.on_failure_callback = [*cbs, _record_failure]


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
    _add_failure_callbacks(dag)
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
    result.write_text(
        json.dumps({"state": state, "task_states": states, "failures": _FAILURES}, default=str)
    )
    return 0 if state == "success" else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m carbon.orchestration.dagrun")
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
