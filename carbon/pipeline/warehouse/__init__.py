"""The warehouse: one ``dbt build`` (dbt-duckdb) over the lake into ``<home>/warehouse/carbon.duckdb``.

* ``build``: the dbt runner, the lake-state diff, the personal window, the headline;
* ``months``: the append-only close / reopen record of ledger months.
"""
