-- One row per material purchase (enterprise × month × material) with its factor and transport:
-- upstream kgCO2e = quantity (t) × factor (kgCO2e/t), only where the material has a factor fit
-- for a footprint (fit_for_pcf); otherwise NULL and missing_reason says why (never zero).
-- transport kgCO2e = quantity (t) × distance (km) × factor (kgCO2e/t·km) where mode and distance
-- are reported and the mode has a factor.
with p as (
    select * from {{ ref('stg_lake__material_purchases') }}
    where uscc in (select uscc from {{ ref('int_enterprises__current') }})
),
mat as (select * from {{ ref('pcf_materials') }}),
f as (select * from {{ ref('int_pcf__factors') }}),
lines as (
    select
        p.uscc,
        p.month,
        p.material_code,
        p.quantity,
        p.unit,
        p.transport_mode,
        p.transport_km,
        fm.factor_ref as material_factor_ref,
        fm.kgco2e_per_unit as material_kgco2e_per_unit,
        coalesce(fm.fit_for_pcf, false) as covered,
        case
            when fm.pcf_factor_id is null then 'no factor in the library'
            when not fm.fit_for_pcf then 'factor ' || fm.factor_ref || ' has a partial boundary: '
                || fm.system_boundary
        end as missing_reason,
        p.transport_mode is not null and p.transport_km is not null as has_transport,
        ft.factor_ref as transport_factor_ref,
        ft.kgco2e_per_unit as transport_kgco2e_per_tkm
    from p
    left join mat as m on m.material_code = p.material_code and m.kind = 'material'
    left join f as fm on fm.pcf_factor_id = m.pcf_factor_id
    left join mat as mt on mt.material_code = p.transport_mode and mt.kind = 'transport'
    left join f as ft on ft.pcf_factor_id = mt.pcf_factor_id
)
select
    *,
    case when covered then quantity * material_kgco2e_per_unit end as upstream_kgco2e,
    case when has_transport then quantity * transport_km end as transport_tkm,
    case when has_transport then quantity * transport_km * transport_kgco2e_per_tkm end
        as transport_kgco2e,
    has_transport and transport_kgco2e_per_tkm is null as transport_missing
from lines
