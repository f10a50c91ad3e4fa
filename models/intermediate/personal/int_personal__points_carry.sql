-- Points state per account at the end of day s-1 (s = from_date of int_personal__build_window):
-- what the incremental points models carry forward instead of recomputing history.
--   points_earned / points_redeemed / points_expired / balance  up to and including s-1
--   last_earned_on  last credit date before s
-- Read from the previous build's per_account_balance (state at the previous as-of date) less the
-- previous build's points events on or after s (a re-ingested past day moves s back). Empty for a
-- full build. The previous per_account_balance must belong to the previous window; if not (a
-- build that stopped half-way), the build fails and asks for --full-refresh (carbon.pipeline.warehouse.build.build
-- forces a full personal rebuild after any failed or partial build anyway).
{%- set w = personal_window() %}
{%- set old_balance = adapter.get_relation(database=this.database, schema='main', identifier='per_account_balance') if execute else none %}
{%- set old_events = adapter.get_relation(database=this.database, schema='intermediate', identifier='int_personal__points_events') if execute else none %}
{%- set carry = execute and not w.full and old_balance is not none and old_events is not none %}
{%- set late = carry and w.prev_as_of is not none and w.from_date <= w.prev_as_of %}
-- depends_on: {{ ref('per_credits_daily') }}
{%- if carry %}
with old as (
    select * from {{ old_balance }}
),

guard as (
    select case
        when (select count(*) from old) > 0
             and (select max(as_of_date) from old) is distinct from
                 {% if w.prev_as_of %}date '{{ w.prev_as_of }}'{% else %}null{% endif %}
        then error('personal points state out of step with the previous build: run the ledger build with --full-refresh')
    end as ok
),

{%- if late %}
tail as (
    -- the previous build's events from s on (recomputed now)
    select
        account_id,
        coalesce(sum(points order by points) filter (where entry_type = 'reduction_credit'), 0) as earned,
        coalesce(-sum(points order by points) filter (where entry_type = 'redemption'), 0) as redeemed,
        coalesce(-sum(points order by points) filter (where entry_type = 'expiry'), 0) as expired,
        sum(points order by points) as net
    from {{ old_events }}
    where event_date >= date '{{ w.from_date }}'
    group by account_id
),

kept as (
    -- accounts of the tail that still have an event before s
    select distinct account_id
    from {{ old_events }}
    where event_date < date '{{ w.from_date }}'
      and account_id in (select account_id from tail)
),

last_earned as (
    select c.account_id, max(c.date) as last_earned_on
    from {{ ref('per_credits_daily') }} as c
    where c.date < date '{{ w.from_date }}'
      and c.account_id in (select account_id from tail)
    group by c.account_id
),
{%- endif %}

state as (
    select
        o.account_id,
        o.account_kind,
        {%- if late %}
        o.points_earned - coalesce(t.earned, 0) as points_earned,
        o.points_redeemed - coalesce(t.redeemed, 0) as points_redeemed,
        o.points_expired - coalesce(t.expired, 0) as points_expired,
        o.balance - coalesce(t.net, 0) as balance,
        case when t.account_id is null then o.last_earned_on else le.last_earned_on end
            as last_earned_on
        {%- else %}
        o.points_earned,
        o.points_redeemed,
        o.points_expired,
        o.balance,
        o.last_earned_on
        {%- endif %}
    from old as o
    {%- if late %}
    left join tail as t using (account_id)
    left join last_earned as le using (account_id)
    where t.account_id is null or o.account_id in (select account_id from kept)
    {%- endif %}
)

select
    cast(account_id as varchar) as account_id,
    cast(account_kind as varchar) as account_kind,
    cast(points_earned as decimal(18, 3)) as points_earned,
    cast(points_redeemed as decimal(18, 3)) as points_redeemed,
    cast(points_expired as decimal(18, 3)) as points_expired,
    cast(balance as decimal(18, 3)) as balance,
    cast(last_earned_on as date) as last_earned_on
from state
where (select ok from guard) is null
{%- else %}
select
    cast(null as varchar) as account_id,
    cast(null as varchar) as account_kind,
    cast(null as decimal(18, 3)) as points_earned,
    cast(null as decimal(18, 3)) as points_redeemed,
    cast(null as decimal(18, 3)) as points_expired,
    cast(null as decimal(18, 3)) as balance,
    cast(null as date) as last_earned_on
where false
{%- endif %}
