{{ config(contract = {'enforced': true}) }}
-- Reconciliation per region (county, city, province) × month:
--   * enterprise + data-centre + public + household accounts (from the journal standing) against
--     the bottom-up government total (gov_region_emissions_monthly): must agree (difference ~ 0);
--   * coverage = bottom-up Scope 1 / top-down Scope 1 of the same month, else of the same calendar
--     month of the latest earlier balance year (the statistical gap is reported, not forced);
--   * household electricity counted once: kWh of household meters in the lake = kWh the
--     government ledger counts for households, and no household account in the enterprise ledger;
--   * green power deducted once: green kWh deducted in enterprise accounts = min(green, kWh) of
--     their meters, and none deducted for households or public accounts.
with tree as (select * from {{ ref('int_gov__region_tree') }}),
ent as (select uscc, region_code from {{ ref('int_enterprises__current') }}),
journal as (
    -- the journal's standing per account and month (all entries, restatements included)
    select j.ledger, j.account_id, substr(j.period, 1, 7) as month, j.activity_ref,
        case when j.ledger = 'enterprise' then ent.region_code else j.account_id end as county,
        sum(j.tco2e order by j.tco2e) as tco2e
    from {{ ref('ledger_entries') }} as j
    left join ent on j.ledger = 'enterprise' and ent.uscc = j.account_id
    where j.ledger in ('enterprise', 'government')
        and j.activity_ref not like 'sector_energy_balance/%'
        and j.activity_ref not like 'industrial_activity/%/process|%'  -- top-down process
    group by all
),
accounts as (
    select t.ancestor_code as region_code, j.month,
        sum(j.tco2e order by j.tco2e) filter (where j.ledger = 'enterprise') as enterprise_tco2e,
        sum(j.tco2e order by j.tco2e) filter (where j.ledger = 'government' and j.activity_ref like '%/public|%') as public_tco2e,
        sum(j.tco2e order by j.tco2e) filter (where j.ledger = 'government' and j.activity_ref like '%/household|%') as household_tco2e
    from journal as j join tree as t on t.region_code = j.county
    group by all
),
gov as (
    select t.ancestor_code as region_code, g.month,
        sum(g.tco2e order by g.tco2e) filter (where g.method = 'bottom_up') as bottom_up_tco2e,
        sum(g.tco2e order by g.tco2e) filter (where g.method = 'bottom_up' and g.scope like 'scope1%') as bottom_up_scope1_tco2e,
        sum(g.tco2e order by g.tco2e) filter (where g.method = 'top_down' and g.scope like 'scope1%') as top_down_scope1_tco2e,
        sum(g.tco2e order by g.tco2e) filter (where g.method = 'top_down') as top_down_tco2e
    from {{ ref('gov_region_emissions_monthly') }} as g join tree as t on t.region_code = g.region_code
    group by all
),
top_down_ref as (
    -- the energy balance comes a year late: a month without its own top-down figure is compared
    -- with the same calendar month of the latest earlier balance year (top_down_month says which)
    select b.region_code, b.month, d.month as top_down_month, d.top_down_scope1_tco2e
    from gov as b
    join gov as d
        on d.region_code = b.region_code and substr(d.month, 6, 2) = substr(b.month, 6, 2)
        and d.month <= b.month and d.top_down_scope1_tco2e is not null
    qualify row_number() over (partition by b.region_code, b.month order by d.month desc) = 1
),
meters as (
    select t.ancestor_code as region_code, e.month,
        cast(sum(cast(e.kwh as {{ kwh_decimal() }})) filter (where e.account_type = 'household') as double) as household_kwh_metered,
        cast(sum(cast(least(e.green_kwh, e.kwh) as {{ kwh_decimal() }})) filter (where e.account_type in ('enterprise', 'datacenter')) as double)
            as green_kwh_metered
    from {{ ref('int_elec__account_monthly') }} as e join tree as t on t.region_code = e.region_code
    where e.missing is null  -- excluded rows: recon_exceptions
    group by all
),
counted as (
    select t.ancestor_code as region_code, m.month,
        cast(sum(cast(m.green_kwh_deducted as {{ kwh_decimal() }})) as double) as green_kwh_deducted
    from {{ ref('ent_enterprise_emissions_monthly') }} as m join tree as t on t.region_code = m.region_code
    group by all
),
household_counted as (
    -- household kWh the government ledger counts: one figure per county, from the same meters
    select t.ancestor_code as region_code, e.month, cast(sum(cast(e.kwh as {{ kwh_decimal() }})) as double) as household_kwh_counted,
        count(*) filter (where e.account_id in (select uscc from ent)) as household_ids_in_enterprise_ledger
    from {{ ref('int_elec__account_monthly') }} as e join tree as t on t.region_code = e.region_code
    where e.account_type = 'household' and e.missing is null
    group by all
),
keys as (
    select region_code, month from accounts union select region_code, month from gov
)
select
    cast(k.region_code as varchar) as region_code,
    cast(k.month as varchar) as month,
    cast(coalesce(a.enterprise_tco2e, 0) as double) as enterprise_tco2e,
    cast(coalesce(a.public_tco2e, 0) as double) as public_tco2e,
    cast(coalesce(a.household_tco2e, 0) as double) as household_tco2e,
    cast(coalesce(a.enterprise_tco2e, 0) + coalesce(a.public_tco2e, 0) + coalesce(a.household_tco2e, 0) as double)
        as accounts_tco2e,
    cast(coalesce(g.bottom_up_tco2e, 0) as double) as government_bottom_up_tco2e,
    cast(coalesce(a.enterprise_tco2e, 0) + coalesce(a.public_tco2e, 0) + coalesce(a.household_tco2e, 0)
        - coalesce(g.bottom_up_tco2e, 0) as double) as difference_tco2e,
    cast(g.top_down_tco2e as double) as top_down_tco2e,
    cast(tr.top_down_month as varchar) as top_down_month,
    cast(g.bottom_up_scope1_tco2e / nullif(tr.top_down_scope1_tco2e, 0) as double) as coverage_ratio,
    cast(coalesce(me.household_kwh_metered, 0) as double) as household_kwh_metered,
    cast(coalesce(hc.household_kwh_counted, 0) as double) as household_kwh_counted,
    -- relative tolerance (1e-9): the two sums of a city month (74 M meter-days, 4e8 kWh) are
    -- added in different orders and differ in the last bits; double counting would be 100 %
    cast(abs(coalesce(me.household_kwh_metered, 0) - coalesce(hc.household_kwh_counted, 0))
            <= 1e-9 * greatest(1, abs(coalesce(me.household_kwh_metered, 0)))
        and coalesce(hc.household_ids_in_enterprise_ledger, 0) = 0 as boolean) as household_electricity_counted_once,
    cast(coalesce(me.green_kwh_metered, 0) as double) as green_kwh_metered,
    cast(coalesce(c.green_kwh_deducted, 0) as double) as green_kwh_deducted,
    cast(abs(coalesce(me.green_kwh_metered, 0) - coalesce(c.green_kwh_deducted, 0))
            <= 1e-9 * greatest(1, abs(coalesce(me.green_kwh_metered, 0))) as boolean)
        as green_power_deducted_once,
    cast(abs(coalesce(a.enterprise_tco2e, 0) + coalesce(a.public_tco2e, 0) + coalesce(a.household_tco2e, 0)
        - coalesce(g.bottom_up_tco2e, 0)) <= 1e-6 * greatest(1, abs(coalesce(g.bottom_up_tco2e, 0))) as boolean)
        as reconciles
from keys as k
left join accounts as a using (region_code, month)
left join gov as g using (region_code, month)
left join meters as me using (region_code, month)
left join counted as c using (region_code, month)
left join household_counted as hc using (region_code, month)
left join top_down_ref as tr using (region_code, month)
