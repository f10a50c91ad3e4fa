{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ personal_delete('in', 'date', 'activity_dates') }}",
) }}
{%- set w = personal_window() %}
-- Every low-carbon activity record with its crediting decision (audit trail: nothing is dropped).
-- credit_status, in order of precedence:
--   counted_in_market  the trip (any of its reports) falls under a carbon-market registration
--   duplicate          another platform reported the same trip and won the tie-break
--   invalid_quantity   quantity <= 0, or a count unit (trips, steps) with a fractional quantity
--   no_methodology     no methodology row for behaviour × unit × year
--   credited           goes on to int_personal__travel_credits
-- "Same trip" = same person_key, date, behaviour_code, unit and quantity reported by DIFFERENT
-- platforms. Reports from one platform with distinct record_ids are distinct trips (e.g. there and
-- back). Within such a group the k-th report of each platform (in record_id order) is taken to be
-- the same trip as the k-th report of every other platform; of those the report of the smallest
-- platform code wins. Deterministic and independent of arrival order. A trip with any report
-- under a carbon-market registration is not credited at all.
-- Incremental by date: a build assesses only the activity days that changed in the lake
-- (int_personal__build_window); every decision above is made within one person × day.
with activity as (
    select * from {{ ref('stg_lake__low_carbon_activity') }}
    where {{ personal_dates_in('date', w, 'activity_dates') }}
),

registry as (
    select * from {{ ref('int_personal__market_registry') }}
),

methodologies as (
    select * from {{ ref('int_personal__methodologies') }}
    where account_kind = 'person'
),

market_flagged as (
    select
        a.*,
        exists (
            select 1
            from registry as r
            where r.platform = a.platform
              and r.behaviour_code = a.behaviour_code
              and a.date between r.valid_from and r.valid_to
        ) as record_in_market
    from activity as a
),

sequenced as (
    select
        *,
        row_number() over (
            partition by person_key, date, behaviour_code, unit, quantity, platform
            order by record_id
        ) as platform_seq
    from market_flagged
),

grouped as (
    select
        *,
        bool_or(record_in_market) over trip as counted_in_market,
        row_number() over (trip order by platform, record_id) as report_rank,
        first_value(platform || '/' || record_id) over (trip order by platform, record_id)
            as kept_report,
        count(*) over trip as n_reports
    from sequenced
    window trip as (partition by person_key, date, behaviour_code, unit, quantity, platform_seq)
),

with_methodology as (
    select
        g.*,
        m.methodology_id,
        m.methodology_version,
        m.factor_id as methodology_factor_id,
        m.be_kgco2e_per_unit,
        m.pe_kgco2e_per_unit,
        m.pe_basis
    from grouped as g
    left join methodologies as m
        on m.behaviour_code = g.behaviour_code
       and m.unit = g.unit
       and year(g.date) between m.valid_from_year and m.valid_to_year
    qualify row_number() over (
        partition by g.platform, g.record_id order by m.methodology_version desc nulls last
    ) = 1
)

select
    platform || '/' || record_id as report_id,
    platform,
    record_id,
    person_key,
    date,
    behaviour_code,
    quantity,
    unit,
    n_reports,
    kept_report,
    counted_in_market,
    methodology_id,
    methodology_version,
    methodology_factor_id,
    be_kgco2e_per_unit,
    pe_kgco2e_per_unit,
    pe_basis,
    case
        when counted_in_market then 'counted_in_market'
        when report_rank > 1 then 'duplicate'
        when quantity <= 0 or (unit in ('trips', 'steps') and quantity <> floor(quantity))
            then 'invalid_quantity'
        when methodology_id is null then 'no_methodology'
        else 'credited'
    end as credit_status
from with_methodology
