{{ config(contract = {'enforced': true}) }}
-- The alerts of the monitoring loop (预警), as carbon.monitor.lifecycle keeps them: one row per
-- alert (rule × subject × episode) with its status, response and evidence. The state lives in
-- <home>/monitor/ (append-only stores outside the warehouse, so a full refresh loses nothing);
-- this mart publishes the snapshot written after every evaluation run and every action.
{%- set path = var('monitor_alerts_path') -%}
{%- set present = false -%}
{%- if execute -%}
  {%- set present = run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] > 0 -%}
{%- endif %}
with a as (
{%- if present %}
    select * from read_parquet('{{ path }}')
{%- else %}
    select * from (select
        null::varchar as alert_id, null::varchar as rule_id, null::varchar as rule_name_en,
        null::varchar as rule_name_zh, null::integer as severity, null::varchar as subject_type,
        null::varchar as subject_id, null::varchar as subject_name, null::varchar as region_code,
        null::varchar as period, null::varchar as period_end, null::varchar as episode,
        null::varchar as first_seen, null::varchar as last_seen, null::varchar as status,
        null::varchar as status_zh, null::varchar as acknowledged_by, null::varchar as acknowledged_at,
        null::varchar as resolved_by, null::varchar as resolved_at, null::varchar as response,
        null::boolean as escalated, null::varchar as escalated_at, null::varchar as evidence,
        null::varchar as records) where false
{%- endif %}
)
select
    cast(alert_id as varchar) as alert_id,
    cast(rule_id as varchar) as rule_id,
    cast(rule_name_en as varchar) as rule_name_en,
    cast(rule_name_zh as varchar) as rule_name_zh,
    cast(severity as integer) as severity,
    cast(subject_type as varchar) as subject_type,
    cast(subject_id as varchar) as subject_id,
    cast(subject_name as varchar) as subject_name,
    cast(region_code as varchar) as region_code,
    cast(period as varchar) as period,
    cast(period_end as date) as period_end,
    cast(first_seen as timestamptz) as first_seen,
    cast(last_seen as timestamptz) as last_seen,
    cast(status as varchar) as status,
    cast(status_zh as varchar) as status_zh,
    cast(acknowledged_by as varchar) as acknowledged_by,
    cast(acknowledged_at as timestamptz) as acknowledged_at,
    cast(resolved_by as varchar) as resolved_by,
    cast(resolved_at as timestamptz) as resolved_at,
    cast(response as varchar) as response,
    cast(escalated as boolean) as escalated,
    cast(escalated_at as timestamptz) as escalated_at,
    cast(evidence as json) as evidence,
    cast(records as varchar) as records
from a
