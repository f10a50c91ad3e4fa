-- depends_on: {{ source('lake', 'households') }}
-- Households (pseudonymous key), one row per monthly snapshot (rename / cast only).
select
    cast(household_key as varchar) as household_key,
    cast(region_code as varchar) as region_code,
    cast(community_id as varchar) as community_id,
    cast(members as bigint) as members,
    cast(coalesce(snapshot_month, month) as varchar) as snapshot_month
from {{ lake_scan('households') }}
