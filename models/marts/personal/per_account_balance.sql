-- 碳积分账户余额: points earned, redeemed and expired, and the balance, per account at the as-of date.
-- balance = earned - redeemed - expired; 1 point = 1 kgCO2e.
-- Incremental in effect: the state at s-1 (int_personal__points_carry) plus the points events
-- this build wrote (from s on); exact DECIMAL sums, so equal to a sum over all events.
{%- set w = personal_window() %}
with carry as (
    select * from {{ ref('int_personal__points_carry') }}
),

recent as (
    select
        account_id,
        min(account_kind) as account_kind,
        coalesce(sum(points order by points) filter (where entry_type = 'reduction_credit'), 0) as earned,
        coalesce(-sum(points order by points) filter (where entry_type = 'redemption'), 0) as redeemed,
        coalesce(-sum(points order by points) filter (where entry_type = 'expiry'), 0) as expired,
        sum(points order by points) as net,
        max(event_date) filter (where entry_type = 'reduction_credit') as last_earned_on
    from {{ ref('int_personal__points_events') }}
    where {{ personal_since('event_date', w) }}
    group by account_id
),

balances as (
    select
        coalesce(r.account_id, c.account_id) as account_id,
        coalesce(nullif(r.account_kind, 'unknown'), c.account_kind, r.account_kind) as account_kind,
        coalesce(c.points_earned, 0) + coalesce(r.earned, 0) as points_earned,
        coalesce(c.points_redeemed, 0) + coalesce(r.redeemed, 0) as points_redeemed,
        coalesce(c.points_expired, 0) + coalesce(r.expired, 0) as points_expired,
        coalesce(c.balance, 0) + coalesce(r.net, 0) as balance,
        greatest(c.last_earned_on, r.last_earned_on) as last_earned_on
    from recent as r
    full outer join carry as c using (account_id)
)

select
    account_id,
    account_kind,
    cast(points_earned as decimal(18, 3)) as points_earned,
    cast(points_redeemed as decimal(18, 3)) as points_redeemed,
    cast(points_expired as decimal(18, 3)) as points_expired,
    cast(balance as decimal(18, 3)) as balance,
    -- = the sum of the events' tCO2e (each is points / 1000), from the exact points balance
    round(cast(balance as double) / 1000, 6) as balance_tco2e,
    last_earned_on,
    date '{{ w.as_of }}' as as_of_date
from balances
