{{ config(contract = {'enforced': true}) }}
-- Zero-carbon park indicators per park × year (零碳园区指标, 发改环资〔2025〕910号 as widely
-- reported; docs/parks.md): one row per indicator with value, threshold, pass / fail and the
-- threshold version. Over the year's covered months (int_parks__park_monthly); the core
-- indicator's energy band follows the energy annualised from those months.
with y as (
    select park_id, year, count(*) as months_covered,
        sum(energy_tce order by energy_tce) as energy_tce, sum(clean_tce order by clean_tce) as clean_tce, sum(tco2 order by tco2) as tco2,
        sum(ledger_tco2e order by ledger_tco2e) as ledger_tco2e, sum(green_direct_tco2 order by green_direct_tco2) as green_direct_tco2,
        sum(solid_waste_generated_t order by solid_waste_generated_t) as solid_waste_generated_t,
        sum(solid_waste_utilised_t order by solid_waste_utilised_t) as solid_waste_utilised_t,
        sum(waste_heat_recoverable_gj order by waste_heat_recoverable_gj) as waste_heat_recoverable_gj,
        sum(waste_heat_recovered_gj order by waste_heat_recovered_gj) as waste_heat_recovered_gj,
        sum(water_withdrawn_t order by water_withdrawn_t) as water_withdrawn_t, sum(water_reused_t order by water_reused_t) as water_reused_t,
        min(electricity_method) as electricity_method,
        min(elec_coefficient_id) as elec_coefficient_id
    from {{ ref('int_parks__park_monthly') }}
    where is_covered
    group by park_id, year
),
rows as (
    {{ park_indicator_rows('y', 'r.energy_tce * 12.0 / r.months_covered') }}
)
select
    cast(park_id as varchar) as park_id,
    cast(year as integer) as year,
    cast(indicator as varchar) as indicator,
    cast(indicator_zh as varchar) as indicator_zh,
    cast(is_core as boolean) as is_core,
    cast(value as double) as value,
    cast(unit as varchar) as unit,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(comparator as varchar) as comparator,
    cast(threshold as double) as threshold,
    cast(passes as boolean) as passes,
    cast(case when passes then 'pass' when not passes then 'fail' else 'not assessed' end as varchar) as result,
    cast(threshold_version as varchar) as threshold_version,
    cast(threshold_status as varchar) as threshold_status,
    cast(source_document || ' ' || notice_number as varchar) as threshold_source,
    cast(band_tce as double) as annualised_energy_tce,
    cast(band_note as varchar) as band_note,
    cast(months_covered as integer) as months_covered,
    cast(energy_tce as double) as energy_tce,
    cast(tco2 as double) as tco2,
    cast(ledger_tco2e as double) as ledger_tco2e,
    cast(green_direct_tco2 as double) as green_direct_tco2,
    cast(electricity_method as varchar) as electricity_method,
    cast(elec_coefficient_id as varchar) as elec_coefficient_id
from rows
