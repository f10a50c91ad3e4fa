{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    contract = {'enforced': true},
) }}
-- The one immutable journal of the three accounts (append-only; docs/restatement.md).
--
-- Per key (ledger, account_id, period, scope, gas, activity_ref) the journal's standing figure is
-- the sum of its entries and its live factor version is that of its latest non-restatement
-- entry. Each build compares the candidates (int_ledger__entry_candidates) with the standing:
--   * key not in the journal                      -> append the entry (is its own entry_type)
--   * figure or factor version changed            -> append a reversal (entry_type restatement,
--                                                    −standing, old factor) and a replacement
--                                                    (the candidate, new factor)
--   * key gone from the lake (within the months)  -> append a reversal only
-- Rows already in the table are never updated or deleted (append strategy).
-- is_provisional: true when posted while the month is open (not in ledger_closed_months).
{#- build_id: sortable UTC start time of the dbt invocation + its id (no var: keeps partial parsing) -#}
{%- set pw = personal_window() %}
{%- set build_id = var('build_id', none) or (run_started_at.strftime('%Y%m%dT%H%M%S%fZ') ~ '-' ~ invocation_id[:8]) %}
with candidates as (
    select * from {{ ref('int_ledger__entry_candidates') }}
),
closed as (
    select distinct month from {{ ref('stg_lake__ledger_closed_months') }}
),
{%- if is_incremental() %}
standing as (
    select
        md5(concat_ws('|', ledger, account_id, period, scope, gas, activity_ref)) as entry_key,
        min(ledger) as ledger,
        min(account_id) as account_id,
        min(period) as period,
        min(scope) as scope,
        min(gas) as gas,
        min(activity_ref) as activity_ref,
        sum(tco2e order by tco2e) as net_tco2e,
        arg_max(entry_type, build_id || entry_id) filter (where entry_type <> 'restatement') as live_entry_type,
        arg_max(factor_id, build_id || entry_id) filter (where entry_type <> 'restatement') as live_factor_id,
        arg_max(factor_version, build_id || entry_id) filter (where entry_type <> 'restatement') as live_factor_version
    from {{ this }}
    -- the keys the candidates cover: personal ended months (before the as-of date's month) from
    -- the month of s-1 on (macro personal_journal_months; docs/ledgers.md "Journal grain"), the
    -- other ledgers' months in ledger_months
    where
        (ledger = 'personal' and {{ personal_journal_months('period', pw) }})
        or (ledger <> 'personal' and {{ in_ledger_months('substr(period, 1, 7)') }})
    group by 1
),
compared as (
    select
        coalesce(c.entry_key, s.entry_key) as entry_key,
        c.ledger, c.account_id, c.period, c.entry_type, c.scope, c.gas, c.tco2e, c.activity_ref,
        c.factor_id, c.factor_version,
        s.ledger as s_ledger, s.account_id as s_account_id, s.period as s_period, s.scope as s_scope,
        s.gas as s_gas, s.activity_ref as s_activity_ref, s.net_tco2e, s.live_factor_id,
        s.live_factor_version,
        case
            when s.entry_key is null then 'new'
            when c.entry_key is null then (case when abs(s.net_tco2e) > 1e-9 then 'gone' else 'same' end)
            -- relative tolerance: parallel float sums may differ in the last bits between runs
            when abs(c.tco2e - s.net_tco2e) > 1e-9 * greatest(1, abs(s.net_tco2e))
                or c.factor_version is distinct from s.live_factor_version then 'changed'
            else 'same'
        end as status
    from candidates as c
    full outer join standing as s using (entry_key)
),
postings as (
    -- new entries
    select entry_key, 1 as seq, ledger, account_id, period, entry_type, scope, gas, tco2e,
        activity_ref, factor_id, factor_version
    from compared where status = 'new'
    union all
    -- reversal of the standing figure (changed or gone)
    select entry_key, 1, s_ledger, s_account_id, s_period, 'restatement', s_scope, s_gas,
        -net_tco2e, s_activity_ref, live_factor_id, live_factor_version
    from compared where status in ('changed', 'gone') and abs(net_tco2e) > 1e-9
    union all
    -- replacement with the current figure and factor
    select entry_key, 2, ledger, account_id, period, entry_type, scope, gas, tco2e,
        activity_ref, factor_id, factor_version
    from compared where status = 'changed'
)
{%- else %}
postings as (
    select entry_key, 1 as seq, ledger, account_id, period, entry_type, scope, gas, tco2e,
        activity_ref, factor_id, factor_version
    from candidates
)
{%- endif %}
select
    cast(md5('{{ build_id }}' || '|' || p.entry_key || '|' || p.seq) as varchar) as entry_id,
    cast(p.ledger as varchar) as ledger,
    cast(p.account_id as varchar) as account_id,
    cast(p.period as varchar) as period,
    cast(p.entry_type as varchar) as entry_type,
    cast(p.scope as varchar) as scope,
    cast(p.gas as varchar) as gas,
    cast(p.tco2e as double) as tco2e,
    cast(p.activity_ref as varchar) as activity_ref,
    cast(p.factor_id as varchar) as factor_id,
    cast(p.factor_version as varchar) as factor_version,
    cast('{{ build_id }}' as varchar) as build_id,
    cast(substr(p.period, 1, 7) not in (select month from closed) as boolean) as is_provisional
from postings as p
-- no ORDER BY: sorting a full month of personal entries (50 M rows) cost more than it saved
