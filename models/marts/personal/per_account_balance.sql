-- 碳积分账户余额: points earned, redeemed and expired, and the balance, per account at the as-of date.
-- balance = earned - redeemed - expired; 1 point = 1 kgCO2e.
with events as (
    select * from {{ ref('int_personal__points_events') }}
)

select
    account_id,
    any_value(account_kind) as account_kind,
    cast(coalesce(sum(points) filter (where entry_type = 'reduction_credit'), 0) as decimal(18, 3))
        as points_earned,
    cast(coalesce(-sum(points) filter (where entry_type = 'redemption'), 0) as decimal(18, 3))
        as points_redeemed,
    cast(coalesce(-sum(points) filter (where entry_type = 'expiry'), 0) as decimal(18, 3))
        as points_expired,
    cast(sum(points) as decimal(18, 3)) as balance,
    round(sum(tco2e), 6) as balance_tco2e,
    max(event_date) filter (where entry_type = 'reduction_credit') as last_earned_on,
    any_value(as_of_date) as as_of_date
from events
group by account_id
