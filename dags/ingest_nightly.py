"""Umbrella ingest DAG (airflow): ``nightly_ingest`` runs every dataset's ingest in one DAG run.

Same tasks as the per-dataset ``ingest_<dataset>`` DAGs, one TaskGroup per dataset in process order
(reference data first: regions, enterprises, households, then signals, meters, enterprise reports,
the energy balance, personal activity and data-centre telemetry), so ``carbon nightly`` pays
Airflow's start-up once. Each group publishes its ``carbon://lake/<dataset>`` Asset.
"""

from carbon.ingest.dag_factory import build_nightly_dag

nightly_ingest = build_nightly_dag(__doc__)
