{{ config(materialized = 'incremental', incremental_strategy = 'append', on_schema_change = 'fail') }}
-- The personal account's build window: one row per build (a log), saying which dates this build
-- recomputes. The personal models read the latest row through the macro personal_window().
--
-- Inputs: <home>/dbt/build_params.json, written by carbon.pipeline.warehouse.build.build from the lake partitions
-- that changed since the last successful build (sizes, mtimes, content hashes):
--   personal_full               true -> recompute everything (null = no runner state: full too)
--   personal_electricity_dates  electricity_consumption date partitions added, changed or removed
--   personal_activity_dates     low_carbon_activity date partitions added, changed or removed
-- Derived:
--   household_dates  household credits to recompute: d … d+7 for each changed electricity day d
--                    (the credit of day d+k reads day d in its trailing 7-day window)
--   electricity_read_dates  the meter days those credits read: d-7 … d+7
--   credit_dates     household_dates ∪ activity dates: per_credits_daily rows to recompute
--   from_date (s)    min(credit_dates, previous as-of + 1): points events, lots and journal
--                    candidates from s on are recomputed, carrying balances forward from s-1
--   as_of_date       var personal_as_of_date, else the latest date in the personal inputs
{%- set term = var('personal_points_term_months', 24) | int %}
with params as (
    select * from {{ build_params_relation() }}
),

redemptions as (
    select * from {{ ref('int_personal__redemptions') }}
),

as_of as (
    {%- if var('personal_as_of_date', none) %}
    select cast('{{ var("personal_as_of_date") }}' as date) as as_of_date
    {%- else %}
    select cast(greatest(
        (select max(date) from {{ ref('stg_lake__low_carbon_activity') }}),
        (select max(date) from {{ ref('stg_lake__electricity_consumption') }}
         where account_type = 'household'),
        (select max(redemption_date) from redemptions)
    ) as date) as as_of_date
    {%- endif %}
),

previous as (
    {%- if is_incremental() %}
    select build_seq, as_of_date
    from {{ this }}
    order by build_seq desc
    limit 1
    {%- else %}
    select cast(0 as bigint) as build_seq, cast(null as date) as as_of_date
    {%- endif %}
),

base as (
    select
        coalesce((select build_seq from previous), 0) + 1 as build_seq,
        {{ "false" if is_incremental() else "true" }}
        or coalesce((select personal_full from params), true)
        or (select as_of_date from previous) is null as full_rebuild,
        (select as_of_date from as_of) as as_of_date,
        (select as_of_date from previous) as prev_as_of_date,
        coalesce(
            list_transform((select personal_electricity_dates from params), lambda x: cast(x as date)),
            []::date[]
        ) as electricity_dates,
        coalesce(
            list_transform((select personal_activity_dates from params), lambda x: cast(x as date)),
            []::date[]
        ) as activity_dates
),

expanded as (
    select
        *,
        list_distinct(flatten(list_transform(
            electricity_dates,
            lambda d: list_transform(range(0, 8), lambda k: cast(d + to_days(cast(k as integer)) as date))
        ))) as household_dates,
        list_distinct(flatten(list_transform(
            electricity_dates,
            lambda d: list_transform(range(-7, 8), lambda k: cast(d + to_days(cast(k as integer)) as date))
        ))) as electricity_read_dates
    from base
)

select
    cast(build_seq as bigint) as build_seq,
    cast('{{ run_started_at.strftime("%Y%m%dT%H%M%S%fZ") }}-{{ invocation_id[:8] }}' as varchar)
        as build_id,
    cast(full_rebuild as boolean) as full_rebuild,
    cast(
        case
            when full_rebuild then date '0001-01-01'
            else least(
                coalesce(list_min(list_concat(household_dates, activity_dates)), date '9999-12-31'),
                prev_as_of_date + 1
            )
        end as date
    ) as from_date,
    cast(as_of_date as date) as as_of_date,
    cast(prev_as_of_date as date) as prev_as_of_date,
    cast(list_sort(activity_dates) as date[]) as activity_dates,
    cast(list_sort(household_dates) as date[]) as household_dates,
    cast(list_sort(list_distinct(list_concat(household_dates, activity_dates))) as date[])
        as credit_dates,
    cast(list_sort(electricity_read_dates) as date[]) as electricity_read_dates,
    {{ term }} as points_term_months
from expanded
