"""Carbon accounting (三本碳账户): the layers, in the order data flows through them.

* ``carbon.domain``: facts that hold without any pipeline: codes (GB/T 2260, GB 32100,
  GB/T 4754-2017), units, the emission-factor library and its selection rule (``domain.factors``:
  which grid factor a record gets), the CEADs inventories, the dataset contracts,, the personal
  methodology.
* ``carbon.pipeline``: the stages landing -> lake -> warehouse:
  ``pipeline.ingest`` (landing files -> validated rows; bad rows -> quarantine with a reason,
  ``pipeline.ingest.pipeline.quarantine_table``), ``pipeline.contracts`` (pandera),
  ``pipeline.lake`` (atomic hive-partitioned Parquet), ``pipeline.warehouse`` (the dbt build of
  the ledgers and marts, month close).
* ``carbon.monitor``, ``carbon.reports``, ``carbon.console``: readers of the marts (alerts,
  reports, the web console). ``carbon.demo`` writes a demo city's landing files.
* ``carbon.orchestration``: running the Airflow DAGs (``dags/``) for real, the nightly run.
* ``carbon.cli``: the ``carbon`` console script, one module per command.

Imports point down this list only (cli -> orchestration -> readers -> pipeline -> domain).
"""
