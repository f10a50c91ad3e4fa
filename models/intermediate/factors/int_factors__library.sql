-- The factor library rows eligible for this build (see docs/factors.md):
--   * published on or before the build's factor_as_of date (build params or var), when set:
--     a notice not yet published is unknown;
--   * fuels: only the pinned set var fuel_factor_version (when set), e.g. IPCC-2006.
-- Fuel rows store the published parameters (NCV, carbon content, oxidation rate), never a rounded
-- factor: the factor is derived here at full precision.
select
    factor_id, factor_version, category, subject, valid_from_year, valid_to_year, region, basis,
    gwp_set, gas,
    case
        when category = 'fuel'
            then {{ fuel_factor_from_parameters('ncv', 'carbon_content_tc_per_tj', 'oxidation_rate') }}
        else value
    end as value,
    unit, ncv, ncv_unit, carbon_content_tc_per_tj, oxidation_rate, source_document, notice_number,
    published_date
from {{ ref('emission_factors') }}
where {{ published_by_as_of('published_date') }}
{%- if var('fuel_factor_version', none) %}
  and (category <> 'fuel' or factor_version = '{{ var("fuel_factor_version") }}')
{%- endif %}
