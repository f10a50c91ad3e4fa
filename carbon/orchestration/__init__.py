"""Orchestration: the project's Airflow DAGs (``dags/``) run for real.

* ``dagrun``: ``run_dag`` (one Airflow subprocess per DAG run, metadata DB under the data home);
* ``airflow_config``: the Airflow configuration generated for a data home and ``airflow_env``,
  the environment of Airflow child processes;
* ``ingest_dags``: the ingest DAGs (one per dataset, and the nightly one) over ``pipeline.ingest``;
* ``airflow_logs``: the night's figures in the task logs;
* ``nightly``: ``carbon nightly``, the night's steps in order.
"""
