-- depends_on: {{ source('lake', 'regions') }}
-- Regions with population and GDP per statistical year (rename / cast only).
select
    cast(region_code as varchar) as region_code,
    cast(name_zh as varchar) as name_zh,
    cast(parent_code as varchar) as parent_code,
    cast(level as varchar) as level,
    cast(year as integer) as year,
    cast(population as bigint) as population,
    cast(gdp_10k_cny as double) as gdp_10k_cny
from {{ lake_scan('regions') }}
