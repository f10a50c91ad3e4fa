-- Crediting methodologies (碳普惠方法学) for the configured city, typed.
-- Source data: carbon/domain/factors/data/crediting_methodologies.csv (dbt seed `crediting_methodologies`),
-- one row per behaviour_code × unit × version with its source document on every row.
-- Rows valid for a year: valid_from_year <= year <= coalesce(valid_to_year, 9999); consumers take
-- the highest methodology_version valid that year.
select
    cast(methodology_id as varchar) as methodology_id,
    cast(methodology_name_zh as varchar) as methodology_name_zh,
    cast(methodology_version as varchar) as methodology_version,
    cast(behaviour_code as varchar) as behaviour_code,
    cast(account_kind as varchar) as account_kind,
    cast(unit as varchar) as unit,
    cast(region_code as varchar) as region_code,
    cast(valid_from_year as integer) as valid_from_year,
    cast(coalesce(valid_to_year, 9999) as integer) as valid_to_year,
    cast(be_kgco2e_per_unit as double) as be_kgco2e_per_unit,
    cast(pe_kgco2e_per_unit as double) as pe_kgco2e_per_unit,
    cast(pe_basis as varchar) as pe_basis,
    cast(baseline_kwh_per_person_day as double) as baseline_kwh_per_person_day,
    cast(factor_id as varchar) as factor_id,
    cast(source as varchar) as source
from {{ ref('crediting_methodologies') }}
where cast(region_code as varchar) = '{{ var("personal_city_code", "320900") }}'
