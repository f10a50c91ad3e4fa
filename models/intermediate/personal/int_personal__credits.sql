{{ config(materialized = 'view') }}
-- All personal-account reduction credits (travel, EV charging, household electricity), one row per
-- account × day × behaviour × unit, with points: 1 point = 1 kgCO2e reduced, kept to 0.001 point.
-- A view over the two incremental credit tables: readers filter it by date (pushed down).
with unioned as (
    select
        account_id, account_kind, date, behaviour_code, methodology_id, methodology_version,
        quantity, unit, be_tco2e, pe_tco2e, er_tco2e, factor_id, factor_version, credit_basis,
        activity_ref
    from {{ ref('int_personal__travel_credits') }}
    union all
    select
        account_id, account_kind, date, behaviour_code, methodology_id, methodology_version,
        quantity, unit, be_tco2e, pe_tco2e, er_tco2e, factor_id, factor_version, credit_basis,
        activity_ref
    from {{ ref('int_personal__household_credits') }}
)

select
    account_kind || ':' || account_id || ':' || strftime(date, '%Y-%m-%d') || ':'
    || behaviour_code || ':' || unit as credit_id,
    *,
    cast(round(er_tco2e * 1000, 3) as decimal(18, 3)) as points
from unioned
where er_tco2e > 0
