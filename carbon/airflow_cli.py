"""``carbon airflow ...``: run the Airflow CLI bound to the data home (AIRFLOW_HOME, DAG folder, DB).

Examples::

    carbon airflow standalone          # scheduler + API server + UI on http://localhost:8080
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
    from carbon.orchestration import airflow_env

    env = airflow_env()
    paths().airflow_home.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("airflow", path=os.path.dirname(sys.executable)) or "airflow"
    argv = [exe, *(args.airflow_args or ["--help"])]
    os.execvpe(exe, argv, env)
    return 0  # pragma: no cover
