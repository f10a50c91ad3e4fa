"""The nightly run under real Airflow (the ``carbon nightly`` command line is ``carbon.cli.nightly``).

The steps are ``NIGHTLY_STEPS``, run in order with ``carbon.orchestration.run_dag`` (one Airflow
subprocess each):

1. ``ingest``: ONE umbrella DAG (``nightly_ingest``) so Airflow's start-up is paid once;
   ``--per-dataset`` runs the ``ingest_<dataset>`` DAGs one by one instead.
2. ``dispatch``: ``dispatch_day_ahead`` plans tomorrow for the data-centre sites of the default
   scenario, so the plans reach the lake before the ledgers are built (``--skip dispatch``).
3. ``ledgers``: ``build_ledgers`` runs ``dbt build`` over the lake (one DuckDB writer), then the
   headline figures are printed.

In production the scheduler links these by Assets (``carbon://lake/<dataset>``) and cron; under
``dag.test()`` Asset-triggered runs do not fire, so the command runs each DAG explicitly.

Exit codes (``carbon.cli.args``):

* 0: every task of every DAG run succeeded, except stage tasks of files rejected whole
  (``RejectedFile``: the file breaks its contract; the others load). Those are printed loudly
  and are not a failure of the night.
* 1: any other task failed, in any DAG and any task group (a DAG run's own state only reflects
  its last tasks, so each task is checked): the night prints every failed task and its error
  line, and ``nightly: FAILED``.
* 2: a bad command line (``--skip bogus``, ``--period 2026-13``): nothing ran.
* 3: another ``carbon nightly`` holds this data home's lock (``<home>/locks/nightly.lock``,
  held for the whole night; the kernel releases it when the holder dies, so a killed night never
  blocks the next one): the message names its PID, host and start time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Step:
    name: str
    dag_id: str
    ingest: bool = False  # print the ingest summary after it
    headline: bool = False  # print the ledger headline after it
    takes_period: bool = False  # pass --period as conf


# The nightly pipeline, in order.
NIGHTLY_STEPS: list[Step] = [
    Step("ingest", "nightly_ingest", ingest=True, takes_period=True),
    Step("dispatch", "dispatch_day_ahead"),
    Step("ledgers", "build_ledgers", headline=True),
    Step("monitor", "monitor_alerts"),
]


def is_rejection(failure: dict) -> bool:
    """A stage task that failed because its file was rejected whole (reported, not fatal)."""
    return "RejectedFile" in (failure.get("error_classes") or [failure.get("error_type")])


def night_failures(res) -> tuple[list[dict], list[dict]]:
    """(fatal failures, whole-file rejections) of one DAG run: every failed task instance, with
    its recorded error, whatever its task group and whether or not the run's state shows it."""
    recorded = {f["task"]: f for f in res.failures}
    fatal, rejected = [], []
    for key, st in sorted(res.task_states.items()):
        if st != "failed":
            continue
        f = recorded.get(key) or {"task": key, "error": "(failed without a recorded error)"}
        (rejected if is_rejection(f) else fatal).append(f)
    if res.state != "success" and not fatal:
        why = "DAG run " + res.state
        if res.returncode:
            why += f" (Airflow process exit code {res.returncode})"
        fatal.append({"task": "(dag run)", "error": why})
    return fatal, rejected


def ingest_summaries(
    home: Path, period: str | None = None, since: float | None = None
) -> list[dict]:
    """Each dataset's ``_summary.json`` of this night (written at or after ``since``), with the
    landing files counted from landing itself: ``files`` = every landing file of the period,
    ``failed_files`` = those that neither loaded nor were rejected (their stage task failed)."""
    from carbon.orchestration.ingest_dags import INGEST_ORDER
    from carbon.pipeline.ingest.pipeline import list_landing

    out = []
    for ds in INGEST_ORDER:
        f = home / "reports" / ds / "_summary.json"
        fresh = f.exists() and (since is None or f.stat().st_mtime >= since - 1)
        s = json.loads(f.read_text()) if fresh else {}
        s = {
            "dataset": ds,
            "files": 0,
            "rows_in": 0,
            "rows_ok": 0,
            "rows_quarantined": 0,
            "partitions": [],
            "rejected": [],
            "failures_by_check": {},
            **s,
            "summary_written": fresh,
        }
        try:
            landing = list_landing(ds, home, period)
        except OSError:
            landing = []
        handled = s["files"]  # staged + rejected, as the publish task counted them
        s["files"] = max(len(landing), handled)
        s["failed_files"] = s["files"] - handled
        out.append(s)
    return out


