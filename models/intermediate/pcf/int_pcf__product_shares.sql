-- How one enterprise-month's own emissions, purchases and transport are shared among its products
-- (GB/T 24067 / ISO 14067 allocation, issue 14 §2). var pcf_allocation:
--   physical (default): by quantity, when all the enterprise-month's products are in one unit;
--     otherwise (e.g. MWh and GJ of a CHP plant) economic, and allocation_note says why;
--   economic: by output value (10^4 CNY).
-- Only enterprises in the register (the others are in recon_exceptions, as in the ledger).
{%- set method = var('pcf_allocation', 'physical') %}
{%- if method not in ('physical', 'economic') %}
    {{ exceptions.raise_compiler_error("pcf_allocation must be physical or economic, not " ~ method) }}
{%- endif %}
with act as (
    select uscc, month, product_code, min(unit) as unit, sum(quantity order by quantity) as quantity,
        sum(output_value_10k_cny order by output_value_10k_cny) as output_value_10k_cny
    from {{ ref('stg_lake__industrial_activity') }}
    where uscc in (select uscc from {{ ref('int_enterprises__current') }}) and quantity > 0
    group by all
),
tot as (
    select uscc, month, count(distinct unit) as n_units, sum(quantity order by quantity) as quantity_total,
        sum(output_value_10k_cny order by output_value_10k_cny) as value_total
    from act group by all
),
chosen as (
    select
        a.*,
        t.n_units,
        t.quantity_total,
        t.value_total,
        case when '{{ method }}' = 'physical' and t.n_units = 1 then 'physical' else 'economic' end
            as allocation_method
    from act as a join tot as t using (uscc, month)
)
select
    uscc,
    month,
    product_code,
    unit,
    quantity,
    output_value_10k_cny,
    allocation_method,
    case
        when '{{ method }}' = 'physical' and n_units > 1
            then 'physical allocation not possible (products in ' || n_units
                || ' units): economic allocation by output value used'
        when allocation_method = 'economic' and coalesce(value_total, 0) = 0
            then 'no output value reported: not allocated'
    end as allocation_note,
    case allocation_method
        when 'physical' then quantity / quantity_total
        else output_value_10k_cny / nullif(value_total, 0)
    end as allocation_share
from chosen
