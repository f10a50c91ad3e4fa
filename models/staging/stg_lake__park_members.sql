-- depends_on: {{ source('lake', 'park_members') }}
-- Park membership spells (园区企业名录), latest register snapshot only (rename / cast only).
select
    cast(park_id as varchar) as park_id,
    cast(uscc as varchar) as uscc,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    cast(snapshot_month as varchar) as snapshot_month
from {{ lake_scan('park_members') }}
qualify dense_rank() over (order by snapshot_month desc) = 1
