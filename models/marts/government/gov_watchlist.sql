{{ config(contract = {'enforced': true}) }}
-- Watch lists per year (Hangzhou carbon-budget platform rules, sources.md), from the months so far,
-- annualised (× 12 / months reported):
--   enterprise: energy >= var watch_enterprise_tce (10,000 tce/yr) or a registered key emitter;
--   industry (GB/T 4754 class in a county): > var watch_industry_tco2e (2 Mt/yr) and
--             > var watch_industry_intensity (0.9 t per 10^4 CNY value added).
with m as (
    select *, cast(substr(month, 1, 4) as integer) as year
    from {{ ref('ent_enterprise_emissions_monthly') }}
),
ent as (
    select m.uscc, m.year, min(m.region_code) as region_code,
        min(m.industry_code) as industry_code,
        count(distinct m.month) as months,
        sum(m.tco2e_total order by m.tco2e_total) * 12.0 / count(distinct m.month) as annual_tco2e,
        sum(m.fuel_energy_gj order by m.fuel_energy_gj) / 29.3076 * 12.0 / count(distinct m.month) as annual_tce,
        sum(m.tco2e_total order by m.tco2e_total) / nullif(sum(m.value_added_10k_cny order by m.value_added_10k_cny), 0) as intensity,
        sum(m.tco2e_total order by m.tco2e_total) as tco2e_sum,
        sum(m.value_added_10k_cny order by m.value_added_10k_cny) as va_sum,
        bool_or(coalesce(e.is_key_emitter, false)) as is_key_emitter
    from m left join {{ ref('int_enterprises__current') }} as e using (uscc)
    group by m.uscc, m.year
),
ind as (
    select region_code, industry_code, year,
        sum(annual_tco2e order by annual_tco2e) as annual_tco2e,
        sum(annual_tce order by annual_tce) as annual_tce,
        sum(tco2e_sum order by tco2e_sum) / nullif(sum(va_sum order by va_sum), 0) as intensity
    from ent
    group by all
)
select
    cast(year as integer) as year,
    cast(region_code as varchar) as region_code,
    cast('enterprise' as varchar) as entity_type,
    cast(uscc as varchar) as entity_id,
    cast(industry_code as varchar) as industry_code,
    cast(annual_tco2e as double) as annual_tco2e,
    cast(annual_tce as double) as annual_tce,
    cast(intensity as double) as intensity,
    cast(case when annual_tce >= {{ var('watch_enterprise_tce') }} then 'energy >= {{ var("watch_enterprise_tce") }} tce/yr'
         else 'registered key emitter' end as varchar) as reason
from ent
where annual_tce >= {{ var('watch_enterprise_tce') }} or is_key_emitter
union all
select year, region_code, 'industry', industry_code, industry_code, annual_tco2e, annual_tce, intensity,
    'tCO2 > {{ var("watch_industry_tco2e") }}/yr and intensity > {{ var("watch_industry_intensity") }} t/10^4 CNY'
from ind
where annual_tco2e > {{ var('watch_industry_tco2e') }} and intensity > {{ var('watch_industry_intensity') }}
