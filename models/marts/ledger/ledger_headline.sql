-- The figures the nightly run ends with (核心指标), one row per (section, item, metric): the CLI
-- (`carbon ledgers headline`), the nightly log and the ledger DAG print this mart; no Python reads
-- the intermediate schema for them. Long format, so a new figure is a new row, not a new column.
with city as (
    select c.year::integer as ord, c.region_code as subject_code, r.name_zh as subject_name,
           c.year::varchar as period, c.top_down_mt, c.ceads_reference_year::double as ceads_year,
           c.ceads_reference_mt, c.ratio_to_reference
    from {{ ref('gov_ceads_comparison') }} c
    join {{ ref('gbt2260_regions') }} r using (region_code)
    where r.level = 'city'
),
city_rows as (
    select 'city_vs_ceads' as section, ord, subject_code, subject_name, period,
           m.metric, m.value, m.unit
    from city,
    lateral (values
        ('top_down_scope1', top_down_mt, 'MtCO2'),
        ('ceads_reference_year', ceads_year, 'year'),
        ('ceads_reference', ceads_reference_mt, 'MtCO2'),
        ('ratio_to_reference', ratio_to_reference, '1')
    ) as m(metric, value, unit)
),
district as (
    select g.region_code, r.name_zh,
           coalesce(sum(g.tco2e order by g.tco2e) filter (where g.scope like 'scope1%'), 0) as s1,
           coalesce(sum(g.tco2e order by g.tco2e) filter (where g.scope = 'scope2_electricity'), 0)
               as s2e,
           coalesce(sum(g.tco2e order by g.tco2e) filter (
               where g.scope = 'scope2_heat' and g.fuel_code = 'heat_purchased'), 0) as hp,
           0.0 - coalesce(sum(g.tco2e order by g.tco2e) filter (
               where g.scope = 'scope2_heat' and g.fuel_code = 'heat_exported'), 0) as hx,
           row_number() over (order by g.region_code) as ord
    from {{ ref('gov_region_emissions_monthly') }} g
    join {{ ref('gbt2260_regions') }} r using (region_code)
    where g.method = 'bottom_up'
    group by g.region_code, r.name_zh
),
district_rows as (
    select 'district' as section, ord::integer as ord,
           region_code as subject_code, name_zh as subject_name, 'all' as period,
           m.metric, m.value, 'tCO2e' as unit
    from district,
    lateral (values
        ('scope1', s1),
        ('scope2', s2e + hp - hx),
        ('scope2_electricity', s2e),
        ('heat_purchased', hp),
        ('heat_exported', hx)
    ) as m(metric, value)
),
enterprise as (
    select m.uscc, coalesce(min(e.name), '') as name,
           sum(m.tco2e_total order by m.tco2e_total) as t
    from {{ ref('ent_enterprise_emissions_monthly') }} m
    left join {{ ref('int_enterprises__current') }} e using (uscc)
    group by m.uscc
),
enterprise_rows as (
    select 'top_enterprises' as section,
           (row_number() over (order by t desc, uscc))::integer as ord,
           uscc as subject_code, name as subject_name, 'all' as period,
           'tco2e_total' as metric, t as value, 'tCO2e' as unit
    from enterprise
    qualify ord <= 10
),
latest_grade_period as (
    select max(period) as period from {{ ref('ent_carbon_efficiency') }}
),
grade_rows as (
    select 'carbon_efficiency_grades' as section,
           (row_number() over (order by e.grade))::integer as ord,
           e.grade::varchar as subject_code, 'grade ' || e.grade as subject_name, e.period,
           'enterprises' as metric, count(*)::double as value, 'count' as unit
    from {{ ref('ent_carbon_efficiency') }} e
    join latest_grade_period l on e.period = l.period
    where e.grade is not null
    group by e.grade, e.period
),
credit_rows as (
    select 'personal_credits' as section, 1 as ord, 'city' as subject_code, '' as subject_name,
           'all' as period, 'credited' as metric,
           coalesce(sum(tco2e order by tco2e), 0)::double as value, 'tCO2e' as unit
    -- the credits up to the as-of date, open month included: the journal holds the ended months
    -- only, per account × month (docs/ledgers.md "Journal grain"), so the detail is summed
    from {{ ref('int_personal__points_events') }}
    where entry_type = 'reduction_credit'
),
recon_rows as (
    select 'reconciliation' as section, 1 as ord, 'city' as subject_code, '' as subject_name,
           'all' as period, m.metric, m.value, 'count' as unit
    from (
        select count(*)::double as n,
               (count(*) filter (where reconciles and household_electricity_counted_once
                                 and green_power_deducted_once))::double as ok
        from {{ ref('recon_region_monthly') }}
    ),
    lateral (values ('region_months', n), ('region_months_hold', ok)) as m(metric, value)
),
exception_rows as (
    select 'recon_exceptions' as section,
           (row_number() over (order by reason_code))::integer as ord,
           reason_code as subject_code, reason_code as subject_name, 'all' as period,
           'activity_rows' as metric, n::double as value, 'count' as unit
    from (
        select reason_code, count(*) as n from {{ ref('recon_exceptions') }} group by reason_code
    )
)
select section::varchar as section, ord::integer as ord, subject_code::varchar as subject_code,
       subject_name::varchar as subject_name, period::varchar as period, metric::varchar as metric,
       value::double as value, unit::varchar as unit
from (
    select * from city_rows
    union all select * from district_rows
    union all select * from enterprise_rows
    union all select * from grade_rows
    union all select * from credit_rows
    union all select * from recon_rows
    union all select * from exception_rows
)
