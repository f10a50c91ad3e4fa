-- Scope 2 heat: net purchased heat (净购入热力 = 外购 − 输出, GB/T 32150 and the MEE enterprise
-- guidelines) × 0.11 tCO2/GJ default. Purchased (tco2_purchased, >= 0) and exported
-- (tco2_exported, >= 0, the deduction) are kept apart; tco2 = tco2_purchased − tco2_exported,
-- so net exporters (CHP plants) get a negative figure, as the national guidelines do.
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
    heat.gj_purchased * fs.value as tco2_purchased,
    heat.gj_exported * fs.value as tco2_exported,
    heat.gj_purchased * fs.value - heat.gj_exported * fs.value as tco2,
    case
        when heat.region_code is null then 'enterprise ' || heat.uscc || ' not in the register'
        when fs.value is null then 'missing emission factor heat_purchased for '
            || heat.region_code || ' in ' || heat.year
    end as missing
from heat
left join {{ ref('int_factors__selected') }} as fs
    on fs.factor_id = 'heat_purchased' and fs.basis = 'default'
    and fs.region_code = heat.region_code and fs.year = heat.year
