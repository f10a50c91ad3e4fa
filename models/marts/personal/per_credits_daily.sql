-- 个人/家庭碳普惠减排量(日): one row per account × day × behaviour × unit with credited reductions.
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
