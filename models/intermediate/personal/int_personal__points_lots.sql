{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ personal_delete('since', 'earned_on') }}",
) }}
-- Points lots: the points of each credit, with the day they expire and the cumulative points
-- earned by the account up to and including that credit (E_j of the FIFO closed form in
-- int_personal__points_events). Incremental: lots from s (from_date of int_personal__build_window)
-- are rewritten, their cumulative sums carried forward from int_personal__points_carry.
-- Expiry: d + var personal_points_term_months calendar months, clamped to the month end.
{%- set w = personal_window() %}
{%- set term = var('personal_points_term_months', 24) | int %}
with credits as (
    select account_id, date, credit_id, points
    from {{ ref('per_credits_daily') }}
    where {{ personal_since('date', w) }}
      and date <= date '{{ w.as_of }}'
)

-- one lot per credit (no aggregation: a full month is 50 M credits); E_j of a day = the cumulative
-- sum after its last credit, which is what int_personal__points_events takes (max per expiry day)
select
    cast(l.account_id as varchar) as account_id,
    cast(l.date as date) as earned_on,
    cast(l.date + interval {{ term }} month as date) as expires_on,
    cast(l.points as decimal(18, 3)) as points,
    cast(
        coalesce(c.points_earned, 0)
        + sum(l.points) over (
            partition by l.account_id order by l.date, l.credit_id rows unbounded preceding
        )
        as decimal(18, 3)
    ) as cum_earned
from credits as l
left join {{ ref('int_personal__points_carry') }} as c using (account_id)
