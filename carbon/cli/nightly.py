"""``carbon nightly``: the nightly run under real Airflow (steps: ``carbon.orchestration.nightly``).

Exit codes: 0 the night succeeded, 1 a task failed (each failed task is printed with its error),
2 bad command line, 3 another night holds this data home's lock.
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs
from carbon.orchestration.nightly import NIGHTLY_STEPS

HELP = "Nightly run under real Airflow: ingest all datasets, day-ahead dispatch, ledger build."

STEP_NAMES = [s.name for s in NIGHTLY_STEPS]
StepName = cliargs.choice(*STEP_NAMES)


def command(
    ctx: typer.Context,
    period: Annotated[
        str | None,
        cliargs.option(
            cliargs.period, "PERIOD", "restrict ingest to a period: YYYY, YYYY-MM or YYYY-MM-DD"
        ),
    ] = None,
    per_dataset: Annotated[
        bool,
        typer.Option(
            help="run one ingest_<dataset> DAG per dataset instead of the umbrella nightly_ingest"
        ),
    ] = False,
    skip: Annotated[
        list[str] | None,
        cliargs.option(
            StepName, "STEP", "skip a step by name (repeatable): " + ", ".join(STEP_NAMES)
        ),
    ] = None,
    stream: Annotated[bool, typer.Option(help="stream Airflow's output")] = False,
) -> int:
    import time

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from carbon.orchestration.nightly import run_steps
    from carbon.pipeline import locks

    steps = [s for s in NIGHTLY_STEPS if s.name not in set(skip or [])]
    if not steps:
        raise cliargs.UsageError("every step is skipped: nothing to run")
    home = cliargs.paths_of(ctx).home
    home.mkdir(parents=True, exist_ok=True)
    console = Console()
    with locks.exclusive(locks.nightly_lock_path(home), f"the nightly run of {home}"):
        t0 = time.time()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=stream,
        ) as prog:
            task = prog.add_task("nightly", total=None)
            fatal = run_steps(
                steps,
                home,
                t0,
                period=period,
                per_dataset=per_dataset,
                stream=stream,
                on_dag=lambda dag_id: prog.update(task, description=f"nightly: {dag_id}"),
            )
    if fatal:
        print("", flush=True)
        print(f"nightly: FAILED: {len(fatal)} task(s) failed:")
        for dag_id, f in fatal:
            file = f" (file {f['file']})" if f.get("file") else ""
            print(f"  {dag_id}.{f['task']}{file}: {f['error']}")
        return cliargs.EXIT_FAILED
    print("nightly: success")
    return cliargs.EXIT_OK
