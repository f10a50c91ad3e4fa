-- Park totals per month (sum of int_parks__member_monthly). A month is covered once the park's
-- electricity meters are in (kwh > 0): a month with fuel reports but no meter data would overstate
-- the core indicator, so it is left out of the indicators (docs/parks.md).
select
    park_id,
    month,
    cast(left(month, 4) as integer) as year,
    count(*) as members,
    sum(energy_tce order by energy_tce) as energy_tce,
    sum(fuel_tce order by fuel_tce) as fuel_tce,
    sum(heat_tce order by heat_tce) as heat_tce,
    sum(elec_tce order by elec_tce) as elec_tce,
    sum(clean_tce order by clean_tce) as clean_tce,
    sum(tco2 order by tco2) as tco2,
    sum(ledger_tco2e order by ledger_tco2e) as ledger_tco2e,
    sum(coalesce(green_direct_tco2, 0) order by coalesce(green_direct_tco2, 0)) as green_direct_tco2,
    sum(kwh order by kwh) as kwh,
    sum(green_kwh order by green_kwh) as green_kwh,
    sum(green_direct_kwh order by green_direct_kwh) as green_direct_kwh,
    sum(solid_waste_generated_t order by solid_waste_generated_t) as solid_waste_generated_t,
    sum(solid_waste_utilised_t order by solid_waste_utilised_t) as solid_waste_utilised_t,
    sum(waste_heat_recoverable_gj order by waste_heat_recoverable_gj) as waste_heat_recoverable_gj,
    sum(waste_heat_recovered_gj order by waste_heat_recovered_gj) as waste_heat_recovered_gj,
    sum(water_withdrawn_t order by water_withdrawn_t) as water_withdrawn_t,
    sum(water_reused_t order by water_reused_t) as water_reused_t,
    sum(kwh order by kwh) > 0 as is_covered,
    min(electricity_method) as electricity_method,
    min(elec_coefficient_id) as elec_coefficient_id
from {{ ref('int_parks__member_monthly') }}
group by park_id, month
