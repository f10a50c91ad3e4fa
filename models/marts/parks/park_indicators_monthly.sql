{{ config(contract = {'enforced': true}) }}
-- Zero-carbon park indicators per park × month, year to date over the covered months, with a
-- year-end projection (docs/parks.md): the year's energy and CO2 projected at the YTD monthly
-- rate (x 12 / months covered). A ratio projects to its YTD value; the energy band of the core
-- indicator follows the projected year energy.
with ytd as (
    select m.park_id, m.month, m.year,
        count(*) as months_covered,
        sum(c.energy_tce order by c.energy_tce) as energy_tce, sum(c.clean_tce order by c.clean_tce) as clean_tce, sum(c.tco2 order by c.tco2) as tco2,
        sum(c.ledger_tco2e order by c.ledger_tco2e) as ledger_tco2e, sum(c.green_direct_tco2 order by c.green_direct_tco2) as green_direct_tco2,
        sum(c.solid_waste_generated_t order by c.solid_waste_generated_t) as solid_waste_generated_t,
        sum(c.solid_waste_utilised_t order by c.solid_waste_utilised_t) as solid_waste_utilised_t,
        sum(c.waste_heat_recoverable_gj order by c.waste_heat_recoverable_gj) as waste_heat_recoverable_gj,
        sum(c.waste_heat_recovered_gj order by c.waste_heat_recovered_gj) as waste_heat_recovered_gj,
        sum(c.water_withdrawn_t order by c.water_withdrawn_t) as water_withdrawn_t, sum(c.water_reused_t order by c.water_reused_t) as water_reused_t,
        min(c.electricity_method) as electricity_method,
        min(c.elec_coefficient_id) as elec_coefficient_id
    from (select distinct park_id, month, year from {{ ref('int_parks__park_monthly') }} where is_covered) as m
    join {{ ref('int_parks__park_monthly') }} as c
      on c.park_id = m.park_id and c.year = m.year and c.month <= m.month and c.is_covered
    group by m.park_id, m.month, m.year
),
rows as (
    {{ park_indicator_rows('ytd', 'r.energy_tce * 12.0 / r.months_covered') }}
)
select
    cast(park_id as varchar) as park_id,
    cast(month as varchar) as month,
    cast(indicator as varchar) as indicator,
    cast(indicator_zh as varchar) as indicator_zh,
    cast(is_core as boolean) as is_core,
    cast(value as double) as ytd_value,
    cast(value as double) as projected_value,
    cast(unit as varchar) as unit,
    cast(comparator as varchar) as comparator,
    cast(threshold as double) as threshold,
    cast(passes as boolean) as passes,
    cast(case when passes then 'pass' when not passes then 'fail' else 'not assessed' end as varchar) as result,
    cast(threshold_version as varchar) as threshold_version,
    cast(threshold_status as varchar) as threshold_status,
    cast(band_note as varchar) as band_note,
    cast(months_covered as integer) as months_covered,
    cast(energy_tce as double) as ytd_energy_tce,
    cast(tco2 as double) as ytd_tco2,
    cast(energy_tce * 12.0 / months_covered as double) as projected_year_energy_tce,
    cast(tco2 * 12.0 / months_covered as double) as projected_year_tco2,
    cast(electricity_method as varchar) as electricity_method
from rows
