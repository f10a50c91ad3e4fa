-- What the journal should say now: one candidate entry per key
--   (ledger, account_id, period, scope, gas, activity_ref)
-- from the current lake and factor library. ledger_entries compares these with what it already
-- holds and appends new entries, or reversal + replacement entries when a figure or its factor
-- version changed (docs/restatement.md). Only months in var ledger_months are considered.
--
-- Rows whose `missing` says why they cannot be counted (enterprise not in the register, missing
-- factor, unknown unit) are left out and listed in recon_exceptions: one bad row never stops the
-- build (docs/ledgers.md).
--
-- activity_ref = <dataset>/<partition>/<row key>[#part] points back to the lake row(s).
-- Ledgers and accounts:
--   enterprise  account_id = USCC (account types enterprise and datacenter)
--   government  account_id = region code: public-institution electricity (one entry per public
--               account), household electricity (one entry per region: households are counted
--               once, here, never in the personal ledger) and the top-down inventory
--               (sector_energy_balance refs)
--   personal    rows of int_personal__journal_candidates (credits per account × month × factor,
--               expiries per account × month, redemptions): the ended months from the month of
--               the personal build window's first recomputed day - 1 on (int_personal__build_window)
{%- set basis = var('scope2_basis', 'location') %}
{%- set pw = personal_window() %}
{%- if basis not in ['location', 'market'] %}
    {{ exceptions.raise_compiler_error("var scope2_basis must be location or market, not " ~ basis) }}
{%- endif %}
with enterprise as (
    select 'enterprise' as ledger, uscc as account_id, month as period, 'emission' as entry_type,
        'scope1_combustion' as scope, 'CO2' as gas, tco2 as tco2e,
        'fuel_consumption/month=' || month || '/' || uscc || '|' || fuel_code as activity_ref,
        factor_id, factor_version
    from {{ ref('int_ent__fuel_emissions') }}
    where missing is null
    union all
    select 'enterprise', uscc, month, 'emission', 'scope1_process', 'CO2', tco2,
        'industrial_activity/month=' || month || '/' || uscc || '|' || product_code,
        factor_id, factor_version
    from {{ ref('int_ent__process_emissions') }}
    where missing is null
    union all
    select 'enterprise', uscc, month, 'emission', 'scope2_heat', 'CO2', tco2,
        'heat_consumption/month=' || month || '/' || uscc,
        factor_id, factor_version
    from {{ ref('int_ent__heat_emissions') }}
    where missing is null
    union all
    select 'enterprise', account_id, month, 'emission', 'scope2_electricity', 'CO2',
        {%- if basis == 'location' %} tco2_location {%- else %} tco2_market_gross {%- endif %},
        'electricity_consumption/month=' || month || '/' || account_type || '|' || account_id,
        factor_id,
        {%- if basis == 'location' %} location_factor_version {%- else %} market_factor_version {%- endif %}
    from {{ ref('int_elec__account_monthly') }}
    where account_type in ('enterprise', 'datacenter') and missing is null
    {%- if basis == 'market' %}
    union all
    -- market basis: green power bought is taken out of the total, once, at the market factor
    select 'enterprise', account_id, month, 'green_power_deduction', 'scope2_electricity', 'CO2',
        tco2_market_green,
        'electricity_consumption/month=' || month || '/' || account_type || '|' || account_id || '#green',
        factor_id, market_factor_version
    from {{ ref('int_elec__account_monthly') }}
    where account_type in ('enterprise', 'datacenter') and green_kwh_deducted > 0 and missing is null
    {%- endif %}
),
government as (
    select 'government' as ledger, region_code as account_id, month as period,
        'emission' as entry_type, 'scope2_electricity' as scope, 'CO2' as gas,
        {%- if basis == 'location' %} tco2_location {%- else %} tco2_market_gross {%- endif %} as tco2e,
        'electricity_consumption/month=' || month || '/public|' || account_id as activity_ref,
        factor_id,
        {%- if basis == 'location' %} location_factor_version {%- else %} market_factor_version {%- endif %}
            as factor_version
    from {{ ref('int_elec__account_monthly') }}
    where account_type = 'public' and missing is null
    union all
    select 'government', region_code, month, 'emission', 'scope2_electricity', 'CO2',
        {%- set hh_tco2 = 'tco2_location' if basis == 'location' else 'tco2_market_gross' %}
        sum({{ hh_tco2 }} order by {{ hh_tco2 }}),
        'electricity_consumption/month=' || month || '/household|' || region_code,
        min(factor_id),
        min({%- if basis == 'location' %} location_factor_version {%- else %} market_factor_version {%- endif %})
    from {{ ref('int_elec__account_monthly') }}
    where account_type = 'household' and missing is null
    group by region_code, month
    union all
    select 'government', region_code, month, 'emission', scope, 'CO2', tco2,
        activity_ref, factor_id, factor_version
    from {{ ref('int_gov__topdown_monthly') }}
    where missing is null
),
personal as (
    -- The personal-account engineer's model (models/intermediate/personal/): same columns less
    -- entry_id, build_id and is_provisional, which the journal adds. Do not select from it
    -- anything but these ten columns. Period is a month (docs/ledgers.md "Journal grain"): only
    -- ended months (before the as-of date's month) from the month of s-1 on, s = the personal
    -- build window's first recomputed day (every ended month after a full personal build); the
    -- journal already holds the earlier months. ledger_entries' standing covers the same months.
    select ledger, account_id, period, entry_type, scope, gas, tco2e, activity_ref,
        factor_id, factor_version
    from {{ ref('int_personal__journal_candidates') }}
    where {{ personal_journal_months('period', pw) }}
),
unioned as (
    select * from enterprise
    union all
    select * from government
    union all
    select * from personal
)
select
    cast(ledger as varchar) as ledger,
    cast(account_id as varchar) as account_id,
    cast(period as varchar) as period,
    cast(entry_type as varchar) as entry_type,
    cast(scope as varchar) as scope,
    cast(gas as varchar) as gas,
    cast(tco2e as double) as tco2e,
    cast(activity_ref as varchar) as activity_ref,
    cast(factor_id as varchar) as factor_id,
    cast(factor_version as varchar) as factor_version,
    md5(concat_ws('|', ledger, account_id, period, scope, gas, activity_ref)) as entry_key
from unioned
-- personal rows follow the personal build window, not ledger_months
where ledger = 'personal' or {{ in_ledger_months('substr(period, 1, 7)') }}
