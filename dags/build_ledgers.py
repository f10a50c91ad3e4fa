"""Nightly ledger build (airflow DAG ``build_ledgers``): the three carbon accounts (三本碳账户).

Runs when any ingest Asset ``carbon://lake/<dataset>`` the ledgers read is updated, or at 02:00
Asia/Shanghai every night, whichever comes first (``AssetOrTimeSchedule``).

Tasks:

1. ``build``: ONE ``dbt build`` (dbt-duckdb, programmatic ``dbtRunner``) of the whole project -
   staging, intermediate, marts, the append-only journal ``ledger_entries`` and every dbt test -
   under an exclusive file lock on the warehouse (one DuckDB writer); ``max_active_runs=1`` keeps
   runs of this DAG from queueing on the lock. dbt's ``target/`` stays under
   ``$CARBON_HOME/dbt`` so partial parsing skips the parse on the next night.
   Run conf (optional): ``{"months": ["2026-10"], "as_of": "2026-11-01", "full_refresh": false}``.
2. ``headline``: the figures the night ends with (city vs CEADs, districts, top 10 enterprises,
   grades, personal credits, reconciliation), logged and returned.

Publishes ``Asset("carbon://warehouse/ledgers")``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetAny, AssetOrTimeSchedule, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from carbon.domain.datasets import DATASETS
from carbon.monitor.notify import on_failure
from carbon.pipeline.warehouse.build import LAKE_SOURCES

TZ = "Asia/Shanghai"
# the ingest Assets this DAG waits for: every contract dataset the dbt sources read
LEDGER_INPUTS = tuple(d for d in LAKE_SOURCES if d in DATASETS)
LEDGERS = Asset("carbon://warehouse/ledgers")


@dag(
    dag_id="build_ledgers",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone=TZ),
        assets=AssetAny(*(Asset(f"carbon://lake/{d}") for d in LEDGER_INPUTS)),
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["ledgers", "dbt"],
    default_args={"retries": 0, "on_failure_callback": on_failure},
)
def build_ledgers():
    @task(outlets=[LEDGERS], max_active_tis_per_dag=1)
    def build() -> dict:
        from carbon.config import paths
        from carbon.orchestration.airflow_logs import figures, journal_counts, ledger_figures
        from carbon.pipeline.warehouse import build as ledgers

        home = paths().home  # resolved once: the task's CARBON_HOME (carbon.orchestration.dagrun)
        conf = get_current_context()["dag_run"].conf or {}
        before = journal_counts(home)
        r = ledgers.build(
            home,
            months=conf.get("months"),
            as_of=conf.get("as_of"),
            full_refresh=bool(conf.get("full_refresh", False)),
        )
        tests = [k for k in r.statuses if k.startswith(("test.", "unit_test."))]
        out = {"seconds": round(r.seconds, 2), "nodes": len(r.statuses), "tests": len(tests)}
        figs = ledger_figures(home, before=before)
        figures("ledgers/build", **out, **figs)
        get_current_context()["outlet_events"][LEDGERS].extra = figs
        return {**out, **figs}

    @task
    def headline(summary: dict) -> str:
        from carbon.config import paths
        from carbon.orchestration.airflow_logs import log
        from carbon.pipeline.warehouse.headline import headline as headline_text

        text = headline_text(paths().home)
        log.info("ledger build: %s\n%s", summary, text)
        return text

    headline(build())


build_ledgers_dag = build_ledgers()
