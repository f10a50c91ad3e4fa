-- The factor library rows eligible for this build (see docs/factors.md):
--   * published on or before the build's factor_as_of date (build params or var), when set:
--     a notice not yet published is unknown;
--   * fuels: only the pinned set var fuel_factor_version (when set), e.g. IPCC-2006.
select
    factor_id, factor_version, category, subject, valid_from_year, valid_to_year, region, basis,
    gwp_set, gas, value, unit, ncv, ncv_unit, source_document, notice_number, published_date
from {{ ref('emission_factors') }}
where {{ published_by_as_of('published_date') }}
{%- if var('fuel_factor_version', none) %}
  and (category <> 'fuel' or factor_version = '{{ var("fuel_factor_version") }}')
{%- endif %}
