"""``carbon airflow ...``: run the Airflow CLI bound to the data home (AIRFLOW_HOME, DAG folder, DB).

Examples::

    carbon airflow standalone          # scheduler + API server + UI on http://localhost:8080
                                       # (on the demo home: the project's DAGs unpaused first)
    carbon airflow dags list
    carbon airflow dags test nightly_ingest
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs

HELP = "Run the Airflow CLI against this project's DAGs and the data home's metadata DB."

#: every word after ``carbon airflow`` is Airflow's, ``--help`` included
COMMAND_SETTINGS = {
    "context_settings": {
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
    "add_help_option": False,
}


def command(
    ctx: typer.Context,
    airflow_args: Annotated[
        list[str] | None, typer.Argument(help="arguments passed to `airflow`", metavar="ARGS")
    ] = None,
) -> int:
    import os
    import shutil
    import sys

    from carbon.orchestration.airflow_config import airflow_env, is_demo_home, unpause_project_dags

    p = cliargs.paths_of(ctx)
    words = [*(airflow_args or []), *ctx.args]
    env = airflow_env(p.home)
    p.airflow_home.mkdir(parents=True, exist_ok=True)
    if (words or [None])[0] == "standalone" and is_demo_home(p.home):
        # the demo runs on its schedule at once: its DAGs are registered and unpaused first
        ids = unpause_project_dags(p.home)
        print(f"demo home {p.home}: {len(ids)} DAG(s) unpaused: {', '.join(ids)}", flush=True)
    exe = shutil.which("airflow", path=os.path.dirname(sys.executable)) or "airflow"
    os.execvpe(exe, [exe, *(words or ["--help"])], env)
    return cliargs.EXIT_OK  # pragma: no cover
