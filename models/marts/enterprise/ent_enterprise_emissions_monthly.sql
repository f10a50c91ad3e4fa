{{ config(contract = {'enforced': true}) }}
-- Enterprise account per USCC × month (tCO2). Rows with `missing` (enterprise not in the register,
-- missing factor, unknown unit) are left out, as in the journal, and listed in recon_exceptions.
-- Scope 1 combustion + process, Scope 2 heat (net = purchased 外购热力 − exported 输出热力, both
-- also shown apart, >= 0) and
-- electricity on both bases; tco2e_total uses the configured basis (var scope2_basis) and equals
-- the enterprise journal's standing for the month (tested). Intensities per 10^4 CNY of value
-- added / output value and per unit of the main product (largest output value in the month).
{%- set basis = var('scope2_basis', 'location') %}
with fuel as (
    select uscc, month, sum(tco2 order by tco2) as tco2, sum(energy_gj order by energy_gj) as energy_gj
    from {{ ref('int_ent__fuel_emissions') }} where missing is null group by all
),
process as (
    select uscc, month, sum(tco2 order by tco2) as tco2 from {{ ref('int_ent__process_emissions') }}
    where missing is null group by all
),
heat as (
    select uscc, month, sum(tco2_purchased order by tco2_purchased) as tco2_purchased, sum(tco2_exported order by tco2_exported) as tco2_exported
    from {{ ref('int_ent__heat_emissions') }}
    where missing is null group by all
),
elec as (
    select account_id as uscc, month, sum(kwh order by kwh) as kwh, sum(green_kwh_deducted order by green_kwh_deducted) as green_kwh_deducted,
        sum(tco2_location order by tco2_location) as tco2_location, sum(tco2_market order by tco2_market) as tco2_market
    from {{ ref('int_elec__account_monthly') }}
    where account_type in ('enterprise', 'datacenter') and missing is null
    group by all
),
activity as (
    select uscc, month, sum(output_value_10k_cny order by output_value_10k_cny) as output_value_10k_cny,
        sum(value_added_10k_cny order by value_added_10k_cny) as value_added_10k_cny,
        arg_max(product_code, (output_value_10k_cny, product_code, quantity, unit)) as main_product_code,
        arg_max(quantity, (output_value_10k_cny, product_code, quantity, unit)) as main_product_quantity,
        arg_max(unit, (output_value_10k_cny, product_code, quantity, unit)) as main_product_unit
    from {{ ref('stg_lake__industrial_activity') }}
    where uscc in (select uscc from {{ ref('int_enterprises__current') }})  -- others: recon_exceptions
    group by all
),
keys as (
    select uscc, month from fuel union select uscc, month from process
    union select uscc, month from heat union select uscc, month from elec
    union select uscc, month from activity
),
closed as (select distinct month from {{ ref('stg_lake__ledger_closed_months') }}),
joined as (
    select
        k.uscc,
        k.month,
        e.region_code,
        e.industry_code,
        coalesce(fuel.tco2, 0) as scope1_combustion,
        coalesce(process.tco2, 0) as scope1_process,
        coalesce(heat.tco2_purchased, 0) as scope2_heat_purchased,
        coalesce(heat.tco2_exported, 0) as scope2_heat_exported,
        coalesce(heat.tco2_purchased, 0) - coalesce(heat.tco2_exported, 0) as scope2_heat,
        coalesce(elec.tco2_location, 0) as scope2_location,
        coalesce(elec.tco2_market, 0) as scope2_market,
        coalesce(elec.kwh, 0) as kwh,
        coalesce(elec.green_kwh_deducted, 0) as green_kwh_deducted,
        coalesce(fuel.energy_gj, 0) as fuel_energy_gj,
        a.value_added_10k_cny,
        a.output_value_10k_cny,
        a.main_product_code,
        a.main_product_quantity,
        a.main_product_unit,
        k.month in (select month from closed) as is_closed
    from keys as k
    left join {{ ref('int_enterprises__current') }} as e using (uscc)
    left join fuel using (uscc, month)
    left join process using (uscc, month)
    left join heat using (uscc, month)
    left join elec using (uscc, month)
    left join activity as a using (uscc, month)
)
select
    cast(uscc as varchar) as uscc,
    cast(month as varchar) as month,
    cast(region_code as varchar) as region_code,
    cast(industry_code as varchar) as industry_code,
    cast(scope1_combustion as double) as scope1_combustion,
    cast(scope1_process as double) as scope1_process,
    cast(scope2_heat as double) as scope2_heat,
    cast(scope2_heat_purchased as double) as scope2_heat_purchased_tco2e,
    cast(scope2_heat_exported as double) as scope2_heat_exported_tco2e,
    cast(scope2_location as double) as scope2_location,
    cast(scope2_market as double) as scope2_market,
    cast('{{ basis }}' as varchar) as scope2_basis,
    cast(kwh as double) as kwh,
    cast(green_kwh_deducted as double) as green_kwh_deducted,
    cast(fuel_energy_gj as double) as fuel_energy_gj,
    cast(scope1_combustion + scope1_process + scope2_heat
        + {% if basis == 'location' %}scope2_location{% else %}scope2_market{% endif %} as double)
        as tco2e_total,
    cast(value_added_10k_cny as double) as value_added_10k_cny,
    cast(output_value_10k_cny as double) as output_value_10k_cny,
    cast(main_product_code as varchar) as main_product_code,
    cast(main_product_quantity as double) as main_product_quantity,
    cast(main_product_unit as varchar) as main_product_unit,
    cast((scope1_combustion + scope1_process + scope2_heat
        + {% if basis == 'location' %}scope2_location{% else %}scope2_market{% endif %})
        / nullif(value_added_10k_cny, 0) as double) as intensity_per_value_added,
    cast((scope1_combustion + scope1_process + scope2_heat
        + {% if basis == 'location' %}scope2_location{% else %}scope2_market{% endif %})
        / nullif(output_value_10k_cny, 0) as double) as intensity_per_output_value,
    cast((scope1_combustion + scope1_process + scope2_heat
        + {% if basis == 'location' %}scope2_location{% else %}scope2_market{% endif %})
        / nullif(main_product_quantity, 0) as double) as intensity_per_unit_product,
    cast(not is_closed as boolean) as is_provisional
from joined
