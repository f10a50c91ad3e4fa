-- depends_on: {{ source('lake', 'electricity_consumption') }}
-- Daily metered electricity per account, kWh (rename / cast only; date from the partition).
select
    cast(account_type as varchar) as account_type,
    cast(account_id as varchar) as account_id,
    cast(region_code as varchar) as region_code,
    cast(date as date) as date,
    strftime(cast(date as date), '%Y-%m') as month,
    cast(kwh as double) as kwh,
    cast(coalesce(green_kwh, 0) as double) as green_kwh
from {{ lake_scan('electricity_consumption') }}
