{{ config(contract = {'enforced': true}) }}
{#-
  Planned data-centre electricity and emissions next to the enterprise account, per USCC × month.
  Planned side: day-ahead plans only (horizon_days = 1, one per site and date, so days are never
  counted twice), summed over the operator's sites and the plan dates of the month.
  Account side: ent_enterprise_emissions_monthly (metered kWh, Scope 2 location-based tCO2, total).
  Left join: a plan whose enterprise has no account row yet keeps null account columns.
-#}
with planned as (
    select
        uscc,
        month,
        count(distinct site_id) as sites,
        count(distinct plan_date) as plan_days,
        sum(planned_import_kwh order by planned_import_kwh) as planned_import_kwh,
        sum(tco2 order by tco2) as planned_tco2,
        sum(cost_cny order by cost_cny) as planned_cost_cny
    from {{ ref('dispatch_site_daily') }}
    where horizon_days = 1
    group by uscc, month
)

select
    p.uscc::varchar as uscc,
    p.month::varchar as month,
    p.sites::integer as sites,
    p.plan_days::integer as plan_days,
    p.planned_import_kwh::double as planned_import_kwh,
    p.planned_tco2::double as planned_tco2,
    p.planned_cost_cny::double as planned_cost_cny,
    e.kwh::double as metered_kwh,
    e.scope2_location::double as account_scope2_location_tco2,
    e.tco2e_total::double as account_tco2e_total,
    (p.planned_import_kwh / nullif(e.kwh, 0))::double as planned_to_metered_kwh
from planned as p
left join {{ ref('ent_enterprise_emissions_monthly') }} as e
    on e.uscc = p.uscc and e.month = p.month
