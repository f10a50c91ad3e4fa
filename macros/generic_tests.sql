{#-
  Generic data tests written here (no dbt hub packages: the build machines have no internet).
-#}

{#- Every row that `source` leaves out of the ledgers (its `missing` column says why) is listed in
    the exceptions mart `model` under its journal reference: fails with the rows that are not. -#}
{% test lists_excluded_rows(model, source, activity_ref, where='true', missing='missing') %}
select {{ activity_ref }} as activity_ref, {{ missing }} as missing
from {{ source }}
where {{ missing }} is not null and ({{ where }})
    and {{ activity_ref }} not in (select activity_ref from {{ model }})
{% endtest %}

{#- Kept for models outside the ledger path: fails with a runtime error that NAMES the missing factors / unknown units (never a silent zero):
    column_name holds a text saying what is missing, null when the row is fine. -#}
{% test no_missing_factor(model, column_name) %}
with missing as (
    select distinct {{ column_name }} as missing from {{ model }} where {{ column_name }} is not null
)
select
    missing,
    error('missing emission factor or unknown unit: ' || (select string_agg(missing, '; ' order by missing) from missing)) as fail
from missing
{% endtest %}

{#- Rows where the SQL expression is false (or null) fail. -#}
{% test expression_is_true(model, expression, where=none) %}
select * from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if where %} and ({{ where }}){% endif %}
{% endtest %}

{#- Each combination of the columns appears at most once. -#}
{% test unique_combination(model, combination) %}
select {{ combination | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}

{#- Two relations agree on a sum per key within a tolerance (both sides aggregated, full outer join). -#}
{% test sums_agree(model, key, value, other, other_value, other_key=none, other_where='true', where='true', tolerance=1e-6) %}
{%- set okey = other_key or key %}
with a as (
    select {{ key | join(', ') }}, sum({{ value }}) as v from {{ model }} where {{ where }} group by all
),
b as (
    select {% for k in key %}{{ okey[loop.index0] }} as {{ k }}, {% endfor %}sum({{ other_value }}) as v
    from {{ other }} where {{ other_where }} group by all
)
select {% for k in key %}coalesce(a.{{ k }}, b.{{ k }}) as {{ k }}, {% endfor %}a.v as model_value, b.v as other_value
from a full outer join b using ({{ key | join(', ') }})
where abs(coalesce(a.v, 0) - coalesce(b.v, 0)) > {{ tolerance }} * greatest(1, abs(coalesce(b.v, 0)))
{% endtest %}

{#- Exact uniqueness for very large tables: group 8-byte hashes first (small memory), then compare
    the real values only where two rows share a hash. Same result as `unique` (nulls ignored). -#}
{% test unique_hashed(model, column_name) %}
with hashed as (
    select hash({{ column_name }}) as h
    from {{ model }}
    where {{ column_name }} is not null
    group by 1
    having count(*) > 1
)
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null and hash({{ column_name }}) in (select h from hashed)
group by 1
having count(*) > 1
{% endtest %}

{#- unique_combination through hashes (see unique_hashed). -#}
{% test unique_combination_hashed(model, combination) %}
with hashed as (
    select hash({{ combination | join(', ') }}) as h
    from {{ model }}
    group by 1
    having count(*) > 1
)
select {{ combination | join(', ') }}, count(*) as n
from {{ model }}
where hash({{ combination | join(', ') }}) in (select h from hashed)
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
