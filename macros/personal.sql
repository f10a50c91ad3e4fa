{#-
  The personal account's build window (docs/personal.md "Incremental build").

  int_personal__build_window appends one row per build: which dates this build recomputes. The
  personal models read it at RUN time through personal_window() (run_query), so the dates reach
  their SQL as literals: DuckDB prunes the lake's date partitions and the tables' zonemaps, and no
  dbt var changes from night to night (partial parsing holds).

  personal_window() -> {
      full: true when everything is recomputed (first build, --full-refresh, a changed household
            snapshot, factor library, methodology, personal var or model; or no runner state),
      from_date: 'YYYY-MM-DD' first date whose points events are recomputed (s),
      as_of: 'YYYY-MM-DD' as-of date of this build,
      prev_as_of: as-of date of the previous build (or none),
      activity_dates / household_dates / credit_dates / electricity_read_dates: ['YYYY-MM-DD', ...]
  }
  During parsing (execute = false) and in dbt unit tests it returns a full window; the ref() call
  registers the dependency on the window model for every model that calls it.
-#}
{% macro personal_window() -%}
    {%- set in_unit_test = model is mapping and model.get('resource_type') == 'unit_test' -%}
    {%- set rel = none if in_unit_test else ref('int_personal__build_window') -%}
    {%- if in_unit_test and var('personal_unit_test_from_date', none) -%}
        {#- a unit test of the incremental arithmetic: window from that date -#}
        {{ return({'full': false, 'from_date': var('personal_unit_test_from_date'),
                   'as_of': var('personal_as_of_date', '9999-12-31'), 'prev_as_of': none,
                   'activity_dates': [], 'household_dates': [], 'credit_dates': [],
                   'electricity_read_dates': []}) }}
    {%- endif -%}
    {%- if not execute or in_unit_test -%}
        {{ return({'full': true, 'from_date': '0001-01-01', 'as_of': var('personal_as_of_date', '9999-12-31'), 'prev_as_of': none,
                   'activity_dates': [], 'household_dates': [], 'credit_dates': [],
                   'electricity_read_dates': []}) }}
    {%- endif -%}
    {%- set sql -%}
        select
            full_rebuild,
            strftime(from_date, '%Y-%m-%d'),
            strftime(as_of_date, '%Y-%m-%d'),
            strftime(prev_as_of_date, '%Y-%m-%d'),
            array_to_string(list_transform(list_sort(activity_dates), lambda x: strftime(x, '%Y-%m-%d')), ','),
            array_to_string(list_transform(list_sort(household_dates), lambda x: strftime(x, '%Y-%m-%d')), ','),
            array_to_string(list_transform(list_sort(credit_dates), lambda x: strftime(x, '%Y-%m-%d')), ','),
            array_to_string(list_transform(list_sort(electricity_read_dates), lambda x: strftime(x, '%Y-%m-%d')), ',')
        from {{ rel }}
        order by build_seq desc
        limit 1
    {%- endset -%}
    {%- set row = run_query(sql).rows[0] -%}
    {{ return({
        'full': row[0],
        'from_date': row[1],
        'as_of': row[2] or '0001-01-01',
        'prev_as_of': row[3],
        'activity_dates': row[4].split(',') if row[4] else [],
        'household_dates': row[5].split(',') if row[5] else [],
        'credit_dates': row[6].split(',') if row[6] else [],
        'electricity_read_dates': row[7].split(',') if row[7] else [],
    }) }}
{%- endmacro %}

{#- SQL predicate: expr (a DATE) is one of the window's dates of `kind` (true for a full build). -#}
{% macro personal_dates_in(expr, window, kind) -%}
    {%- if window.full -%}
        true
    {%- elif window[kind] | length == 0 -%}
        false
    {%- else -%}
        {{ expr }} in ({% for d in window[kind] %}date '{{ d }}'{{ ", " if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- SQL predicate: expr (a DATE) is on or after the window's first recomputed date. -#}
{% macro personal_since(expr, window) -%}
    {%- if window.full -%} true {%- else -%} {{ expr }} >= date '{{ window.from_date }}' {%- endif -%}
{%- endmacro %}

{#- Pre-hook of an incremental personal model: drop the rows this build recomputes. -#}
{% macro personal_delete(predicate_macro, expr, kind=none) -%}
    {%- if is_incremental() -%}
        {%- set w = personal_window() -%}
        {%- if predicate_macro == 'since' -%}
            delete from {{ this }} where {{ personal_since(expr, w) }}
        {%- else -%}
            delete from {{ this }} where {{ personal_dates_in(expr, w, kind) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- SQL predicate on a journal period (varchar 'YYYY-MM'): a month the personal journal
    candidates cover this build (docs/ledgers.md "Journal grain"): ended (before the as-of date's
    month) and, unless the build is full, from the month of s-1 on. s-1, not s: when s is the 1st
    (the previous as-of was a month's last day), the month that just ended is posted now. -#}
{% macro personal_journal_months(period_expr, window) -%}
    ({{ period_expr }} < '{{ window.as_of[:7] }}'
    {%- if not window.full %}
    and {{ period_expr }} >= strftime(date '{{ window.from_date }}' - interval 1 day, '%Y-%m')
    {%- endif %})
{%- endmacro %}
