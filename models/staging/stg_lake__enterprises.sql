-- depends_on: {{ source('lake', 'enterprises') }}
-- Enterprise register, one row per monthly snapshot (rename / cast only).
select
    cast(uscc as varchar) as uscc,
    cast(name as varchar) as name,
    cast(industry_code as varchar) as industry_code,
    cast(region_code as varchar) as region_code,
    cast(is_key_emitter as boolean) as is_key_emitter,
    cast(is_datacenter as boolean) as is_datacenter,
    cast(in_ets as boolean) as in_ets,
    cast(coalesce(snapshot_month, month) as varchar) as snapshot_month
from {{ lake_scan('enterprises') }}
