-- depends_on: {{ source('lake', 'reference_ceads') }}
-- CEADs published figures (Mt CO2) imported by carbon.domain.ceads.import_reference.
select
    cast(region_code as varchar) as region_code,
    cast(year as integer) as year,
    cast(sector_code as varchar) as sector_code,
    cast(fuel_code as varchar) as fuel_code,
    cast(mt_co2 as double) as mt_co2,
    cast(source_file as varchar) as source_file
from {{ lake_scan('reference_ceads') }}
