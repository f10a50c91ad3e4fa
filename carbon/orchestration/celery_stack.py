"""The project's DAGs on Airflow's CeleryExecutor: a distributed stack on 127.0.0.1 (issue 15 §3).

``start`` builds an Airflow home of its own under the stack directory (never the embedded
``<home>/airflow/``), with the project's configuration (``airflow_config.airflow_settings``:
default_timezone Asia/Shanghai, the dags folder, …) and only these settings changed:

- ``[core] executor`` CeleryExecutor; ``[database] sql_alchemy_conn`` the PostgreSQL of
  ``scripts/services.sh`` (``postgresql+psycopg2://airflow:airflow@127.0.0.1:55432/airflow``);
- ``[celery] broker_url`` the Redis of ``scripts/services.sh`` (``redis://127.0.0.1:56379/0``),
  ``result_backend`` on the same PostgreSQL, ``worker_concurrency`` 1;
- ``[core] execution_api_server_url`` the stack's own api-server (Airflow 3 task processes report
  to the Task Execution API), with one ``jwt_secret`` / ``fernet_key`` shared by every process
  (generated once, kept in ``<stack>/secrets.json``);
- ``[core] dags_are_paused_at_creation`` True: only the DAGs the operator (or the test) unpauses
  run, so an asset-triggered DAG downstream of an ingest does not start on its own.

It then runs ``airflow db migrate`` and starts, each as its own process (its own session, so
``stop`` signals exactly the processes ``start`` started, from ``<stack>/pids/``): the scheduler,
the dag-processor, the api-server and N Celery workers (``airflow celery worker
--celery-hostname wK@%h --concurrency 1``). Each worker's task processes record the worker's name
as ``task_instance.hostname`` (``[core] hostname_callable`` = ``worker_hostname``), so which worker
ran which task is read from the metadata DB.

The data home is the stack's ``CARBON_HOME`` (``ingest_dags._home()`` reads it in every task
process): one stack serves one data home. The embedded default (SQLite + LocalExecutor through
``dagrun.run_dag``) is untouched.

CLI: ``python -m carbon.orchestration.celery_stack start|stop|status --dir DIR --home HOME
[--workers 2]`` and ``trigger DAG_ID [--conf JSON] [--wait]`` (``scripts/celery_stack.sh``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from carbon.config import REPO_ROOT, paths
from carbon.orchestration.airflow_config import airflow_env, env_name

PG_PORT = int(os.environ.get("CARBON_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("CARBON_REDIS_PORT", "56379"))
API_PORT = int(os.environ.get("CARBON_CELERY_API_PORT", "58080"))


@dataclass(frozen=True)
class Stack:
    """Where a stack lives and what it talks to (all on 127.0.0.1)."""

    dir: Path
    home: Path
    pg_port: int = PG_PORT
    redis_port: int = REDIS_PORT
    api_port: int = API_PORT
    workers: int = 2
    #: False: the scheduler creates no scheduled runs (``[scheduler] use_job_schedule``), only
    #: triggered ones run (the test: unpausing a DAG must not add a scheduled run beside its own)
    schedule: bool = True
    #: ``[core] default_task_retries`` on the stack (the ingest tasks set none themselves; 0 as
    #: embedded): > 0 so that a task whose worker was killed is run again
    task_retries: int = 0
    #: ``[core] default_task_retry_delay``, seconds
    retry_delay_s: int = 30

    @property
    def airflow_home(self) -> Path:
        return self.dir / "airflow"

    @property
    def pid_dir(self) -> Path:
        return self.dir / "pids"

    @property
    def log_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def db_url(self) -> str:
        return f"postgresql+psycopg2://airflow:airflow@127.0.0.1:{self.pg_port}/airflow"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def worker_names(self) -> list[str]:
        host = socket.gethostname()
        return [f"w{i}@{host}" for i in range(1, self.workers + 1)]


def worker_hostname() -> str:
    """``[core] hostname_callable`` of the stack's workers: the Celery worker's name (set in its
    environment as ``CARBON_WORKER_HOSTNAME``), else the machine's FQDN."""
    return os.environ.get("CARBON_WORKER_HOSTNAME") or socket.getfqdn()


