{{ config(contract = {'enforced': true}) }}
-- Reconciliation exceptions (对账异常): every activity row the ledgers could not count, with the
-- reason, so that one bad row never stops the build. A row is listed here, and left out of the
-- journal, the enterprise / government marts and the reconciliation, when its `missing` column
-- says why: the enterprise (USCC) is not in the register, no emission factor applies (unknown
-- fuel code, no factor for the region and year) or the unit is unknown. activity_ref is the
-- journal's reference for the row (the entry it would have made).
-- Personal account (碳普惠): a credit whose grid factor is missing (int_factors__selected has none
-- for its region and year, e.g. a year before the first notice published by the as-of date) is
-- kept in its credit table with factor_version null, earns nothing, and is listed here, one row
-- per journal entry it would have made (period YYYY-MM-DD).
{%- set city = var('personal_city_code', '320900') %}
with personal_household as (
    select activity_ref, account_id, date, factor_id
    from {{ ref('int_personal__household_credits') }}
    where factor_version is null
),
household_region as (
    -- the meter's region of those household-months (the region whose factor is missing)
    select account_id, month, min(region_code) as region_code
    from {{ ref('int_elec__account_monthly') }}
    where account_type = 'household'
      and account_id in (select account_id from personal_household)
    group by all
),
rows as (
    select 'fuel_consumption' as dataset,
        'fuel_consumption/month=' || month || '/' || uscc || '|' || fuel_code as activity_ref,
        'enterprise' as account_type, uscc as account_id, region_code, month as period,
        fuel_code as item, factor_id, missing
    from {{ ref('int_ent__fuel_emissions') }} where missing is not null
    union all
    select 'industrial_activity',
        'industrial_activity/month=' || month || '/' || uscc || '|' || product_code,
        'enterprise', uscc, region_code, month, product_code, factor_id, missing
    from {{ ref('int_ent__process_emissions') }} where missing is not null
    union all
    select 'heat_consumption', 'heat_consumption/month=' || month || '/' || uscc,
        'enterprise', uscc, region_code, month, 'heat', factor_id, missing
    from {{ ref('int_ent__heat_emissions') }} where missing is not null
    union all
    select 'electricity_consumption',
        'electricity_consumption/month=' || month || '/' || account_type || '|'
            || case when account_type = 'household' then region_code else account_id end,
        account_type,
        case when account_type = 'household' then region_code else account_id end,
        region_code, month, 'electricity', factor_id, missing
    from {{ ref('int_elec__account_monthly') }} where missing is not null
    group by all  -- households: one entry per region, as in the journal
    union all
    select 'sector_energy_balance', activity_ref, 'statistics', region_code, region_code, month,
        fuel_code, factor_id, missing
    from {{ ref('int_gov__topdown_monthly') }}
    where missing is not null and activity_ref like 'sector_energy_balance/%'
    union all
    select 'low_carbon_activity', activity_ref, 'person', account_id, '{{ city }}',
        strftime(date, '%Y-%m-%d'), behaviour_code, factor_id,
        'missing emission factor grid_electricity (location) for {{ city }} in ' || year(date)
    from {{ ref('int_personal__travel_credits') }}
    where factor_id = 'grid_electricity' and factor_version is null
    union all
    select 'electricity_consumption', p.activity_ref, 'household', p.account_id, r.region_code,
        strftime(p.date, '%Y-%m-%d'), 'household_electricity', p.factor_id,
        'missing emission factor grid_electricity (location) for ' || coalesce(r.region_code, '?')
            || ' in ' || year(p.date)
    from personal_household as p
    left join household_region as r
        on r.account_id = p.account_id and r.month = strftime(p.date, '%Y-%m')
)
select
    cast(dataset as varchar) as dataset,
    cast(activity_ref as varchar) as activity_ref,
    cast(account_type as varchar) as account_type,
    cast(account_id as varchar) as account_id,
    cast(region_code as varchar) as region_code,
    cast(period as varchar) as period,
    cast(item as varchar) as item,
    cast(factor_id as varchar) as factor_id,
    cast(case
        when missing like '% not in the register' then 'unknown_enterprise'
        when missing like 'missing emission factor%' then 'missing_factor'
        when missing like 'unknown unit%' then 'unknown_unit'
        else 'other' end as varchar) as reason_code,
    cast(missing as varchar) as reason_en,
    cast(case
        when missing like '% not in the register' then '企业(统一社会信用代码 ' || account_id || ')不在企业名录中'
        when missing like '%unknown fuel code' then '未知燃料代码,无排放因子: ' || coalesce(factor_id, '')
        when missing like 'missing emission factor%' then '缺少排放因子: ' || coalesce(factor_id, '')
            || '(' || coalesce(region_code, '?') || ', ' || substr(period, 1, 4) || ')'
        when missing like 'unknown unit%' then '未知计量单位: ' || missing
        else missing end as varchar) as reason_zh
from rows
