{{ config(materialized = 'view') }}
-- Personal-account rows for the shared `ledger_entries` journal (the ledger engineer unions this
-- model and adds entry_id, build_id and is_provisional).
-- Sign convention (personal ledger): tco2e is the account's reduction balance movement.
--   reduction_credit  +ER (tCO2e reduced, > 0)
--   redemption        -points / 1000 (reductions spent)
--   expiry            -points / 1000 (reductions lapsed)
-- so sum(tco2e) per account = balance points / 1000. scope is 'none' (a reduction, not a
-- GHG-protocol scope); gas is 'CO2e'.
-- A view of the points events this build wrote: the days from s (from_date of
-- int_personal__build_window) on, every day after a full personal build. The journal
-- (ledger_entries) already holds the earlier days; the view is re-created by each build with its
-- window (a literal date, so the scan of int_personal__points_events is pruned).
{%- set w = personal_window() %}
select
    'personal' as ledger,
    account_id,
    strftime(event_date, '%Y-%m-%d') as period,
    entry_type,
    'none' as scope,
    'CO2e' as gas,
    tco2e,
    activity_ref,
    factor_id,
    factor_version
from {{ ref('int_personal__points_events') }}
where {{ personal_since('event_date', w) }}
