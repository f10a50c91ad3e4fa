"""Umbrella ingest DAG (airflow): ``nightly_ingest`` runs every dataset's ingest in one DAG run.

Same tasks as the per-dataset ``ingest_<dataset>`` DAGs, one TaskGroup per dataset in process order
(reference data first: regions, enterprises, households, then signals, meters, enterprise reports,
the energy balance, personal activity and data-centre telemetry), so ``carbon nightly`` pays
Airflow's start-up once. Each group publishes its ``carbon://lake/<dataset>`` Asset.

``all_groups_ok`` (trigger rule ``none_failed``) is the run's one leaf, downstream of every
group's ``publish``: Airflow sets a run's state from its leaves, so without it a failed group in
the middle (its publish fails when a file failed without a rejection report, or a write failed)
left the run green. A file rejected whole does not fail its publish, so it does not fail the run.
"""

from airflow.sdk import task

from carbon.orchestration.ingest_dags import build_nightly_dag

nightly_ingest = build_nightly_dag(__doc__)

with nightly_ingest:

    @task(task_id="all_groups_ok", trigger_rule="none_failed")
    def all_groups_ok() -> None:
        """Runs only when no group's publish failed; its upstream_failed state fails the run."""
        from carbon.orchestration.airflow_logs import log

        log.info("every ingest group published (or had nothing to publish)")

    _check = all_groups_ok()
    for _t in list(nightly_ingest.tasks):
        if _t.task_id.endswith(".publish"):
            _t >> _check
