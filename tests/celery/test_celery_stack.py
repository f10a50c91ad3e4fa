"""The project's DAGs on Airflow's CeleryExecutor (issue 15 §3), on a real stack on 127.0.0.1.

A session fixture starts PostgreSQL and Redis (``scripts/services.sh``) and the Airflow Celery
stack (``carbon.orchestration.celery_stack``: scheduler, dag-processor, api-server, two Celery
workers with concurrency 1) on a fresh tiny demo home, and stops both at the end, also when a test
fails. The test triggers a DAG run there and checks: the run succeeded, its task instances ran on
more than one worker (``task_instance.hostname`` in PostgreSQL), and the lake it wrote is
byte-identical to the lake the embedded default (``run_dag``: SQLite + LocalExecutor) writes from
a copy of the same home.

``DAG_ID`` / ``CONF`` name the run: ``nightly_ingest`` restricted to one day's files (the whole
tiny month is 685 task instances, ~4 min embedded, too long for CI on 2 cores). The helpers take
them as arguments, so the province night can be run the same way.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from carbon.orchestration import celery_stack as cs
from carbon.orchestration.dagrun import run_dag

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "nightly_ingest"
CONF: dict = {"period": "2026-10-17"}
#: the fault test's run: one day's meter file, one partition written
FAULT_DAG_ID = "ingest_electricity_consumption"
FAULT_CONF: dict = {"period": "2026-10-18"}


def _services(cmd: str, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "services.sh"), cmd, str(data_dir)],
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=180,
    )


def _demo_home(home: Path) -> None:
    home.mkdir(parents=True)
    r = subprocess.run(
        [sys.executable, "-m", "carbon.cli", "demo-data", "--scale", "tiny"],
        cwd=REPO,
        env={**os.environ, "CARBON_HOME": str(home)},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert r.returncode == 0, r.stdout


@pytest.fixture(scope="session")
def celery_run(tmp_path_factory: pytest.TempPathFactory):
    """A running stack bound to a fresh tiny demo home, plus an untouched copy of that home."""
    root = tmp_path_factory.mktemp("celery")
    fresh = root / "fresh"
    _demo_home(fresh)
    home = root / "celery-home"
    shutil.copytree(fresh, home, symlinks=True)
    # PostgreSQL runs as user postgres when the tests run as root (CI): its data dir must not be
    # under pytest's root-only temporary root
    services = Path(tempfile.mkdtemp(prefix="carbon-services-"))
    # retries: a task whose worker is SIGKILLed (the fault test) is run again, 5 s later
    stack = cs.Stack(
        dir=root / "stack", home=home, workers=2, schedule=False, task_retries=1, retry_delay_s=5
    )
    try:
        r = _services("start", services)
        assert r.returncode == 0, r.stdout + r.stderr
        cs.start(stack)
        yield stack, fresh
    finally:
        cs.stop(stack)
        r = _services("stop", services)
        print(r.stdout, r.stderr)
        shutil.rmtree(services, ignore_errors=True)


def run_on_celery(stack: cs.Stack, dag_id: str, conf: dict | None) -> tuple[str, list[dict]]:
    """Trigger ``dag_id`` with ``conf`` on the stack, wait for it; (state, task instances)."""
    run_id = cs.trigger(stack, dag_id, conf)
    state = cs.wait_run(stack, dag_id, run_id, timeout=600)
    return state, cs.task_instances(stack, dag_id, run_id)


def lake_files(home: Path) -> dict[str, bytes]:
    root = home / "lake"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_nightly_ingest_on_two_celery_workers_writes_the_embedded_lake(celery_run, tmp_path):
    stack, fresh = celery_run
    state, tis = run_on_celery(stack, DAG_ID, CONF)
    failed = [t for t in tis if t["state"] not in ("success", "skipped")]
    assert state == "success", (state, failed, cs._tail(stack, "scheduler"))
    assert len(tis) > 10, tis
    hosts = {t["hostname"] for t in tis if t["state"] == "success"}
    assert hosts <= set(stack.worker_names()), hosts  # every task ran on one of OUR workers
    assert len(hosts) >= 2, f"all tasks ran on {hosts}"

    embedded = tmp_path / "embedded"
    shutil.copytree(fresh, embedded, symlinks=True)
    res = run_dag(DAG_ID, embedded, CONF)
    assert res.ok, res.output[-3000:]

    a, b = lake_files(embedded), lake_files(stack.home)
    assert a, "the embedded run wrote no lake file"
    assert sorted(a) == sorted(b), sorted(set(a) ^ set(b))
    differ = [k for k in a if a[k] != b[k]]
    assert not differ, f"lake files differ between embedded and Celery runs: {differ}"
    assert not [k for k in b if Path(k).name.startswith(".")], "temporary files left in the lake"


def _running_write(stack: cs.Stack, dag_id: str, run_id: str, timeout: float = 300) -> dict:
    """Poll until a ``write`` task instance of the run is running; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for t in cs.task_instances(stack, dag_id, run_id):
            if t["task_id"].endswith("write") and t["state"] == "running" and t["hostname"]:
                return t
        time.sleep(0.2)
    raise TimeoutError(f"no running write task in {dag_id} {run_id}")


def test_a_worker_killed_during_a_write_leaves_no_partial_partition(celery_run, tmp_path):
    """SIGKILL the worker (its whole process group: the task process too) that runs the ingest's
    ``write``; the task is failed by its missing heartbeat, retried on the other worker, and the
    partition ends byte-identical to the embedded run's, with no temporary file left."""
    stack, fresh = celery_run
    run_id = cs.trigger(stack, FAULT_DAG_ID, FAULT_CONF)
    victim = _running_write(stack, FAULT_DAG_ID, run_id)
    short = victim["hostname"].split("@", 1)[0]
    pid = cs._pids(stack)[f"worker-{short}"]
    os.killpg(pid, signal.SIGKILL)
    try:
        state = cs.wait_run(stack, FAULT_DAG_ID, run_id, timeout=600)
        tis = cs.task_instances(stack, FAULT_DAG_ID, run_id)
    finally:
        cs.restart_worker(stack, victim["hostname"])
    assert state == "success", (tis, cs._tail(stack, "scheduler"))
    again = next(
        t
        for t in tis
        if t["task_id"] == victim["task_id"] and t["map_index"] == victim["map_index"]
    )
    assert again["state"] == "success" and again["try_number"] >= 2, again  # it ran again
    assert again["hostname"] in stack.worker_names(), again

    embedded = tmp_path / "embedded"
    shutil.copytree(fresh, embedded, symlinks=True)
    res = run_dag(FAULT_DAG_ID, embedded, FAULT_CONF)
    assert res.ok, res.output[-3000:]
    a, b = lake_files(embedded), lake_files(stack.home)
    part = [k for k in a if k.startswith("electricity_consumption/date=2026-10-18/")]
    assert part, sorted(a)
    written = [k for k in b if k.startswith("electricity_consumption/date=2026-10-18/")]
    assert sorted(written) == sorted(part), (written, part)  # no temporary, no partial file
    assert all(a[k] == b[k] for k in part), "the retried write gave other bytes"
