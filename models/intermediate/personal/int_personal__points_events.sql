{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ personal_delete('since', 'event_date') }}",
) }}
-- The points journal of every personal account up to the as-of date: credits (+), redemptions (-)
-- and expiries (-), with the running balance after each event.
--
-- Expiry: the points earned on day d expire on d + var personal_points_term_months (default 24;
-- Shenzhen allows at most 10 years), at the start of that day, before that day's redemptions.
-- Redemptions and expiries consume points first-in first-out. Because lots expire in the order they
-- were earned, FIFO has a closed form: with E_j = cumulative points earned up to lot j, x_j its
-- expiry date and R(<x) the points redeemed before x, the points expired by date t are
--     X(t) = max(0, max over lots j with x_j <= t of (E_j - R(<x_j)))
-- and the expiry entry on x_j is X(x_j) - X(previous expiry date).
-- as-of date: var personal_as_of_date, else the latest activity date in the personal inputs.
--
-- Incremental by date: a build rewrites the events from s (from_date of
-- int_personal__build_window) to the as-of date, starting from the state at s-1
-- (int_personal__points_carry): balance_after continues the carried balance, and with X_prev the
-- points expired before s, X(t) = max(X_prev, max over lots j with s <= x_j <= t of
-- (E_j - R(<x_j))), E_j coming from int_personal__points_lots (cumulative, carried forward).
-- Points are DECIMAL(18,3): the carried sums are exact, so an incremental build and a full
-- rebuild give the same figures.
{%- set w = personal_window() %}
{%- set term = var('personal_points_term_months', 24) | int %}
{%- set as_of = "date '" ~ w.as_of ~ "'" %}
with credits as (
    select * from {{ ref('per_credits_daily') }}
    where {{ personal_since('date', w) }}
),

redemptions as (
    select * from {{ ref('int_personal__redemptions') }}
),

carry as (
    select * from {{ ref('int_personal__points_carry') }}
),

accounts as (
    select account_id, min(account_kind) as account_kind
    from (
        select account_id, account_kind from carry where account_kind <> 'unknown'
        union all
        select account_id, account_kind from credits
    )
    group by account_id
),

expiry_dates as (
    -- one row per account × expiry date in [s, as-of]; E = largest cumulative earned
    select account_id, expires_on, max(cum_earned) as cum_earned
    from {{ ref('int_personal__points_lots') }}
    where {{ personal_since('expires_on', w) }}
      and expires_on <= {{ as_of }}
    group by account_id, expires_on
),

expiry_exposure as (
    select
        e.account_id,
        e.expires_on,
        e.cum_earned - coalesce((
            select sum(r.points order by r.points)
            from redemptions as r
            where r.account_id = e.account_id and r.redemption_date < e.expires_on
        ), 0) as exposure
    from expiry_dates as e
),

expired_running as (
    select
        x.account_id,
        x.expires_on,
        coalesce(c.points_expired, 0) as expired_before,
        greatest(
            max(x.exposure) over (
                partition by x.account_id order by x.expires_on rows unbounded preceding
            ),
            coalesce(c.points_expired, 0),
            0
        ) as expired_to_date
    from expiry_exposure as x
    left join carry as c using (account_id)
),

expiries as (
    select
        account_id,
        expires_on,
        expired_to_date
        - coalesce(
            lag(expired_to_date) over (partition by account_id order by expires_on),
            expired_before
        ) as points
    from expired_running
),

events as (
    select
        account_id,
        date as event_date,
        1 as event_order,
        'reduction_credit' as entry_type,
        points,
        er_tco2e as tco2e,
        activity_ref,
        factor_id,
        factor_version
    from credits
    where date <= {{ as_of }}
    union all
    select
        account_id,
        expires_on,
        0,
        'expiry',
        -points,
        -cast(points as double) / 1000,
        'personal_points/expiry/account_id=' || account_id || '/expires_on='
        || strftime(expires_on, '%Y-%m-%d') || '/term_months={{ term }}',
        'personal.points.rule',
        '1kg-per-point;term={{ term }}m'
    from expiries
    where points > 0
    union all
    select
        account_id,
        redemption_date,
        2,
        'redemption',
        -points,
        -cast(points as double) / 1000,
        redemption_ref,
        'personal.points.rule',
        '1kg-per-point;term={{ term }}m'
    from redemptions
    where {{ personal_since('redemption_date', w) }}
      and redemption_date <= {{ as_of }}
)

select
    e.account_id,
    coalesce(a.account_kind, 'unknown') as account_kind,
    e.event_date,
    e.entry_type,
    cast(e.points as decimal(18, 3)) as points,
    e.tco2e,
    e.activity_ref,
    e.factor_id,
    e.factor_version,
    cast(coalesce(c.balance, 0) + sum(e.points) over (
        partition by e.account_id
        order by e.event_date, e.event_order, e.activity_ref
        rows unbounded preceding
    ) as decimal(18, 3)) as balance_after,
    {{ as_of }} as as_of_date
from events as e
left join accounts as a using (account_id)
left join carry as c using (account_id)
