"""Ingest DAGs (airflow): one ``ingest_<dataset>`` DAG per input dataset of ``carbon.domain.datasets``.

Each DAG validates the landing files of its dataset against the pandera contract, writes good
rows to the hive-partitioned Parquet lake, bad rows to quarantine, a load report per file, and
publishes ``Asset("carbon://lake/<dataset>")``. The task graph lives in
``carbon.orchestration.ingest_dags``; this file only binds the DAG objects to module-level names.
"""

from carbon.domain.datasets import DATASETS
from carbon.orchestration.ingest_dags import build_ingest_dag

for _name in DATASETS:
    globals()[f"ingest_{_name}"] = build_ingest_dag(_name)
