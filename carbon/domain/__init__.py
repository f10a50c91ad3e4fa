"""Domain facts: codes, units, emission factors, CEADs, dataset contracts, personal methodology.

Nothing here reads the lake or the warehouse, and nothing imports ``carbon.pipeline``:

* ``codes``: GB/T 2260 regions, GB 32100 USCC, GB/T 4754-2017 industries (tables in ``data/``);
* ``units``: pint-based units (kWh, GJ, t, tce, tCO2e, 10^4 Nm3, 万元), fuel and product codes;
* ``factors``: the versioned emission-factor library and the selection rule (province ->
  grid region -> national; where the grid factor is chosen; dbt mirrors it in
  ``models/intermediate/factors/int_factors__selected.sql``);
* ``ceads``: CEADs sector codes and the inventory importer;
* ``datasets``: the data contracts of DESIGN §2, the single source for demo, contracts, DAGs, dbt;
* ``personal``: the 碳普惠 methodology table and a Python mirror of the dbt formulas.
"""
