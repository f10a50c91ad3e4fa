-- Park accounting per park × member × month (issue 14 §1, docs/parks.md), from the enterprise
-- ledger's own monthly figures (ent_enterprise_emissions_monthly: no emission recomputed here).
-- Boundary: the accepted spells of int_parks__membership; a member counts for a whole month when
-- its spell covers any day of it. Energy in tce by GB/T 2589-2020 (seed energy_conversion):
--   fuel: NCV energy (GJ) / 29.3076; heat: net purchased GJ x 0.03412; electricity: kWh x the
--   coefficient of var park_electricity_method (calorific 当量值 0.1229 | equivalent 等价值).
-- CO2 (tCO2): combustion + process + net purchased heat + electricity on the market basis (net of
-- green power bought) − green direct supply / own generation inside the boundary (at the member's
-- own market-basis factor, capped at its grid draw net of green power).
{%- set method = var('park_electricity_method', 'calorific') %}
with coef as (
    select
        max(case when carrier = 'electricity' and method = '{{ method }}' then value end) / 1000.0 as elec_tce_per_kwh,
        max(case when carrier = 'electricity' and method = '{{ method }}' then coefficient_id end) as elec_coefficient_id,
        max(case when coefficient_id = 'GBT2589-HEAT' then value end) as heat_tce_per_gj,
        max(case when coefficient_id = 'GBT2589-KGCE' then value end) as gj_per_tce
    from {{ ref('energy_conversion') }}
),
months as (
    select distinct month from {{ ref('ent_enterprise_emissions_monthly') }}
),
boundary as (
    select m.park_id, m.uscc, mo.month
    from {{ ref('int_parks__membership') }} as m
    join months as mo
      on m.valid_from <= last_day(cast(mo.month || '-01' as date))
     and m.valid_until >= cast(mo.month || '-01' as date)
    where m.status = 'accepted'
),
heat as (
    select uscc, month, sum(gj_purchased order by gj_purchased) - sum(gj_exported order by gj_exported) as heat_net_gj
    from {{ ref('stg_lake__heat_consumption') }} group by all
),
res as (
    select park_id, uscc, month,
        sum(solid_waste_generated_t order by solid_waste_generated_t) as solid_waste_generated_t,
        sum(solid_waste_utilised_t order by solid_waste_utilised_t) as solid_waste_utilised_t,
        sum(waste_heat_recoverable_gj order by waste_heat_recoverable_gj) as waste_heat_recoverable_gj,
        sum(waste_heat_recovered_gj order by waste_heat_recovered_gj) as waste_heat_recovered_gj,
        sum(water_withdrawn_t order by water_withdrawn_t) as water_withdrawn_t,
        sum(water_reused_t order by water_reused_t) as water_reused_t,
        sum(green_direct_kwh order by green_direct_kwh) as green_direct_kwh
    from {{ ref('stg_lake__park_resource_use') }} group by all
),
joined as (
    select
        b.park_id, b.uscc, b.month,
        coalesce(e.scope1_combustion, 0) as scope1_combustion,
        coalesce(e.scope1_process, 0) as scope1_process,
        coalesce(e.scope2_heat, 0) as scope2_heat,
        coalesce(e.scope2_market, 0) as scope2_market,
        coalesce(e.scope2_location, 0) as scope2_location,
        coalesce(e.tco2e_total, 0) as ledger_tco2e,
        coalesce(e.kwh, 0) as kwh,
        coalesce(e.green_kwh_deducted, 0) as green_kwh,
        coalesce(e.fuel_energy_gj, 0) as fuel_energy_gj,
        coalesce(h.heat_net_gj, 0) as heat_net_gj,
        least(coalesce(r.green_direct_kwh, 0), greatest(coalesce(e.kwh, 0) - coalesce(e.green_kwh_deducted, 0), 0)) as green_direct_kwh,
        r.solid_waste_generated_t, r.solid_waste_utilised_t,
        r.waste_heat_recoverable_gj, r.waste_heat_recovered_gj,
        r.water_withdrawn_t, r.water_reused_t
    from boundary as b
    left join {{ ref('ent_enterprise_emissions_monthly') }} as e using (uscc, month)
    left join heat as h using (uscc, month)
    left join res as r using (park_id, uscc, month)
)
select
    j.park_id,
    j.uscc,
    j.month,
    j.scope1_combustion,
    j.scope1_process,
    j.scope2_heat,
    j.scope2_market,
    j.ledger_tco2e,
    j.kwh,
    j.green_kwh,
    j.green_direct_kwh,
    j.scope2_market / nullif(j.kwh - j.green_kwh, 0) * j.green_direct_kwh as green_direct_tco2,
    j.fuel_energy_gj / c.gj_per_tce as fuel_tce,
    j.heat_net_gj * c.heat_tce_per_gj as heat_tce,
    j.kwh * c.elec_tce_per_kwh as elec_tce,
    (j.green_kwh + j.green_direct_kwh) * c.elec_tce_per_kwh as clean_tce,
    j.fuel_energy_gj / c.gj_per_tce + j.heat_net_gj * c.heat_tce_per_gj + j.kwh * c.elec_tce_per_kwh as energy_tce,
    j.scope1_combustion + j.scope1_process + j.scope2_heat + j.scope2_market
        - coalesce(j.scope2_market / nullif(j.kwh - j.green_kwh, 0) * j.green_direct_kwh, 0) as tco2,
    j.solid_waste_generated_t, j.solid_waste_utilised_t,
    j.waste_heat_recoverable_gj, j.waste_heat_recovered_gj,
    j.water_withdrawn_t, j.water_reused_t,
    '{{ method }}' as electricity_method,
    c.elec_coefficient_id
from joined as j
cross join coef as c
