{{ config(contract = {'enforced': true}) }}
-- Product carbon footprints (产品碳足迹, GB/T 24067 / ISO 14067, cradle to gate), issue 14 §2,
-- docs/pcf.md. Per enterprise × product × period: a month ('YYYY-MM') and its year ('YYYY').
--   own direct          = Scope 1 (combustion + process) of ent_enterprise_emissions_monthly
--   own electricity/heat = Scope 2 electricity (the ledger's basis) + net purchased heat
--   upstream            = Σ purchases × cradle-to-gate factor (covered materials only)
--   transport           = Σ t × km × factor (where reported and the mode has a factor)
-- each times the product's allocation share of its enterprise-month (int_pcf__product_shares).
-- Nothing is recomputed: the own emissions are the enterprise ledger's. A material without a
-- factor is never taken as zero: coverage_share (by mass, t) drops and missing_inputs names it;
-- kgco2e_per_unit is then the footprint of the covered inputs only (is_complete = false).
-- A year row: Σ allocated kgCO2e of its months / Σ quantity of its months.
with shares as (select * from {{ ref('int_pcf__product_shares') }}),
ent as (
    select uscc, month, scope1_combustion + scope1_process as own_direct_t,
        tco2e_total - scope1_combustion - scope1_process as own_energy_t, scope2_basis,
        is_provisional
    from {{ ref('ent_enterprise_emissions_monthly') }}
),
lines as (select * from {{ ref('int_pcf__input_lines') }}),
inp as (
    select
        uscc, month,
        sum(quantity order by quantity) as input_t,
        coalesce(sum(quantity order by quantity) filter (where covered), 0) as covered_input_t,
        sum(upstream_kgco2e order by upstream_kgco2e) as upstream_kg,
        sum(transport_kgco2e order by transport_kgco2e) as transport_kg
    from lines group by all
),
ledger_versions as (
    select account_id as uscc, substr(period, 1, 7) as month,
        string_agg(distinct factor_id || '@' || factor_version, ', '
            order by factor_id || '@' || factor_version) as ledger_factor_versions
    from {{ ref('ledger_entries') }}
    where ledger = 'enterprise' and factor_version is not null
    group by all
),
monthly as (
    select
        s.uscc, s.month, substr(s.month, 1, 4) as year, s.product_code, s.unit, s.quantity,
        s.allocation_method, s.allocation_note, s.allocation_share,
        coalesce(e.own_direct_t, 0) * 1000 * s.allocation_share as own_direct_kg,
        coalesce(e.own_energy_t, 0) * 1000 * s.allocation_share as own_energy_kg,
        i.upstream_kg * s.allocation_share as upstream_kg,
        i.transport_kg * s.allocation_share as transport_kg,
        i.input_t, i.covered_input_t,
        coalesce(e.scope2_basis, '{{ var("scope2_basis", "location") }}') as scope2_basis,
        coalesce(e.is_provisional, true) as is_provisional
    from shares as s
    left join ent as e using (uscc, month)
    left join inp as i using (uscc, month)
),
line_lists as (
    -- per enterprise-month and per enterprise-year: factor versions used, missing inputs
    select uscc, month as period,
        string_agg(distinct material_factor_ref, ', ' order by material_factor_ref) filter (where covered)
            as material_refs,
        string_agg(distinct transport_factor_ref, ', ' order by transport_factor_ref)
            filter (where transport_kgco2e is not null) as transport_refs,
        string_agg(distinct material_code, ', ' order by material_code) filter (where not covered)
            as missing_materials,
        string_agg(distinct transport_mode || ' (' || material_code || ')', ', '
            order by transport_mode || ' (' || material_code || ')') filter (where transport_missing)
            as missing_transport
    from lines group by all
    union all
    select uscc, substr(month, 1, 4) as period,
        string_agg(distinct material_factor_ref, ', ' order by material_factor_ref) filter (where covered),
        string_agg(distinct transport_factor_ref, ', ' order by transport_factor_ref)
            filter (where transport_kgco2e is not null),
        string_agg(distinct material_code, ', ' order by material_code) filter (where not covered),
        string_agg(distinct transport_mode || ' (' || material_code || ')', ', '
            order by transport_mode || ' (' || material_code || ')') filter (where transport_missing)
    from lines group by all
),
ledger_lists as (
    select uscc, month as period, ledger_factor_versions from ledger_versions
    union all
    select uscc, substr(month, 1, 4),
        string_agg(distinct v.item, ', ' order by v.item)
    from ledger_versions, unnest(string_split(ledger_factor_versions, ', ')) as v(item)
    group by all
),
periods as (
    select uscc, month as period, 'month' as period_type, product_code, unit, quantity,
        allocation_method, allocation_note, allocation_share,
        own_direct_kg, own_energy_kg, upstream_kg, transport_kg, input_t, covered_input_t,
        scope2_basis, is_provisional, 1 as months,
        case when input_t is null then 1 else 0 end as months_without_inputs
    from monthly
    union all
    select uscc, year, 'year', product_code, min(unit), sum(quantity order by quantity),
        string_agg(distinct allocation_method, ' / ' order by allocation_method),
        string_agg(distinct allocation_note, '; ' order by allocation_note),
        null,
        sum(own_direct_kg order by own_direct_kg), sum(own_energy_kg order by own_energy_kg), sum(upstream_kg order by upstream_kg), sum(transport_kg order by transport_kg),
        sum(input_t order by input_t), sum(covered_input_t order by covered_input_t),
        string_agg(distinct scope2_basis, ' / '), bool_or(is_provisional), count(*),
        count(*) filter (where input_t is null)
    from monthly group by uscc, year, product_code
)
select
    cast(p.uscc as varchar) as uscc,
    cast(p.product_code as varchar) as product_code,
    cast(p.period as varchar) as period,
    cast(p.period_type as varchar) as period_type,
    cast(p.unit as varchar) as product_unit,
    cast(p.quantity as double) as output_quantity,
    cast(p.allocation_method as varchar) as allocation_method,
    cast(p.allocation_note as varchar) as allocation_note,
    cast(p.allocation_share as double) as allocation_share,
    cast(p.own_direct_kg as double) as own_direct_kgco2e,
    cast(p.own_energy_kg as double) as own_energy_kgco2e,
    cast(p.upstream_kg as double) as upstream_kgco2e,
    cast(p.transport_kg as double) as transport_kgco2e,
    cast(p.own_direct_kg / p.quantity as double) as own_direct_kgco2e_per_unit,
    cast(p.own_energy_kg / p.quantity as double) as own_energy_kgco2e_per_unit,
    cast(p.upstream_kg / p.quantity as double) as upstream_kgco2e_per_unit,
    cast(p.transport_kg / p.quantity as double) as transport_kgco2e_per_unit,
    cast((p.own_direct_kg + p.own_energy_kg + coalesce(p.upstream_kg, 0)
        + coalesce(p.transport_kg, 0)) / p.quantity as double) as kgco2e_per_unit,
    cast(p.scope2_basis as varchar) as scope2_basis,
    cast(p.input_t as double) as input_t,
    cast(p.covered_input_t as double) as covered_input_t,
    cast(p.covered_input_t / nullif(p.input_t, 0) as double) as coverage_share,
    cast(case
        when p.input_t is null then 'no material purchases reported'
        else nullif(concat_ws('; ',
            case when l.missing_materials is not null then 'no factor: ' || l.missing_materials end,
            case when l.missing_transport is not null
                then 'transport without factor: ' || l.missing_transport end,
            case when p.months_without_inputs > 0
                then 'no material purchases reported for ' || p.months_without_inputs || ' of '
                    || p.months || ' months' end), '')
        end as varchar) as missing_inputs,
    cast(p.input_t is not null and p.covered_input_t = p.input_t and l.missing_transport is null
        and p.months_without_inputs = 0 as boolean) as is_complete,
    cast(concat_ws(', ', l.material_refs, l.transport_refs) as varchar) as pcf_factor_versions,
    cast(g.ledger_factor_versions as varchar) as ledger_factor_versions,
    cast(p.months as integer) as months,
    cast(p.is_provisional as boolean) as is_provisional
from periods as p
left join line_lists as l using (uscc, period)
left join ledger_lists as g using (uscc, period)
where p.own_direct_kg is not null  -- a product with no allocation share (no output value) is not given a footprint
