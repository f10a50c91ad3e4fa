-- depends_on: {{ source('lake', 'industrial_activity') }}
-- Monthly output per enterprise and product, with output value and value added (10^4 CNY).
select
    cast(uscc as varchar) as uscc,
    cast(month as varchar) as month,
    cast(product_code as varchar) as product_code,
    cast(quantity as double) as quantity,
    trim(cast(unit as varchar)) as unit,
    cast(output_value_10k_cny as double) as output_value_10k_cny,
    cast(value_added_10k_cny as double) as value_added_10k_cny
from {{ lake_scan('industrial_activity') }}
