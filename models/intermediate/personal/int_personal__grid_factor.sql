-- Grid electricity CO2 factor by year for household-electricity and EV-charging credits:
-- Jiangsu (320000), location-based, tCO2/MWh (= kgCO2/kWh), from the factor library
-- (seed `emission_factors`, carbon/factors/data/emission_factors.csv, factor_id grid_electricity).
-- Only factors published on or before var factor_as_of (if set) are eligible, as in the ledgers.
-- Each row covers [from_year, to_year]: a year uses the latest factor published for a year <= it;
-- years before the first factor fall back to the earliest one (from_year = 0), years after the
-- last one keep using it (to_year = 9999).
{%- set factor_as_of = var('factor_as_of', none) %}
with factors as (
    select
        factor_id,
        factor_version,
        valid_from_year as factor_year,
        value as tco2_per_mwh
    from {{ ref('emission_factors') }}
    where factor_id = 'grid_electricity'
      and region = '{{ var("personal_grid_region", "320000") }}'
      and basis = 'location'
      and gas = 'CO2'
      and unit = 'tCO2/MWh'
      {%- if factor_as_of %}
      and cast(published_date as date) <= cast('{{ factor_as_of }}' as date)
      {%- endif %}
    qualify row_number() over (
        partition by valid_from_year order by published_date desc, factor_version desc
    ) = 1
)

select
    cast(factor_id as varchar) as factor_id,
    cast(factor_version as varchar) as factor_version,
    cast(factor_year as integer) as factor_year,
    cast(tco2_per_mwh as double) as tco2_per_mwh,
    cast(case when row_number() over (order by factor_year) = 1 then 0 else factor_year end as integer)
        as from_year,
    cast(coalesce(lead(factor_year) over (order by factor_year) - 1, 9999) as integer) as to_year
from factors