def format_summary(summaries: list[dict]) -> str:
    head = (
        f"{'dataset':<26}{'files':>6}{'rows in':>11}{'ok':>11}{'quarant.':>10}{'parts':>7}"
        f"{'rejected':>9}{'failed':>7}"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        lines.append(
            f"{s['dataset']:<26}{s['files']:>6}{s['rows_in']:>11,}{s['rows_ok']:>11,}"
            f"{s['rows_quarantined']:>10,}{len(s['partitions']):>7}{len(s['rejected']):>9}"
            f"{s.get('failed_files', 0):>7}"
            + ("" if s.get("summary_written", True) or not s["files"] else "  (no summary)")
        )
    rejected = [(s["dataset"], r) for s in summaries for r in s["rejected"]]
    if rejected:
        lines.append("")
        lines.append("!" * 78)
        lines.append(f"!! {len(rejected)} FILE(S) REJECTED WHOLE — fix and re-deliver them:")
        for ds, r in rejected:
            cols = f" [{', '.join(r['columns'])}]" if r.get("columns") else ""
            lines.append(f"!!   {ds}/{r['file']}: {r['reason']}{cols}")
        lines.append("!" * 78)
    failed = [s for s in summaries if s.get("failed_files")]
    if failed:
        lines.append(
            "!! files whose stage task FAILED (neither loaded nor rejected; see the failed tasks): "
            + ", ".join(f"{s['dataset']} {s['failed_files']}" for s in failed)
        )
    demo = [s["dataset"] for s in summaries if s.get("demo_pseudonym_secret")]
    if demo:  # once per night, whatever the number of files
        from carbon.config import DEMO_SECRET_BANNER

        lines += ["", DEMO_SECRET_BANNER, f"!! (used tonight for: {', '.join(demo)})"]
    return "\n".join(lines)


def run_steps(
    steps: list[Step],
    home: Path,
    t0: float,
    *,
    period: str | None = None,
    per_dataset: bool = False,
    stream: bool = False,
    on_dag: Callable[[str], None] | None = None,
) -> list[tuple[str, dict]]:
    """Run ``steps`` in order under Airflow on ``home``; return the failed tasks ``(dag_id,
    failure)``. ``on_dag(dag_id)`` is called before each DAG run (the CLI's progress)."""
    from carbon.orchestration.dagrun import run_dag
    from carbon.orchestration.ingest_dags import INGEST_ORDER

    conf = {"period": period} if period else None
    fatal: list[tuple[str, dict]] = []
    for step in steps:
        dag_ids = (
            [f"ingest_{ds}" for ds in INGEST_ORDER]
            if step.ingest and per_dataset
            else [step.dag_id]
        )
        step_ok = True
        for dag_id in dag_ids:
            if on_dag is not None:
                on_dag(dag_id)
            print(f"== {step.name}: running DAG {dag_id} under Airflow (home {home})", flush=True)
            res = run_dag(dag_id, home, conf if step.takes_period else None, stream=stream)
            bad, rejected = night_failures(res)
            state = res.state if not bad else "FAILED"
            notes = []
            if bad:
                notes.append(f"failed tasks: {', '.join(f['task'] for f in bad)}")
            if rejected:
                notes.append(f"{len(rejected)} file(s) rejected whole")
            print(f"   {dag_id}: {state}" + (f" ({'; '.join(notes)})" if notes else ""), flush=True)
            for f in bad:
                print(f"   !! {f['task']}: {f['error']}")
            if res.state not in ("success", "failed") and not stream:
                print(res.output[-5000:])  # the Airflow process itself broke
            fatal += [(dag_id, f) for f in bad]
            step_ok = step_ok and not bad
        if step.ingest:
            print(format_summary(ingest_summaries(home, period, t0)))
        if step.headline and step_ok:
            from carbon.pipeline.warehouse.headline import headline

            print(headline(home))
    return fatal
