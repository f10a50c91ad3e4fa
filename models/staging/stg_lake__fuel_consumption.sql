-- depends_on: {{ source('lake', 'fuel_consumption') }}
-- Monthly fuel use per enterprise, quantity in `unit` (rename / cast only).
select
    cast(uscc as varchar) as uscc,
    cast(month as varchar) as month,
    cast(fuel_code as varchar) as fuel_code,
    cast(quantity as double) as quantity,
    trim(cast(unit as varchar)) as unit
from {{ lake_scan('fuel_consumption') }}
