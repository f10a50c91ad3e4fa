"""Ingest: landing files -> pandera-validated, pseudonymised, hive-partitioned Parquet lake.

Pure logic lives in ``readers`` (outside formats), ``parse``, ``validate``, ``pseudonym`` and
``pipeline`` (``carbon.orchestration.ingest_dags`` wraps its steps as Airflow tasks). Import the submodules
you need: this package does not import pandas / pyarrow / pandera at import time.
"""
