-- depends_on: {{ source('lake', 'heat_consumption') }}
-- Monthly heat purchased and exported per enterprise, GJ (rename / cast only).
select
    cast(uscc as varchar) as uscc,
    cast(month as varchar) as month,
    cast(coalesce(gj_purchased, 0) as double) as gj_purchased,
    cast(coalesce(gj_exported, 0) as double) as gj_exported
from {{ lake_scan('heat_consumption') }}
