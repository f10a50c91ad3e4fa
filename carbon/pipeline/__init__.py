"""Pipeline stages, landing -> lake -> warehouse (marts are dbt models under ``models/``).

* ``ingest``: landing files -> parsed, pandera-validated, pseudonymised rows; a bad row goes to
  quarantine with its reason (``ingest.pipeline.quarantine_table``), a file that breaks its
  contract fails naming file, column and row;
* ``contracts``: the pandera schemas and row rules built from ``carbon.domain.datasets``;
* ``kernels``: numba kernels of the ingest hot path (pseudonym HMAC, distinctness, whitespace);
* ``lake``: the hive-partitioned Parquet lake, atomic writes (``lake.atomic_path``);
* ``locks``: exclusive OS locks on a data home (nightly, warehouse writer, month close);
* ``warehouse``: the dbt-duckdb build of the ledgers and marts, month close / reopen.
"""
