{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ personal_delete('in', 'date', 'activity_dates') }}",
) }}
{%- set w = personal_window() %}
-- Low-carbon travel and EV-charging credits per person × day × behaviour × unit.
-- ER = (BE - PE) × quantity (DB11/T 3043-2024; T/CSAE 235-2021 for EV charging, where
-- PE per kWh = the grid factor of the year in tCO2/MWh = kgCO2/kWh).
-- Factors are kg per unit; results in tCO2e rounded to 1 g (6 decimals).
-- factor_id/factor_version: the methodology's factor row (fixed PE) or the grid factor (EV).
-- The grid factor is the one every ledger uses: int_factors__selected (grid_electricity,
-- location basis) for the scheme's city (var personal_city_code) and the year, with the same
-- as-of date, region fallback and year rule as the enterprise and government ledgers. A year
-- with no such factor (before the first notice) keeps the row with factor_version and ER null:
-- it earns nothing (int_personal__credits) and is listed in recon_exceptions, as the other
-- ledgers do with a missing factor.
-- Incremental by date (the activity days of int_personal__build_window).
with credited as (
    select * from {{ ref('int_personal__activity_assessed') }}
    where credit_status = 'credited' and {{ personal_dates_in('date', w, 'activity_dates') }}
),

grid as (
    select year, factor_id, factor_version, value as tco2_per_mwh
    from {{ ref('int_factors__selected') }}
    where factor_id = 'grid_electricity' and basis = 'location'
      and region_code = '{{ var("personal_city_code", "320900") }}'
),

daily as (
    select
        person_key,
        date,
        behaviour_code,
        unit,
        methodology_id,
        methodology_version,
        methodology_factor_id,
        pe_basis,
        min(be_kgco2e_per_unit) as be_kgco2e_per_unit,
        min(pe_kgco2e_per_unit) as pe_kgco2e_per_unit,
        sum(quantity order by quantity) as quantity,
        count(*) as n_records
    from credited
    group by all
),

factored as (
    select
        d.*,
        case when d.pe_basis = 'grid_factor' then g.tco2_per_mwh else d.pe_kgco2e_per_unit end
            as pe_kg_per_unit,
        case when d.pe_basis = 'grid_factor' then 'grid_electricity' else d.methodology_factor_id end
            as factor_id,
        case when d.pe_basis = 'grid_factor' then g.factor_version else d.methodology_version end
            as factor_version
    from daily as d
    left join grid as g
        on d.pe_basis = 'grid_factor' and g.year = year(d.date)
)

select
    person_key as account_id,
    'person' as account_kind,
    date,
    behaviour_code,
    methodology_id,
    methodology_version,
    quantity,
    unit,
    -- full precision: no rounding before the comparison with zero (no source asks for one)
    be_kgco2e_per_unit * quantity / 1000 as be_tco2e,
    pe_kg_per_unit * quantity / 1000 as pe_tco2e,
    -- greatest() skips nulls: keep a missing factor null so the not_null tests catch it
    case when be_kgco2e_per_unit is not null and pe_kg_per_unit is not null then greatest(
        be_kgco2e_per_unit * quantity / 1000 - pe_kg_per_unit * quantity / 1000, 0
    ) end as er_tco2e,
    factor_id,
    factor_version,
    'methodology' as credit_basis,
    'low_carbon_activity/date=' || strftime(date, '%Y-%m-%d') || '/person_key=' || person_key
    || '/behaviour_code=' || behaviour_code || '/unit=' || unit as activity_ref,
    n_records
from factored
