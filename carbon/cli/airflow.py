"""``carbon airflow ...``: run the Airflow CLI bound to the data home (AIRFLOW_HOME, DAG folder, DB).

Examples::

    carbon airflow standalone          # scheduler + API server + UI on http://localhost:8080
                                       # (on the demo home: the project's DAGs unpaused first)
    carbon airflow dags list
    carbon airflow dags test nightly_ingest
"""

from __future__ import annotations

import argparse

HELP = "Run the Airflow CLI against this project's DAGs and the data home's metadata DB."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("airflow_args", nargs=argparse.REMAINDER, help="arguments passed to `airflow`")


def run(args: argparse.Namespace) -> int:
    import os
    import shutil
    import sys

    from carbon.config import paths
    from carbon.orchestration.airflow_config import airflow_env, is_demo_home, unpause_project_dags

    env = airflow_env()
    paths().airflow_home.mkdir(parents=True, exist_ok=True)
    if (args.airflow_args or [None])[0] == "standalone" and is_demo_home():
        # the demo runs on its schedule at once: its DAGs are registered and unpaused first
        ids = unpause_project_dags()
        print(f"demo home {paths().home}: {len(ids)} DAG(s) unpaused: {', '.join(ids)}", flush=True)
    exe = shutil.which("airflow", path=os.path.dirname(sys.executable)) or "airflow"
    argv = [exe, *(args.airflow_args or ["--help"])]
    os.execvpe(exe, argv, env)
    return 0  # pragma: no cover
