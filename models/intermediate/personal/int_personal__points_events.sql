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
{%- set term = var('personal_points_term_months', 24) | int %}
with credits as (
    select * from {{ ref('int_personal__credits') }}
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

accounts as (
    select account_id, any_value(account_kind) as account_kind
    from credits
    group by account_id
),

lots as (
    select
        account_id,
        date as earned_on,
        cast(date + interval {{ term }} month as date) as expires_on,
        sum(points) as points
    from credits
    where date <= (select as_of_date from as_of)
    group by account_id, date
),

lots_cumulative as (
    select
        *,
        sum(points) over (partition by account_id order by earned_on rows unbounded preceding)
            as cum_earned
    from lots
),

expiry_dates as (
    -- one row per account × expiry date within the as-of date; E = largest cumulative earned
    select account_id, expires_on, max(cum_earned) as cum_earned
    from lots_cumulative
    where expires_on <= (select as_of_date from as_of)
    group by account_id, expires_on
),

expiry_exposure as (
    select
        e.account_id,
        e.expires_on,
        e.cum_earned - coalesce((
            select sum(r.points)
            from redemptions as r
            where r.account_id = e.account_id and r.redemption_date < e.expires_on
        ), 0) as exposure
    from expiry_dates as e
),

expired_running as (
    select
        account_id,
        expires_on,
        greatest(
            max(exposure) over (
                partition by account_id order by expires_on rows unbounded preceding
            ),
            0
        ) as expired_to_date
    from expiry_exposure
),

expiries as (
    select
        account_id,
        expires_on,
        expired_to_date
        - coalesce(lag(expired_to_date) over (partition by account_id order by expires_on), 0)
            as points
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
    where date <= (select as_of_date from as_of)
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
    where redemption_date <= (select as_of_date from as_of)
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
    cast(sum(e.points) over (
        partition by e.account_id
        order by e.event_date, e.event_order, e.activity_ref
        rows unbounded preceding
    ) as decimal(18, 3)) as balance_after,
    (select as_of_date from as_of) as as_of_date
from events as e
left join accounts as a using (account_id)
