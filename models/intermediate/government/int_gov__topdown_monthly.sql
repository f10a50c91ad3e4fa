-- Top-down inventory: the statistics bureau's yearly energy balance (CEADs sector × fuel layout)
-- × fuel factors, allocated to months by calendar days (month days / year days): the balance is
-- yearly and has no monthly profile, so the allocation is neutral and sums back exactly.
-- fuel_code 'electricity' (MWh, 10^4 kWh ...) and 'heat' (GJ) rows, if the balance carries them,
-- become Scope 2 with the grid (location) and heat factors; every other code must be a fuel of
-- the library, else `missing` names the factor (tested: never a silent zero).
-- Process emissions are not in an energy balance: as CEADs does for cement, they come from
-- production statistics (industrial_activity output × process factor: clinker, lime, crude
-- steel), rolled up to the balance's region, for the years the balance covers.
with bal as (
    select b.*,
        case when b.fuel_code = 'electricity' then 'grid_electricity'
             when b.fuel_code = 'heat' then 'heat_purchased'
             else 'fuel_' || b.fuel_code end as factor_id,
        case when b.fuel_code = 'electricity' then 'location' else 'default' end as basis,
        case when b.fuel_code = 'electricity' then 'MWh'
             when b.fuel_code = 'heat' then 'GJ'
             else rf.unit end as ref_unit
    from {{ ref('stg_lake__sector_energy_balance') }} as b
    left join {{ ref('ref_fuels') }} as rf using (fuel_code)
),
yearly as (
    select
        bal.region_code,
        bal.year,
        bal.sector_code,
        bal.fuel_code,
        bal.quantity,
        bal.unit,
        bal.factor_id,
        fs.factor_version,
        case
            when fs.value is null then null
            when cr.multiplier is not null then bal.quantity * cr.multiplier * fs.value
            when cg.multiplier is not null and fs.ncv is not null
                then bal.quantity * cg.multiplier * fs.value / fs.ncv
        end as tco2_year,
        case
            when bal.ref_unit is null then 'missing emission factor ' || bal.factor_id || ': unknown fuel code'
            when fs.value is null then 'missing emission factor ' || bal.factor_id || ' for '
                || bal.region_code || ' in ' || bal.year
            when cr.multiplier is null and (cg.multiplier is null or fs.ncv is null)
                then 'unknown unit ''' || bal.unit || ''' for ' || bal.factor_id
        end as missing
    from bal
    left join {{ ref('unit_conversions') }} as cr on cr.from_unit = bal.unit and cr.to_unit = bal.ref_unit
    left join {{ ref('unit_conversions') }} as cg on cg.from_unit = bal.unit and cg.to_unit = 'GJ'
    left join {{ ref('int_factors__selected') }} as fs
        on fs.factor_id = bal.factor_id and fs.basis = bal.basis
        and fs.region_code = bal.region_code and fs.year = bal.year
),
months as (
    select
        y.*,
        strftime(d, '%Y-%m') as month,
        (date_diff('day', d, d + interval 1 month))::double
            / date_diff('day', make_date(y.year, 1, 1), make_date(y.year + 1, 1, 1)) as share
    from yearly as y,
        unnest(generate_series(make_date(y.year, 1, 1), make_date(y.year, 12, 1), interval 1 month)) as g(d)
)
select
    region_code,
    year,
    month,
    sector_code,
    fuel_code,
    case when fuel_code = 'electricity' then 'scope2_electricity'
         when fuel_code = 'heat' then 'scope2_heat'
         else 'scope1_combustion' end as scope,
    quantity * share as quantity,
    unit,
    factor_id,
    factor_version,
    tco2_year * share as tco2,
    missing,
    'sector_energy_balance/year=' || year || '/' || region_code || '|' || sector_code || '|'
        || fuel_code || '#' || month as activity_ref
from months
union all
select
    t.ancestor_code as region_code,
    p.year,
    p.month,
    e.sector_code,
    'process' as fuel_code,
    'scope1_process' as scope,
    sum(p.quantity order by p.quantity) as quantity,
    min(p.unit) as unit,
    p.factor_id,
    min(p.factor_version) as factor_version,
    sum(p.tco2 order by p.tco2) as tco2,
    min(p.missing) as missing,
    'industrial_activity/month=' || p.month || '/process|' || t.ancestor_code || '|'
        || e.sector_code || '|' || p.product_code as activity_ref
from {{ ref('int_ent__process_emissions') }} as p
join {{ ref('int_enterprises__current') }} as e using (uscc)
join {{ ref('int_gov__region_tree') }} as t on t.region_code = p.region_code
where (t.ancestor_code, p.year) in (select distinct region_code, year from bal)
    and p.missing is null  -- excluded rows are listed in recon_exceptions
group by t.ancestor_code, p.year, p.month, e.sector_code, p.product_code, p.factor_id