def _secrets(stack: Stack) -> dict[str, str]:
    f = stack.dir / "secrets.json"
    if f.exists():
        return json.loads(f.read_text(encoding="utf-8"))
    from cryptography.fernet import Fernet

    s = {
        "fernet_key": Fernet.generate_key().decode(),
        "jwt_secret": secrets.token_urlsafe(32),
        "api_secret_key": secrets.token_urlsafe(32),
    }
    stack.dir.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(".tmp")
    tmp.write_text(json.dumps(s), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(f)
    return s


def celery_settings(stack: Stack) -> dict[tuple[str, str], str]:
    """The settings the stack changes on top of ``airflow_settings(home)``."""
    s = _secrets(stack)
    return {
        ("core", "executor"): "CeleryExecutor",
        ("core", "dags_are_paused_at_creation"): "True",
        ("core", "execution_api_server_url"): f"{stack.api_url}/execution/",
        ("core", "fernet_key"): s["fernet_key"],
        ("core", "parallelism"): str(max(4, 2 * stack.workers)),
        ("core", "default_task_retries"): str(stack.task_retries),
        ("core", "default_task_retry_delay"): str(stack.retry_delay_s),
        ("database", "sql_alchemy_conn"): stack.db_url,
        ("celery", "broker_url"): f"redis://127.0.0.1:{stack.redis_port}/0",
        (
            "celery",
            "result_backend",
        ): f"db+postgresql+psycopg2://airflow:airflow@127.0.0.1:{stack.pg_port}/airflow",
        ("celery", "worker_concurrency"): "1",
        ("api", "host"): "127.0.0.1",
        ("api", "port"): str(stack.api_port),
        ("api", "workers"): "1",
        ("api", "secret_key"): s["api_secret_key"],
        ("api_auth", "jwt_secret"): s["jwt_secret"],
        ("scheduler", "use_job_schedule"): str(stack.schedule),
        # a task whose worker died (SIGKILL) is failed and retried after 30 s, not 5 min
        ("scheduler", "task_instance_heartbeat_timeout"): "30",
        ("dag_processor", "refresh_interval"): "30",
    }


def stack_env(stack: Stack) -> dict[str, str]:
    """Environment of every stack process: the home's Airflow environment, the stack's Airflow
    home and the Celery settings."""
    env = airflow_env(stack.home)
    env.update({env_name(s, k): v for (s, k), v in celery_settings(stack).items()})
    env["AIRFLOW_HOME"] = str(stack.airflow_home)
    env["CARBON_HOME"] = str(paths(stack.home).home)
    return env


def _airflow(stack: Stack, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        env=stack_env(stack),
        cwd=REPO_ROOT,
        text=True,
        capture_output=True,
        timeout=timeout,
    )
    if proc.returncode:
        raise RuntimeError(
            f"airflow {' '.join(args)} failed (exit {proc.returncode}):\n"
            + (proc.stderr or proc.stdout)[-3000:]
        )
    return proc


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as dead
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _pids(stack: Stack) -> dict[str, int]:
    if not stack.pid_dir.is_dir():
        return {}
    return {f.stem: int(f.read_text()) for f in sorted(stack.pid_dir.glob("*.pid"))}


def _spawn(
    stack: Stack, name: str, args: list[str], extra_env: dict[str, str] | None = None
) -> int:
    old = _pids(stack).get(name)
    if old and _pid_alive(old):
        return old
    env = stack_env(stack)
    env.update(extra_env or {})
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    stack.pid_dir.mkdir(parents=True, exist_ok=True)
    with open(stack.log_dir / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop signals it and its children
        )
    (stack.pid_dir / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def _wait_http(url: str, timeout: float, pid: int, name: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            raise RuntimeError(f"{name} exited at start:\n{_tail(stack, name)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{name} not up at {url} after {timeout:.0f} s:\n{_tail(stack, name)}")


def _tail(stack: Stack, name: str, n: int = 3000) -> str:
    f = stack.log_dir / f"{name}.log"
    return f.read_text(errors="replace")[-n:] if f.exists() else "(no log)"


def start(stack: Stack, timeout: float = 240) -> dict[str, int]:
    """Migrate the metadata DB, then start scheduler, dag-processor, api-server and the workers;
    return ``{process name: pid}`` once the api-server answers and every worker is up."""
    stack.airflow_home.mkdir(parents=True, exist_ok=True)
    saved = {**stack.__dict__, "dir": str(stack.dir), "home": str(stack.home)}
    (stack.dir / "stack.json").write_text(json.dumps(saved, indent=1), encoding="utf-8")
    _airflow(stack, "db", "migrate", timeout=timeout)
    api = _spawn(stack, "api-server", ["api-server"])
    _spawn(stack, "scheduler", ["scheduler"])
    _spawn(stack, "dag-processor", ["dag-processor"])
    for name in stack.worker_names():
        _spawn_worker(stack, name)
    _wait_http(f"{stack.api_url}/api/v2/monitor/health", timeout, api, "api-server", stack)
    _wait_workers(stack, timeout)
    return _pids(stack)


def _spawn_worker(stack: Stack, name: str) -> int:
    short = name.split("@", 1)[0]
    return _spawn(
        stack,
        f"worker-{short}",
        [
            "celery",
            "worker",
            "--celery-hostname",
            name,
            "--concurrency",
            "1",
            "--skip-serve-logs",
            "--without-mingle",
            "--without-gossip",
        ],
        {
            "CARBON_WORKER_HOSTNAME": name,
            env_name("core", "hostname_callable"): (
                "carbon.orchestration.celery_stack.worker_hostname"
            ),
        },
    )


def _wait_workers(stack: Stack, timeout: float) -> None:
    """Until every worker answers a Celery ping through the broker."""
    from celery import Celery

    app = Celery(broker=f"redis://127.0.0.1:{stack.redis_port}/0")
    want = set(stack.worker_names())
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while time.monotonic() < deadline:
        for name, pid in _pids(stack).items():
            if not _pid_alive(pid):
                raise RuntimeError(f"{name} exited at start:\n{_tail(stack, name)}")
        replies = app.control.ping(timeout=2.0) or []
        seen = {k for r in replies for k in r}
        if want <= seen:
            return
    raise RuntimeError(f"Celery workers {sorted(want - seen)} not up after {timeout:.0f} s")


def restart_worker(stack: Stack, name: str, timeout: float = 120) -> int:
    """Start worker ``name`` (``w1@host``) again after it died; its pid once it answers a ping."""
    short = name.split("@", 1)[0]
    pid = _spawn_worker(stack, name)
    _wait_workers(stack, timeout)
    if _pids(stack).get(f"worker-{short}") != pid:
        raise RuntimeError(f"worker {name} did not restart (pid {pid})")
    return pid


def stop(stack: Stack, timeout: float = 60) -> list[str]:
    """SIGTERM each process group ``start`` started (from the pid files), SIGKILL what is left
    after ``timeout``; return the names stopped."""
    pids = _pids(stack)
    stopped = []
    for name, pid in pids.items():
        if _pid_alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
                stopped.append(name)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for name, pid in pids.items():
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the group: task processes a worker left behind
        _reap(pid)
        (stack.pid_dir / f"{name}.pid").unlink(missing_ok=True)
    return stopped


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def status(stack: Stack) -> dict[str, bool]:
    return {name: _pid_alive(pid) for name, pid in _pids(stack).items()}


# ---- runs ------------------------------------------------------------------------------------


def _connect(stack: Stack):
    import psycopg2

    return psycopg2.connect(
        host="127.0.0.1", port=stack.pg_port, user="airflow", password="airflow", dbname="airflow"
    )


def wait_dag_parsed(stack: Stack, dag_id: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _connect(stack) as c, c.cursor() as cur:
            cur.execute("select 1 from dag where dag_id = %s", (dag_id,))
            if cur.fetchone():
                return
        time.sleep(2)
    raise RuntimeError(
        f"DAG {dag_id!r} not parsed after {timeout:.0f} s:\n{_tail(stack, 'dag-processor')}"
    )


def trigger(stack: Stack, dag_id: str, conf: dict | None = None, run_id: str | None = None) -> str:
    """Unpause ``dag_id`` and trigger a run with ``conf``; return its run id."""
    wait_dag_parsed(stack, dag_id)
    run_id = run_id or f"celery__{dag_id}__{int(time.time())}"
    _airflow(stack, "dags", "unpause", dag_id)
    args = ["dags", "trigger", dag_id, "--run-id", run_id]
    if conf:
        args += ["--conf", json.dumps(conf)]
    _airflow(stack, *args)
    return run_id


def wait_run(stack: Stack, dag_id: str, run_id: str, timeout: float = 900) -> str:
    """Poll the run's state until it is success or failed; return it."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        with _connect(stack) as c, c.cursor() as cur:
            cur.execute(
                "select state from dag_run where dag_id = %s and run_id = %s", (dag_id, run_id)
            )
            row = cur.fetchone()
        state = row[0] if row else None
        if state in ("success", "failed"):
            return state
        time.sleep(2)
    raise TimeoutError(f"{dag_id} {run_id} still {state!r} after {timeout:.0f} s")


def task_instances(stack: Stack, dag_id: str, run_id: str) -> list[dict]:
    """The run's task instances: task_id, map_index, state, hostname, try_number."""
    with _connect(stack) as c, c.cursor() as cur:
        cur.execute(
            "select task_id, map_index, state, hostname, try_number from task_instance"
            " where dag_id = %s and run_id = %s order by task_id, map_index",
            (dag_id, run_id),
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m carbon.orchestration.celery_stack")
    ap.add_argument("cmd", choices=["start", "stop", "status", "trigger"])
    ap.add_argument("dag_id", nargs="?")
    ap.add_argument(
        "--dir", type=Path, default=Path(os.environ.get("CARBON_CELERY_DIR", "data/celery"))
    )
    ap.add_argument("--home", type=Path, default=None, help="data home (default CARBON_HOME)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--no-schedule", action="store_true", help="run triggered DAG runs only, no scheduled ones"
    )
    ap.add_argument("--task-retries", type=int, default=0, help="[core] default_task_retries")
    ap.add_argument("--conf", default=None, help="the run's conf (JSON)")
    ap.add_argument("--wait", action="store_true", help="trigger: wait for the run's end")
    a = ap.parse_args(argv)
    if a.workers < 1:
        ap.error(f"--workers must be >= 1, got {a.workers}")
    saved = a.dir.resolve() / "stack.json"
    if a.cmd != "start" and saved.exists():  # what start was given
        d = json.loads(saved.read_text(encoding="utf-8"))
        stack = Stack(**{**d, "dir": a.dir.resolve(), "home": Path(d["home"])})
    else:
        stack = Stack(
            dir=a.dir.resolve(),
            home=paths(a.home).home,
            workers=a.workers,
            schedule=not a.no_schedule,
            task_retries=a.task_retries,
        )
    if a.cmd == "start":
        for name, pid in start(stack).items():
            print(f"{name}: pid {pid}")
        print(f"api-server: {stack.api_url}  (airflow home {stack.airflow_home})")
    elif a.cmd == "stop":
        print("stopped: " + (", ".join(stop(stack)) or "nothing was running"))
    elif a.cmd == "status":
        st = status(stack)
        for name, up in st.items():
            print(f"{name}: {'running' if up else 'stopped'}")
        return 0 if st and all(st.values()) else 3
    else:
        if not a.dag_id:
            ap.error("trigger needs a DAG_ID")
        conf = json.loads(a.conf) if a.conf else None
        run_id = trigger(stack, a.dag_id, conf)
        print(f"triggered {a.dag_id} {run_id}")
        if a.wait:
            state = wait_run(stack, a.dag_id, run_id)
            print(f"{a.dag_id} {run_id}: {state}")
            return 0 if state == "success" else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
