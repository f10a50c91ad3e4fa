{#-
  lake_scan(dataset): a relation over <lake>/<dataset>/*/part-0.parquet (hive partitions, the
  partition column as text). A dataset listed in var('lake_missing') (no partition yet) reads as an
  empty relation typed from the source's column list, so a young lake builds instead of failing.
-#}
{% macro lake_scan(dataset) -%}
    {%- if dataset in var('lake_missing', []) -%}
        {%- set node = graph.sources['source.carbon.lake.' ~ dataset] if execute else none -%}
        (select
        {%- if node -%}
            {%- for name, col in node.columns.items() %}
            cast(null as {{ col.data_type }}) as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
        {%- else %} null as _empty
        {%- endif %}
        where false)
    {%- else -%}
        read_parquet('{{ var("lake_path") }}/{{ dataset }}/*/part-0.parquet',
                     hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
    {%- endif -%}
{%- endmacro %}

{#-
  Per-build parameters read at RUN time from <home>/dbt/build_params.json (written by
  carbon.pipeline.warehouse.build.build before each dbt invocation), so a new night's months or as-of date do not
  change any var and dbt's partial parsing stays valid. A var of the same name, when set (manual
  `dbt build --vars ...`), wins at compile time.
-#}
{% macro build_params_relation() -%}
    read_json('{{ var("build_params_path") }}',
              columns = {ledger_months: 'VARCHAR[]', factor_as_of: 'VARCHAR', personal_full: 'BOOLEAN',
                         personal_electricity_dates: 'VARCHAR[]', personal_activity_dates: 'VARCHAR[]'})
{%- endmacro %}

{#- The months a journal build considers, as a SQL predicate on a YYYY-MM expression. -#}
{% macro in_ledger_months(month_expr) -%}
    {%- set months = var('ledger_months', none) -%}
    {%- if months is not none and months != [] -%}
        {{ month_expr }} in ({% for m in months %}'{{ m }}'{{ "," if not loop.last }}{% endfor %})
    {%- else -%}
        ((select coalesce(len(ledger_months), 0) = 0 from {{ build_params_relation() }})
         or list_contains((select ledger_months from {{ build_params_relation() }}), {{ month_expr }}))
    {%- endif -%}
{%- endmacro %}

{#- Only factors published on or before the as-of date (var factor_as_of, else the build params). -#}
{% macro published_by_as_of(date_expr) -%}
    {%- if var('factor_as_of', none) -%}
        {{ date_expr }} <= '{{ var("factor_as_of") }}'
    {%- else -%}
        {{ date_expr }} <= coalesce((select factor_as_of from {{ build_params_relation() }}), '9999-12-31')
    {%- endif -%}
{%- endmacro %}
