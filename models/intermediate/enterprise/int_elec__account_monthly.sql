-- Electricity per account × month (kWh) with both Scope 2 bases (tCO2):
--   location = kWh × provincial / regional / national average factor (fallback chain);
--   market   = (kWh − green kWh) × national factor excluding market-traded non-fossil power.
-- green_kwh_deducted = min(green kWh, kWh): green power is deducted once, never below zero.
-- Incremental by month: a nightly build with ledger_months re-aggregates only those months
-- (the month filter prunes the lake's date partitions); a build over all months redoes all.
{{ config(materialized = 'incremental', incremental_strategy = 'delete+insert', unique_key = 'month') }}
with m as (
    select
        account_type,
        account_id,
        region_code,
        month,
        cast(substr(month, 1, 4) as integer) as year,
        -- exact sums of the delivered readings (DECIMAL(38,10), kwh_decimal(): a meter read has
        -- at most 3 decimals, so the cast keeps it as delivered): the same total whatever order
        -- DuckDB's threads add them in, at 1.4x the cost of a DOUBLE sum (an ordered
        -- sum(x order by x) costs ~30x on the city's 75 M meter-days a month; docs/ledgers.md)
        cast(sum(cast(kwh as {{ kwh_decimal() }})) as double) as kwh,
        cast(sum(cast(green_kwh as {{ kwh_decimal() }})) as double) as green_kwh,
        count(*) as days
    from {{ ref('stg_lake__electricity_consumption') }}
    {%- if is_incremental() %}
    where {{ in_ledger_months('month') }}
    {%- endif %}
    group by all
)
select
    m.*,
    least(m.green_kwh, m.kwh) as green_kwh_deducted,
    'grid_electricity' as factor_id,
    loc.factor_version as location_factor_version,
    loc.value as location_factor,
    mkt.factor_version as market_factor_version,
    mkt.value as market_factor,
    m.kwh / 1000.0 * loc.value as tco2_location,
    m.kwh / 1000.0 * mkt.value as tco2_market_gross,
    -least(m.green_kwh, m.kwh) / 1000.0 * mkt.value as tco2_market_green,
    (m.kwh - least(m.green_kwh, m.kwh)) / 1000.0 * mkt.value as tco2_market,
    case
        when m.account_type in ('enterprise', 'datacenter')
            and m.account_id not in (select uscc from {{ ref('int_enterprises__current') }})
            then m.account_type || ' ' || m.account_id || ' not in the register'
        when loc.value is null then 'missing emission factor grid_electricity (location) for '
            || m.region_code || ' in ' || m.year
        when mkt.value is null then 'missing emission factor grid_electricity (market) for '
            || m.region_code || ' in ' || m.year
    end as missing
from m
left join {{ ref('int_factors__selected') }} as loc
    on loc.factor_id = 'grid_electricity' and loc.basis = 'location'
    and loc.region_code = m.region_code and loc.year = m.year
left join {{ ref('int_factors__selected') }} as mkt
    on mkt.factor_id = 'grid_electricity' and mkt.basis = 'market'
    and mkt.region_code = m.region_code and mkt.year = m.year
