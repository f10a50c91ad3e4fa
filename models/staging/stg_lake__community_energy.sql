-- depends_on: {{ source('lake', 'community_energy') }}
-- Community public electricity, PV and green purchases per month, kWh (rename / cast only).
select
    cast(community_id as varchar) as community_id,
    cast(month as varchar) as month,
    cast(coalesce(public_kwh, 0) as double) as public_kwh,
    cast(coalesce(pv_kwh, 0) as double) as pv_kwh,
    cast(coalesce(green_purchase_kwh, 0) as double) as green_purchase_kwh
from {{ lake_scan('community_energy') }}
