{{ config(materialized = 'view') }}
-- Personal-account rows for the shared `ledger_entries` journal (the ledger engineer unions this
-- model and adds entry_id, build_id and is_provisional).
-- Sign convention (personal ledger): tco2e is the account's reduction balance movement.
--   reduction_credit  +ER (tCO2e reduced, > 0)
--   redemption        -points / 1000 (reductions spent)
--   expiry            -points / 1000 (reductions lapsed)
-- so sum(tco2e) per account = the posted months' points / 1000. scope is 'none' (a reduction, not
-- a GHG-protocol scope); gas is 'CO2e'.
--
-- Journal grain (docs/ledgers.md "Journal grain"): period = month 'YYYY-MM', and only months that
-- have ended, i.e. before the as-of date's month. The open month is not journaled: residents see
-- it from the detail (per_credits_daily, int_personal__points_events, per_account_balance), which
-- is unchanged. Per ended month:
--   reduction_credit  one entry per account × month × factor_id (the sum of that month's credits
--                     of the account with that factor): activity_ref
--                     per_credits_daily/account_id=<a>/month=<YYYY-MM>/factor_id=<f> names the
--                     per_credits_daily rows it sums (account_id, date in the month, factor_id)
--   expiry            one entry per account × month: activity_ref
--                     int_personal__points_events/entry_type=expiry/account_id=<a>/month=<YYYY-MM>
--   redemption        one entry per redemption (a resident's act, not a meter read): activity_ref
--                     = the redemption's ref
-- A build covers the ended months from the month of s-1 on (s = from_date of
-- int_personal__build_window; s-1 so that the month ending on the previous as-of date is posted
-- when s is the 1st), every ended month after a full personal build: int_personal__points_events holds every day, so each
-- covered month is summed whole. ledger_entries compares these with its standing over the same
-- months, so a figure that changed (a factor notice, a late meter read) appends one reversal and
-- one replacement per account × month (× factor), and an unchanged night appends nothing.
{%- set w = personal_window() %}
{%- set open_month = "date_trunc('month', date '" ~ w.as_of ~ "')" %}
with events as (
    select
        account_id,
        strftime(event_date, '%Y-%m') as period,
        entry_type,
        points,
        tco2e,
        activity_ref,
        factor_id,
        factor_version
    from {{ ref('int_personal__points_events') }}
    where event_date < {{ open_month }}
    {%- if not w.full %}
      -- from the month of s-1 (macro personal_journal_months): the month just ended included
      and event_date >= date_trunc('month', date '{{ w.from_date }}' - interval 1 day)
    {%- endif %}
),

credits as (
    select
        account_id,
        period,
        'reduction_credit' as entry_type,
        sum(tco2e order by tco2e) as tco2e,
        'per_credits_daily/account_id=' || account_id || '/month=' || period || '/factor_id='
        || factor_id as activity_ref,
        factor_id,
        -- every version the month's credits used (normally one): a changed version restates it
        string_agg(distinct factor_version, ',' order by factor_version) as factor_version
    from events
    where entry_type = 'reduction_credit'
    group by account_id, period, factor_id
),

expiries as (
    select
        account_id,
        period,
        'expiry' as entry_type,
        -- from the exact DECIMAL points, as each expiry event's tco2e is (-points / 1000)
        cast(sum(points order by points) as double) / 1000 as tco2e,
        'int_personal__points_events/entry_type=expiry/account_id=' || account_id || '/month='
        || period as activity_ref,
        min(factor_id) as factor_id,
        min(factor_version) as factor_version
    from events
    where entry_type = 'expiry'
    group by account_id, period
),

redemptions as (
    select
        account_id,
        period,
        'redemption' as entry_type,
        cast(sum(points order by points) as double) / 1000 as tco2e,
        activity_ref,
        min(factor_id) as factor_id,
        min(factor_version) as factor_version
    from events
    where entry_type = 'redemption'
    group by account_id, period, activity_ref
)

select
    'personal' as ledger,
    account_id,
    period,
    entry_type,
    'none' as scope,
    'CO2e' as gas,
    tco2e,
    activity_ref,
    factor_id,
    factor_version
from (
    select * from credits
    union all
    select * from expiries
    union all
    select * from redemptions
)
