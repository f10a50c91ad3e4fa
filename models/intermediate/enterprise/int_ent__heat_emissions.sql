-- Scope 2 heat: net purchased heat (purchased − exported, GB/T 32150) × 0.11 tCO2/GJ default.
-- Net exporters (CHP plants) get a negative figure, as the national guidelines do.
with heat as (
    select h.*, e.region_code, cast(substr(h.month, 1, 4) as integer) as year
    from {{ ref('stg_lake__heat_consumption') }} as h
    left join {{ ref('int_enterprises__current') }} as e using (uscc)
)
select
    heat.uscc,
    heat.month,
    heat.year,
    heat.region_code,
    heat.gj_purchased,
    heat.gj_exported,
    'heat_purchased' as factor_id,
    fs.factor_version,
    (heat.gj_purchased - heat.gj_exported) * fs.value as tco2,
    case
        when heat.region_code is null then 'enterprise ' || heat.uscc || ' not in the register'
        when fs.value is null then 'missing emission factor heat_purchased for '
            || heat.region_code || ' in ' || heat.year
    end as missing
from heat
left join {{ ref('int_factors__selected') }} as fs
    on fs.factor_id = 'heat_purchased' and fs.basis = 'default'
    and fs.region_code = heat.region_code and fs.year = heat.year
