"""``carbon nightly``: the nightly run under real Airflow (steps: ``carbon.orchestration.nightly``).

Exit codes: see ``carbon.orchestration.nightly`` (0 the night succeeded, 1 a task failed,
2 bad command line, 3 another night holds this data home's lock).
"""

from __future__ import annotations

import argparse

from carbon.cli import args as cliargs
from carbon.orchestration.nightly import NIGHTLY_STEPS, run_steps

HELP = "Nightly run under real Airflow: ingest all datasets, day-ahead dispatch, ledger build."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = f"{HELP} {cliargs.EXIT_CODES_HELP}."
    p.add_argument(
        "--period",
        type=cliargs.period,
        help="restrict ingest to a period: YYYY, YYYY-MM or YYYY-MM-DD",
    )
    p.add_argument(
        "--per-dataset",
        action="store_true",
        help="run one ingest_<dataset> DAG per dataset instead of the umbrella nightly_ingest",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=[s.name for s in NIGHTLY_STEPS],
        help="skip a step by name (repeatable): " + ", ".join(s.name for s in NIGHTLY_STEPS),
    )
    p.add_argument("--stream", action="store_true", help="stream Airflow's output")


def run(args: argparse.Namespace) -> int:
    import time

    from carbon.cli.args import EXIT_FAILED, EXIT_OK, UsageError
    from carbon.config import paths
    from carbon.pipeline import locks

    steps = [s for s in NIGHTLY_STEPS if s.name not in set(args.skip)]
    if not steps:
        raise UsageError("every step is skipped: nothing to run")
    home = paths().home
    home.mkdir(parents=True, exist_ok=True)
    with locks.exclusive(locks.nightly_lock_path(home), f"the nightly run of {home}"):
        t0 = time.time()
        fatal = run_steps(args, steps, home, t0)
    if fatal:
        print("", flush=True)
        print(f"nightly: FAILED: {len(fatal)} task(s) failed:")
        for dag_id, f in fatal:
            file = f" (file {f['file']})" if f.get("file") else ""
            print(f"  {dag_id}.{f['task']}{file}: {f['error']}")
        return EXIT_FAILED
    print("nightly: success")
    return EXIT_OK
