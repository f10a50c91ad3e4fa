-- 碳效码 scoring (DESIGN §4): L = tCO2 (net of zero-carbon power) per 10^4 CNY value added;
-- level low (L <= 0.6) / medium (<= 2.0) / high; industry average = Σ tCO2 / Σ value added of the
-- same GB/T 4754 class and period; K = L / industry average; grade 1-5 at K 0.6 / 0.8 / 1.2 / 2.0.
with base as (
    select * from {{ ref('int_ent__efficiency_base') }}
),
industry as (
    select industry_code, period,
        sum(tco2e_net order by tco2e_net) / nullif(sum(value_added_10k_cny order by value_added_10k_cny), 0) as industry_avg_l,
        count(*) as industry_n
    from base group by all
)
select
    b.uscc,
    b.period,
    b.industry_code,
    b.region_code,
    b.value_added_10k_cny,
    b.tco2e_net,
    b.tco2e_net / b.value_added_10k_cny as l_value,
    {{ carbon_level('b.tco2e_net / b.value_added_10k_cny') }} as l_level,
    i.industry_avg_l,
    i.industry_n,
    (b.tco2e_net / b.value_added_10k_cny) / nullif(i.industry_avg_l, 0) as k_value,
    {{ carbon_grade('(b.tco2e_net / b.value_added_10k_cny) / nullif(i.industry_avg_l, 0)') }} as grade
from base as b
join industry as i using (industry_code, period)
