-- depends_on: {{ source('lake', 'park_resource_use') }}
-- Monthly resource-use figures of park members (园区资源循环利用): t, GJ, kWh (rename / cast only).
select
    cast(park_id as varchar) as park_id,
    cast(uscc as varchar) as uscc,
    cast(month as varchar) as month,
    cast(solid_waste_generated_t as double) as solid_waste_generated_t,
    cast(solid_waste_utilised_t as double) as solid_waste_utilised_t,
    cast(waste_heat_recoverable_gj as double) as waste_heat_recoverable_gj,
    cast(waste_heat_recovered_gj as double) as waste_heat_recovered_gj,
    cast(water_withdrawn_t as double) as water_withdrawn_t,
    cast(water_reused_t as double) as water_reused_t,
    cast(coalesce(green_direct_kwh, 0) as double) as green_direct_kwh
from {{ lake_scan('park_resource_use') }}
