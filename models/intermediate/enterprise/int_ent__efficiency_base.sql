-- Inputs of the 碳效码 per enterprise × month: value added and emissions net of zero-carbon
-- power (location-based Scope 2 on kWh − green kWh; Scope 1 and heat as reported).
select
    m.uscc,
    m.month as period,
    m.industry_code,
    m.region_code,
    m.value_added_10k_cny,
    m.scope1_combustion + m.scope1_process + m.scope2_heat
        + m.scope2_location * (1 - coalesce(m.green_kwh_deducted / nullif(m.kwh, 0), 0)) as tco2e_net
from {{ ref('ent_enterprise_emissions_monthly') }} as m
where m.value_added_10k_cny > 0
