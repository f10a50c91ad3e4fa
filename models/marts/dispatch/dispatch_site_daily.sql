{#-
  One row per data-centre site and plan date: the planned grid energy (summed from the step rows
  of dispatch_plans) with the KPIs the optimiser reported (dispatch_kpis). Day-ahead plans have
  horizon_days = 1; a longer plan written for the same date and site replaces it in the lake.
  Before any plan exists the lake has no files: the model is then an empty, typed relation, so the
  nightly dbt build does not fail on a fresh data home.
-#}
{%- set lake = var('lake_path') -%}
{%- set have_plans = true -%}
{%- if execute -%}
  {%- set n = run_query("select count(*) from glob('" ~ lake ~ "/dispatch_kpis/*/part-0.parquet')").columns[0].values()[0] -%}
  {%- set m = run_query("select count(*) from glob('" ~ lake ~ "/dispatch_plans/*/part-0.parquet')").columns[0].values()[0] -%}
  {%- set have_plans = (n > 0 and m > 0) -%}
{%- endif -%}

{%- if have_plans %}
with steps as (
    select
        site_id,
        plan_date,
        sum(grid_import_kw * step_hours order by grid_import_kw * step_hours) as planned_import_kwh,
        sum(grid_export_kw * step_hours order by grid_export_kw * step_hours) as planned_export_kwh,
        sum(facility_kw * step_hours order by facility_kw * step_hours) as planned_facility_kwh,
        sum((pv_used_kw + wind_used_kw) * step_hours order by (pv_used_kw + wind_used_kw) * step_hours) as planned_onsite_re_kwh,
        count(*) as n_steps
    from {{ source('dispatch_lake', 'dispatch_plans') }}
    group by site_id, plan_date
),

kpis as (
    select * from {{ source('dispatch_lake', 'dispatch_kpis') }}
)

select
    k.site_id::varchar as site_id,
    k.uscc::varchar as uscc,
    k.plan_date::date as plan_date,
    strftime(k.plan_date, '%Y-%m')::varchar as month,
    k.scenario::varchar as scenario,
    k.horizon_days::integer as horizon_days,
    s.n_steps::integer as n_steps,
    k.status::varchar as status,
    s.planned_import_kwh::double as planned_import_kwh,
    s.planned_export_kwh::double as planned_export_kwh,
    s.planned_facility_kwh::double as planned_facility_kwh,
    s.planned_onsite_re_kwh::double as planned_onsite_re_kwh,
    k.cost_cny::double as cost_cny,
    k.tco2::double as tco2,
    k.green_share::double as green_share,
    k.green_share_target::double as green_share_target,
    k.cue_kg_per_kwh::double as cue_kg_per_kwh,
    k.pue_realised::double as pue_realised,
    k.pue_target::double as pue_target,
    k.pue_target_met::boolean as pue_target_met,
    k.peak_kw::double as peak_kw,
    k.curtailment_kwh::double as curtailment_kwh,
    k.battery_cycles::double as battery_cycles,
    k.jobs_on_time::integer as jobs_on_time,
    k.jobs_total::integer as jobs_total,
    k.carbon_price_cny_per_t::double as carbon_price_cny_per_t,
    k.solver::varchar as solver,
    k.planned_at::timestamptz as planned_at
from kpis as k
inner join steps as s
    on s.site_id = k.site_id and s.plan_date = k.plan_date
{%- else %}
select
    null::varchar as site_id,
    null::varchar as uscc,
    null::date as plan_date,
    null::varchar as month,
    null::varchar as scenario,
    null::integer as horizon_days,
    null::integer as n_steps,
    null::varchar as status,
    null::double as planned_import_kwh,
    null::double as planned_export_kwh,
    null::double as planned_facility_kwh,
    null::double as planned_onsite_re_kwh,
    null::double as cost_cny,
    null::double as tco2,
    null::double as green_share,
    null::double as green_share_target,
    null::double as cue_kg_per_kwh,
    null::double as pue_realised,
    null::double as pue_target,
    null::boolean as pue_target_met,
    null::double as peak_kw,
    null::double as curtailment_kwh,
    null::double as battery_cycles,
    null::integer as jobs_on_time,
    null::integer as jobs_total,
    null::double as carbon_price_cny_per_t,
    null::varchar as solver,
    null::timestamptz as planned_at
where false
{%- endif %}
