{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ personal_delete('in', 'date', 'credit_dates') }}",
) }}
{%- set w = personal_window() %}
-- 个人/家庭碳普惠减排量(日): one row per account × day × behaviour × unit with credited reductions.
-- Incremental by date: a build rewrites only the credit days of int_personal__build_window.
select
    credit_id,
    account_id,
    account_kind,
    date,
    behaviour_code,
    methodology_id,
    methodology_version,
    quantity,
    unit,
    be_tco2e,
    pe_tco2e,
    er_tco2e,
    points,
    factor_id,
    factor_version,
    credit_basis,
    activity_ref
from {{ ref('int_personal__credits') }}
where {{ personal_dates_in('date', w, 'credit_dates') }}
