"""Airflow task graph of an ingest: one builder used by every ``ingest_<dataset>`` DAG and by the
umbrella ``nightly_ingest`` DAG (one TaskGroup per dataset).

Graph per dataset (TaskFlow, heavy imports inside the tasks)::

    list_files ─▶ stage[file …] ─▶ plan ─▶ write[partition …] ─▶ publish (outlet Asset)

* ``stage`` is mapped over the landing files; a rejected file fails ITS task instance only.
* ``plan`` (trigger rule ``all_done``) collects the staged results of the files that passed and
  lists the partitions to rebuild; ``write`` is mapped over them; ``publish`` writes the load
  reports and emits ``Asset("carbon://lake/<dataset>")`` when a partition was written.
* ``dag_run.conf`` may carry ``{"period": "2026-10"}`` (or a day / year) to restrict the files and
  partitions; default: every landing file.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task, task_group

from carbon.config import TZ

INGEST_ORDER: tuple[str, ...] = (
    "regions",
    "enterprises",
    "households",
    "grid_signals",
    "electricity_consumption",
    "fuel_consumption",
    "heat_consumption",
    "industrial_activity",
    "sector_energy_balance",
    "low_carbon_activity",
    "datacenter_telemetry",
    "park_members",
    "park_resource_use",
    "community_energy",
    "material_purchases",
)
START = pendulum.datetime(2026, 1, 1, tz=TZ)


def asset_uri(dataset: str) -> str:
    return f"carbon://lake/{dataset}"


def lake_asset(dataset: str) -> Asset:
    return Asset(asset_uri(dataset))


def _period() -> str | None:
    from airflow.sdk import get_current_context

    conf = get_current_context()["dag_run"].conf or {}
    p = conf.get("period")
    return str(p) if p else None


def _home():
    """The data home, resolved once per task from the task's environment (``CARBON_HOME``, set
    for the Airflow processes by ``carbon.orchestration.airflow_config.airflow_env``) and passed
    explicitly to everything the task calls."""
    from carbon.config import paths

    return paths().home


def ingest_tasks(dataset: str):
    """Add the ingest tasks of ``dataset`` to the DAG (or TaskGroup) being defined; return the last."""

    @task(task_id="list_files", trigger_rule="all_done")
    def list_files() -> list[str]:
        from carbon.orchestration.airflow_logs import figures, log
        from carbon.pipeline.ingest.pipeline import clean_temporaries, list_landing

        home = _home()
        for stale in clean_temporaries(dataset, home):  # left by a killed run
            log.warning("%s: removed stale temporary %s", dataset, stale)
        files = list_landing(dataset, home, _period())
        figures(f"ingest/{dataset}/landing", files=len(files))
        return files

    @task(task_id="stage")
    def stage(file_name: str) -> dict:
        from carbon.pipeline.ingest.pipeline import stage_file
        from carbon.pipeline.ingest.readers import RejectedFile
        from carbon.pipeline.ingest.redact import redact_message

        try:
            res = stage_file(
                dataset, file_name, _home()
            )  # raises RejectedFile: this file's task fails
        except RejectedFile:
            raise  # its reason is redacted already
        except Exception as exc:  # the task log must not quote a raw identifier either
            safe = RuntimeError(
                f"{dataset}/{file_name}: {type(exc).__name__}: {redact_message(str(exc))}"
            )
            raise safe.with_traceback(exc.__traceback__) from None
        from carbon.orchestration.airflow_logs import figures

        figures(
            f"ingest/{dataset}/{file_name}",
            rows_in=res["rows_in"],
            rows_ok=res["rows_ok"],
            rows_quarantined=res["rows_quarantined"],
            by_check=",".join(f"{k}:{v}" for k, v in sorted(res["failures_by_check"].items()))
            or "-",
        )
        return res

    @task(task_id="plan", trigger_rule="all_done")
    def plan(results) -> list[dict]:
        from carbon.pipeline.ingest.pipeline import plan_partitions

        staged = [r for r in (results or []) if r]
        values = plan_partitions(staged, _period())
        return [
            {
                "value": v,
                "results": [
                    r for r in staged if v in r["partitions"] or v in r["quarantine_partitions"]
                ],
            }
            for v in values
        ]

    @task(task_id="write")
    def write(item: dict) -> dict:
        from carbon.pipeline.ingest.pipeline import write_partition_value

        return write_partition_value(dataset, item["value"], item["results"], _home())

    @task(task_id="publish", trigger_rule="all_done", outlets=[lake_asset(dataset)])
    def publish(files, results, items, writes) -> dict:
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowSkipException

        from carbon.orchestration.airflow_logs import figures, ingest_extra, log
        from carbon.pipeline.ingest.pipeline import finalize, unexplained_failures

        home = _home()
        results, writes = list(results or []), list(writes or [])
        summary = finalize(dataset, results, writes, home, _period())
        extra = ingest_extra(summary)
        figures(
            f"ingest/{dataset}",
            files=len(list(files or [])),
            **extra,
            partitions=len(summary["partitions"]),
        )
        # the Asset event of this publish carries the night's counts (seen downstream and in the UI)
        get_current_context()["outlet_events"][lake_asset(dataset)].extra = extra
        if summary.get("demo_pseudonym_secret"):  # once per dataset and night, not per file
            from carbon.config import DEMO_SECRET_BANNER

            log.warning("%s:\n%s", dataset, DEMO_SECRET_BANNER)
        for r in summary["rejected"]:
            log.warning("!!! REJECTED %s/%s: %s %s", dataset, r["file"], r["reason"], r["columns"])
        # a failure that is not a whole-file rejection is an infrastructure error: fail loudly
        lost = unexplained_failures(dataset, list(files or []), results, home)
        if lost or len(writes) < len(list(items or [])):
            raise RuntimeError(
                f"{dataset}: ingest incomplete: files failed without a rejection report {lost}; "
                f"{len(list(items or [])) - len(writes)} partition write(s) failed"
            )
        if not summary["partitions"]:
            raise AirflowSkipException(f"{dataset}: no partition written")
        return summary

    files = list_files()
    staged = stage.expand(file_name=files)
    items = plan(staged)
    writes = write.expand(item=items)
    done = publish(files, staged, items, writes)
    files >> staged >> items >> writes >> done
    return files, done


def build_ingest_dag(dataset: str):
    """``ingest_<dataset>``: the DAG of one dataset."""
    from carbon.domain.datasets import DATASETS

    spec = DATASETS[dataset]

    @dag(
        dag_id=f"ingest_{dataset}",
        schedule="@daily",
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["ingest", spec.partition_key],
        doc_md=(
            f"### ingest `{dataset}` ({spec.name_zh})\n\nLanding files → pandera contract → "
            f"lake `{asset_uri(dataset)}` partitioned by `{spec.partition_key}`; bad rows to "
            f"quarantine, a load report per file. Grain: {spec.grain}. Key: {', '.join(spec.key)}."
            "\n\n" + (__doc__ or "")
        ),
    )
    def ingest():
        ingest_tasks(dataset)

    return ingest()


def build_nightly_dag(doc_md: str | None = None):
    """``nightly_ingest``: every dataset in process order in one run (one TaskGroup each)."""

    @dag(
        dag_id="nightly_ingest",
        schedule="@daily",
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=["ingest", "nightly"],
        doc_md=doc_md or __doc__,
    )
    def nightly_ingest():
        previous = None
        for ds in INGEST_ORDER:

            @task_group(group_id=ds)
            def group(ds=ds):
                return ingest_tasks(ds)

            first, last = group()
            if previous is not None:
                previous >> first
            previous = last

    return nightly_ingest()
