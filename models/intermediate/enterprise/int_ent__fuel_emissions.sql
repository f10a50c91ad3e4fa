-- Scope 1 combustion: fuel use × fuel factor, per enterprise × month × fuel (tCO2).
-- Units: a unit convertible to the fuel's reporting unit (t, 10^4 Nm3 ...) uses the factor as is;
-- an energy unit (GJ, TJ, tce ...) goes through the NCV. Anything else leaves tco2 null and
-- `missing` says why (never a silent zero: such rows are listed in recon_exceptions).
with fuel as (
    select f.*, e.region_code, cast(substr(f.month, 1, 4) as integer) as year
    from {{ ref('stg_lake__fuel_consumption') }} as f
    left join {{ ref('int_enterprises__current') }} as e using (uscc)
),
joined as (
    select
        fuel.*,
        rf.unit as ref_unit,
        cr.multiplier as to_ref_unit,
        cg.multiplier as to_gj,
        'fuel_' || fuel.fuel_code as factor_id,
        fs.factor_version,
        fs.value as factor_value,
        fs.ncv
    from fuel
    left join {{ ref('ref_fuels') }} as rf using (fuel_code)
    left join {{ ref('unit_conversions') }} as cr
        on cr.from_unit = fuel.unit and cr.to_unit = rf.unit
    left join {{ ref('unit_conversions') }} as cg
        on cg.from_unit = fuel.unit and cg.to_unit = 'GJ'
    left join {{ ref('int_factors__selected') }} as fs
        on fs.factor_id = 'fuel_' || fuel.fuel_code and fs.basis = 'default'
        and fs.region_code = coalesce(fuel.region_code, 'CN') and fs.year = fuel.year
)
select
    uscc,
    month,
    year,
    region_code,
    fuel_code,
    quantity,
    unit,
    case when to_ref_unit is not null then quantity * to_ref_unit end as quantity_ref_unit,
    case
        when to_gj is not null then quantity * to_gj
        when to_ref_unit is not null then quantity * to_ref_unit * ncv
    end as energy_gj,
    factor_id,
    factor_version,
    case
        when factor_value is null then null
        when to_ref_unit is not null then quantity * to_ref_unit * factor_value
        when to_gj is not null and ncv is not null then quantity * to_gj * factor_value / ncv
    end as tco2,
    case
        when region_code is null then 'enterprise ' || uscc || ' not in the register'
        when ref_unit is null then 'missing emission factor ' || factor_id || ': unknown fuel code'
        when factor_value is null
            then 'missing emission factor ' || factor_id || ' for ' || region_code || ' in ' || year
        when to_ref_unit is null and to_gj is null
            then 'unknown unit ''' || unit || ''' for ' || factor_id || ' (reports in ' || ref_unit || ')'
    end as missing
from joined
