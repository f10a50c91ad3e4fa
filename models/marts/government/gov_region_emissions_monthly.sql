{{ config(contract = {'enforced': true}) }}
-- Government account: region × month × CEADs sector × fuel × scope, tCO2, built two ways
-- (column method): top_down from the energy balance (yearly, allocated to months by days) and
-- bottom_up from the enterprise, data-centre, public and household accounts (county rows).
select
    cast(region_code as varchar) as region_code,
    cast(month as varchar) as month,
    cast(sector_code as varchar) as sector_code,
    cast(fuel_code as varchar) as fuel_code,
    cast(scope as varchar) as scope,
    cast(method as varchar) as method,
    cast(account_type as varchar) as account_type,
    cast(tco2e as double) as tco2e
from (
    select region_code, month, sector_code, fuel_code, scope, 'top_down' as method,
        'statistics' as account_type, sum(tco2 order by tco2) as tco2e
    from {{ ref('int_gov__topdown_monthly') }}
    where missing is null  -- rows without a factor are in recon_exceptions
    group by all
    union all
    select region_code, month, sector_code, fuel_code, scope, 'bottom_up', account_type,
        sum(tco2 order by tco2)
    from {{ ref('int_gov__bottomup_monthly') }}
    group by all
)
