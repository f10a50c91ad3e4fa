-- The product carbon-footprint factor library (seed pcf_factors, carbon/domain/pcf/data) with
-- each row's value resolved to kgCO2e per `per_unit` at full precision. A row naming
-- ref_factor_id takes value, unit and citation from the emission-factor library row it names
-- (reused, not copied). The multipliers are carbon.domain.pcf.KG_PER_PUBLISHED_UNIT (tested).
with lib as (select * from {{ ref('pcf_factors') }}),
ef as (
    select factor_id, factor_version, region, basis, value, unit, source_document, notice_number,
        published_date
    from {{ ref('emission_factors') }}
),
resolved as (
    select
        l.*,
        coalesce(ef.value, l.value) as published_value,
        coalesce(ef.unit, l.unit) as published_unit,
        ef.source_document as ref_source_document,
        ef.notice_number as ref_notice_number,
        ef.published_date as ref_published_date
    from lib as l
    left join ef
        on l.ref_factor_id = ef.factor_id and l.ref_factor_version = ef.factor_version
        and l.ref_region = ef.region and l.ref_basis = ef.basis
)
select
    *,
    published_value * case published_unit
        when 'tCO2/t' then 1000.0 when 'tCO2e/t' then 1000.0 when 'kgCO2e/t' then 1.0
        when 'kgCO2e/tkm' then 1.0 when 'tCO2/MWh' then 1000.0 end as kgco2e_per_unit,
    greatest(dq_reliability, dq_temporal, dq_geography) as dq_rating,
    pcf_factor_id || '@' || pcf_factor_version as factor_ref
from resolved
