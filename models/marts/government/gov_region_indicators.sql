{{ config(contract = {'enforced': true}) }}
-- Government indicators per region (county, city, province: counties roll up) × month, on the
-- bottom-up territorial Scope 1 (combustion + process), the inventory the budget is set on;
-- Scope 2 heat shown apart: purchased (外购热力) and exported (输出热力, a positive deduction), and the
-- net (净购入热力) = purchased − exported, as the MEE guidelines count it (docs/ledgers.md, "Heat");
--   per capita and per 10^4 CNY GDP (year to date; GDP pro rata by days elapsed);
--   budget = var carbon_budget_intensity × GDP of the year; year-to-date budget pro rata;
--   year-end projection = YTD / share of the year elapsed;
--   warning level (晴雨表): 1 (red) projection/budget > var warning_ratio_level1 (1.05),
--   2 (yellow) > var warning_ratio_level2 (1.0), else 3 (green);
--   watch-list counts from gov_watchlist.
-- Population and GDP: the region's statistics for the year, else its latest earlier year.
with bu as (
    select t.ancestor_code as region_code, b.month,
        sum(case when b.scope in ('scope1_combustion', 'scope1_process') then b.tco2 else 0 end order by case when b.scope in ('scope1_combustion', 'scope1_process') then b.tco2 else 0 end) as scope1,
        sum(case when b.scope = 'scope2_electricity' then b.tco2 else 0 end order by case when b.scope = 'scope2_electricity' then b.tco2 else 0 end) as scope2_electricity,
        sum(case when b.scope = 'scope2_heat' and b.fuel_code = 'heat_purchased' then b.tco2 else 0 end order by case when b.scope = 'scope2_heat' and b.fuel_code = 'heat_purchased' then b.tco2 else 0 end)
            as scope2_heat_purchased,
        -sum(case when b.scope = 'scope2_heat' and b.fuel_code = 'heat_exported' then b.tco2 else 0 end order by case when b.scope = 'scope2_heat' and b.fuel_code = 'heat_exported' then b.tco2 else 0 end)
            as scope2_heat_exported
    from {{ ref('int_gov__bottomup_monthly') }} as b
    join {{ ref('int_gov__region_tree') }} as t on t.region_code = b.region_code
    group by all
),
m as (
    select bu.*, cast(substr(month, 1, 4) as integer) as year,
        sum(scope1) over (partition by region_code, substr(month, 1, 4) order by month) as scope1_ytd,
        date_diff('day', make_date(cast(substr(month, 1, 4) as integer), 1, 1),
            cast(month || '-01' as date) + interval 1 month)::double
            / date_diff('day', make_date(cast(substr(month, 1, 4) as integer), 1, 1),
                make_date(cast(substr(month, 1, 4) as integer) + 1, 1, 1)) as elapsed
    from bu
),
stats as (
    select m.region_code, m.month, r.population, r.gdp_10k_cny, r.year as stats_year
    from m
    left join {{ ref('stg_lake__regions') }} as r
        on r.region_code = m.region_code and r.year <= m.year
    qualify row_number() over (partition by m.region_code, m.month order by r.year desc nulls last) = 1
),
watch as (
    select t.ancestor_code as region_code, w.year,
        count(*) filter (where w.entity_type = 'industry') as n_watch_industries,
        count(*) filter (where w.entity_type = 'enterprise') as n_watch_enterprises
    from {{ ref('gov_watchlist') }} as w
    join {{ ref('int_gov__region_tree') }} as t on t.region_code = w.region_code
    group by all
),
ind as (
    select m.*, s.population, s.gdp_10k_cny, s.stats_year,
        {{ var('carbon_budget_intensity') }} * s.gdp_10k_cny as budget_tco2e,
        m.scope1_ytd / m.elapsed as projection_tco2e,
        coalesce(w.n_watch_industries, 0) as n_watch_industries,
        coalesce(w.n_watch_enterprises, 0) as n_watch_enterprises
    from m
    left join stats as s using (region_code, month)
    left join watch as w using (region_code, year)
)
select
    cast(region_code as varchar) as region_code,
    cast(month as varchar) as month,
    cast(year as integer) as year,
    cast(scope1 as double) as tco2e_scope1,
    cast(scope2_electricity as double) as tco2e_scope2_electricity,
    cast(scope2_heat_purchased - scope2_heat_exported as double) as tco2e_scope2_heat,
    cast(scope2_heat_purchased as double) as tco2e_scope2_heat_purchased,
    cast(scope2_heat_exported as double) as tco2e_scope2_heat_exported,
    cast(scope1_ytd as double) as tco2e_scope1_ytd,
    cast(population as bigint) as population,
    cast(gdp_10k_cny as double) as gdp_10k_cny,
    cast(stats_year as integer) as stats_year,
    cast(scope1_ytd / nullif(population, 0) as double) as tco2e_per_capita_ytd,
    cast(scope1_ytd / nullif(gdp_10k_cny * elapsed, 0) as double) as tco2e_per_10k_cny_gdp_ytd,
    cast(budget_tco2e as double) as budget_tco2e,
    cast(budget_tco2e * elapsed as double) as budget_tco2e_ytd,
    cast(projection_tco2e as double) as projection_tco2e,
    cast(projection_tco2e / nullif(budget_tco2e, 0) as double) as projection_to_budget,
    cast(case when budget_tco2e is null or budget_tco2e = 0 then null
         when projection_tco2e / budget_tco2e > {{ var('warning_ratio_level1') }} then 1
         when projection_tco2e / budget_tco2e > {{ var('warning_ratio_level2') }} then 2
         else 3 end as integer) as warning_level,
    cast(n_watch_industries as integer) as n_watch_industries,
    cast(n_watch_enterprises as integer) as n_watch_enterprises
from ind
