"""``carbon nightly``: the nightly run under real Airflow.

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

Exit code: 0 when every step's DAG run succeeded. A file rejected whole is NOT fatal (its task
fails, the other files load, the run succeeds); it is printed loudly. Non-zero only on an
infrastructure failure (a DAG run that did not succeed, a task failure that is not a rejection).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

HELP = "Nightly run under real Airflow: ingest all datasets, day-ahead dispatch, ledger build."


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
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", help="restrict ingest to a period: YYYY, YYYY-MM or YYYY-MM-DD")
    p.add_argument(
        "--per-dataset",
        action="store_true",
        help="run one ingest_<dataset> DAG per dataset instead of the umbrella nightly_ingest",
    )
    p.add_argument("--skip", action="append", default=[], help="skip a step by name (repeatable)")
    p.add_argument("--stream", action="store_true", help="stream Airflow's output")


def ingest_summaries(home: Path) -> list[dict]:
    from carbon.ingest.dag_factory import INGEST_ORDER

    out = []
    for ds in INGEST_ORDER:
        f = home / "reports" / ds / "_summary.json"
        if f.exists():
            out.append(json.loads(f.read_text()))
        else:
            out.append(
                {
                    "dataset": ds,
                    "files": 0,
                    "rows_in": 0,
                    "rows_ok": 0,
                    "rows_quarantined": 0,
                    "partitions": [],
                    "rejected": [],
                    "failures_by_check": {},
                }
            )
    return out


def format_summary(summaries: list[dict]) -> str:
    head = f"{'dataset':<26}{'files':>6}{'rows in':>11}{'ok':>11}{'quarant.':>10}{'parts':>7}{'rejected':>9}"
    lines = [head, "-" * len(head)]
    for s in summaries:
        lines.append(
            f"{s['dataset']:<26}{s['files']:>6}{s['rows_in']:>11,}{s['rows_ok']:>11,}"
            f"{s['rows_quarantined']:>10,}{len(s['partitions']):>7}{len(s['rejected']):>9}"
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
    demo = [s["dataset"] for s in summaries if s.get("demo_pseudonym_secret")]
    if demo:  # once per night, whatever the number of files
        from carbon.config import DEMO_SECRET_BANNER

        lines += ["", DEMO_SECRET_BANNER, f"!! (used tonight for: {', '.join(demo)})"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from carbon.config import paths
    from carbon.ingest.dag_factory import INGEST_ORDER
    from carbon.orchestration import run_dag

    home = paths().home
    conf = {"period": args.period} if args.period else None
    ok = True
    for step in NIGHTLY_STEPS:
        if step.name in args.skip:
            continue
        dag_ids = (
            [f"ingest_{ds}" for ds in INGEST_ORDER]
            if step.ingest and args.per_dataset
            else [step.dag_id]
        )
        for dag_id in dag_ids:
            print(f"== {step.name}: running DAG {dag_id} under Airflow (home {home})", flush=True)
            res = run_dag(dag_id, home, conf if step.takes_period else None, stream=args.stream)
            failed = sorted(k for k, v in res.task_states.items() if v == "failed")
            print(
                f"   {dag_id}: {res.state}"
                + (f" (failed tasks: {', '.join(failed)})" if failed else "")
            )
            if res.state != "success":
                ok = False
                if not args.stream:
                    print(res.output[-5000:])
        if step.ingest:
            print(format_summary(ingest_summaries(home)))
        if step.headline and res.state == "success":
            from carbon.ledgers import headline

            print(headline(home))
    if not ok:
        print("nightly: FAILED (infrastructure error, see above)")
    return 0 if ok else 1
