"""Domain facts: codes, units, emission factors, CEADs, dataset contracts, park reference data.

Nothing here reads the lake or the warehouse, and nothing imports ``carbon.pipeline``:

* ``codes``: GB/T 2260 regions, GB 32100 USCC, GB/T 4754-2017 industries (tables in ``data/``);
* ``units``: pint-based units (kWh, GJ, t, tce, tCO2e, 10^4 Nm3, 万元), fuel and product codes;
* ``factors``: the versioned emission-factor library (its CSVs are the dbt seeds). **Where the grid
  factor is chosen**: one rule, in the warehouse, ``models/intermediate/factors/int_factors__selected.sql``
  (province -> grid region -> national; its cases are dbt ``unit_tests``); the Python ``select``
  here only serves the dispatch's diesel factor;
* ``ceads``: CEADs sector codes and the inventory reader;
* ``datasets``: the data contracts of DESIGN §2, the single source for demo, contracts, DAGs, dbt
  sources and the dispatch lake schemas;
* ``parks``: the zero-carbon park register, thresholds and community rules (``data/parks/``).
"""
