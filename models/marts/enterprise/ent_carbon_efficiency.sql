{{ config(contract = {'enforced': true}) }}
-- 碳效码 per enterprise × month, with the Quzhou-style colour from three dimensions:
--   benchmark    K (vs industry average): good <= 0.8, fair <= 1.2, poor above;
--   contribution share of the county's enterprise emissions this month: good <= 1 %, fair <= 5 %;
--   decline      change of L against the same month a year earlier (else the previous month):
--                good <= -5 %, fair <= 0 %, poor above; no history = fair.
-- Points good 2 / fair 1 / poor 0; total >= 5 dark_green, >= 3 light_green, >= 2 yellow, else red.
with s as (
    select * from {{ ref('int_ent__efficiency_scored') }}
),
region_tot as (
    select region_code, period, sum(greatest(tco2e_net, 0) order by greatest(tco2e_net, 0)) as region_tco2e from s group by all
),
hist as (
    select s.*, coalesce(y.l_value, m.l_value) as l_previous
    from s
    left join s as y on y.uscc = s.uscc
        and y.period = strftime(cast(s.period || '-01' as date) - interval 12 month, '%Y-%m')
    left join s as m on m.uscc = s.uscc
        and m.period = strftime(cast(s.period || '-01' as date) - interval 1 month, '%Y-%m')
),
dims as (
    select h.*,
        greatest(h.tco2e_net, 0) / nullif(r.region_tco2e, 0) as region_share,
        (h.l_value - h.l_previous) / nullif(abs(h.l_previous), 0) as l_change,
        case when h.k_value <= 0.8 then 'good' when h.k_value <= 1.2 then 'fair' else 'poor' end
            as dim_benchmark,
        case when greatest(h.tco2e_net, 0) / nullif(r.region_tco2e, 0) <= 0.01 then 'good'
             when greatest(h.tco2e_net, 0) / nullif(r.region_tco2e, 0) <= 0.05 then 'fair'
             when r.region_tco2e is null or r.region_tco2e = 0 then 'good'
             else 'poor' end as dim_contribution,
        case when h.l_previous is null or h.l_previous = 0 then 'fair'
             when (h.l_value - h.l_previous) / abs(h.l_previous) <= -0.05 then 'good'
             when (h.l_value - h.l_previous) / abs(h.l_previous) <= 0 then 'fair'
             else 'poor' end as dim_decline
    from hist as h
    left join region_tot as r using (region_code, period)
),
pts as (
    select d.*,
        (case dim_benchmark when 'good' then 2 when 'fair' then 1 else 0 end)
        + (case dim_contribution when 'good' then 2 when 'fair' then 1 else 0 end)
        + (case dim_decline when 'good' then 2 when 'fair' then 1 else 0 end) as colour_points
    from dims as d
)
select
    cast(uscc as varchar) as uscc,
    cast(period as varchar) as period,
    cast(industry_code as varchar) as industry_code,
    cast(region_code as varchar) as region_code,
    cast(value_added_10k_cny as double) as value_added_10k_cny,
    cast(tco2e_net as double) as tco2e_net,
    cast(l_value as double) as l_value,
    cast(l_level as varchar) as l_level,
    cast(industry_avg_l as double) as industry_avg_l,
    cast(k_value as double) as k_value,
    cast(grade as integer) as grade,
    cast(dim_benchmark as varchar) as dim_benchmark,
    cast(dim_contribution as varchar) as dim_contribution,
    cast(dim_decline as varchar) as dim_decline,
    cast(region_share as double) as region_share,
    cast(l_change as double) as l_change,
    cast(case when colour_points >= 5 then 'dark_green' when colour_points >= 3 then 'light_green'
         when colour_points >= 2 then 'yellow' else 'red' end as varchar) as quzhou_colour
from pts
