{{ config(contract = {'enforced': true}) }}
-- The product carbon-footprint factor library (产品碳足迹因子库), issue 14 §2, docs/pcf.md:
-- every row with its value as published, kgCO2e per unit at full precision, system boundary, GWP
-- set, source (document, table, where read, status) and data-quality rating (1 best … 5 worst).
select
    cast(pcf_factor_id as varchar) as pcf_factor_id,
    cast(pcf_factor_version as varchar) as pcf_factor_version,
    cast(subject as varchar) as subject,
    cast(name_zh as varchar) as name_zh,
    cast(name_en as varchar) as name_en,
    cast(published_value as double) as published_value,
    cast(published_unit as varchar) as published_unit,
    cast(kgco2e_per_unit as double) as kgco2e_per_unit,
    cast(per_unit as varchar) as per_unit,
    cast(system_boundary as varchar) as system_boundary,
    cast(gwp_set as varchar) as gwp_set,
    cast(gases as varchar) as gases,
    cast(geography as varchar) as geography,
    cast(reference_year as integer) as reference_year,
    cast(case when ref_factor_id is not null
        then ref_source_document || ' (' || ref_notice_number || ', ' || ref_published_date || ')'
        else source_document end as varchar) as source_document,
    cast(source_table as varchar) as source_table,
    cast(source_url as varchar) as source_url,
    cast(source_status as varchar) as source_status,
    cast(dq_reliability as integer) as dq_reliability,
    cast(dq_temporal as integer) as dq_temporal,
    cast(dq_geography as integer) as dq_geography,
    cast(dq_rating as integer) as dq_rating,
    cast(fit_for_pcf as boolean) as fit_for_pcf,
    cast(ref_factor_id as varchar) as ref_factor_id,
    cast(ref_factor_version as varchar) as ref_factor_version,
    cast(note as varchar) as note
from {{ ref('int_pcf__factors') }}
