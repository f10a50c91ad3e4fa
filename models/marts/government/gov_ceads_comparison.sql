{{ config(contract = {'enforced': true}) }}
-- Our top-down Scope 1 total (combustion from the energy balance + process from production
-- statistics, as CEADs counts them) per region and year
-- beside CEADs: the CEADs figure of the same year where published (ceads_same_year_mt), and the
-- latest CEADs year on or before ours as the calibration reference (the demo city is calibrated
-- on Yancheng 2019 = 44.99 Mt). Regions roll up (county -> city -> province).
with ours as (
    select t.ancestor_code as region_code, d.year,
        sum(d.tco2 order by d.tco2) filter (where d.scope in ('scope1_combustion', 'scope1_process')) as tco2e,
        count(distinct d.month) as months
    from {{ ref('int_gov__topdown_monthly') }} as d
    join {{ ref('int_gov__region_tree') }} as t on t.region_code = d.region_code
    where d.missing is null  -- rows without a factor are in recon_exceptions
    group by all
),
ceads as (
    select region_code, year, sum(mt_co2 order by mt_co2) as mt_co2
    from {{ ref('stg_lake__reference_ceads') }}
    where sector_code = 'TOTAL'
    group by all
),
cal as (
    select o.region_code, o.year, c.year as ceads_year, c.mt_co2
    from ours as o
    join ceads as c on c.region_code = o.region_code and c.year <= o.year
    qualify row_number() over (partition by o.region_code, o.year order by c.year desc) = 1
)
select
    cast(o.region_code as varchar) as region_code,
    cast(o.year as integer) as year,
    cast(o.tco2e / 1e6 as double) as top_down_mt,
    cast(same.mt_co2 as double) as ceads_same_year_mt,
    cast(cal.ceads_year as integer) as ceads_reference_year,
    cast(cal.mt_co2 as double) as ceads_reference_mt,
    cast(o.tco2e / 1e6 / nullif(cal.mt_co2, 0) as double) as ratio_to_reference
from ours as o
left join ceads as same on same.region_code = o.region_code and same.year = o.year
left join cal on cal.region_code = o.region_code and cal.year = o.year
