-- Scope 1 process emissions: product output × process factor (clinker, lime, crude steel), tCO2.
with act as (
    select a.*, e.region_code, cast(substr(a.month, 1, 4) as integer) as year,
        p.unit as ref_unit, p.process_factor_id
    from {{ ref('stg_lake__industrial_activity') }} as a
    left join {{ ref('int_enterprises__current') }} as e using (uscc)
    left join {{ ref('ref_products') }} as p using (product_code)
    where p.process_factor_id is not null and p.process_factor_id <> ''
)
select
    act.uscc,
    act.month,
    act.year,
    act.region_code,
    act.product_code,
    act.quantity,
    act.unit,
    act.process_factor_id as factor_id,
    fs.factor_version,
    act.quantity * c.multiplier * fs.value as tco2,
    case
        when act.region_code is null then 'enterprise ' || act.uscc || ' not in the register'
        when fs.value is null then 'missing emission factor ' || act.process_factor_id || ' for '
            || coalesce(act.region_code, '?') || ' in ' || act.year
        when c.multiplier is null then 'unknown unit ''' || act.unit || ''' for '
            || act.process_factor_id || ' (reports in ' || act.ref_unit || ')'
    end as missing
from act
left join {{ ref('unit_conversions') }} as c
    on c.from_unit = act.unit and c.to_unit = act.ref_unit
left join {{ ref('int_factors__selected') }} as fs
    on fs.factor_id = act.process_factor_id and fs.basis = 'default'
    and fs.region_code = act.region_code and fs.year = act.year
