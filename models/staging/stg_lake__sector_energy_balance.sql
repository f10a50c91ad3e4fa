-- depends_on: {{ source('lake', 'sector_energy_balance') }}
-- Yearly energy balance by region, CEADs sector and fuel (top-down), quantity in `unit`.
select
    cast(region_code as varchar) as region_code,
    cast(year as integer) as year,
    cast(sector_code as varchar) as sector_code,
    cast(fuel_code as varchar) as fuel_code,
    cast(quantity as double) as quantity,
    trim(cast(unit as varchar)) as unit
from {{ lake_scan('sector_energy_balance') }}
