-- Every (region, year) some activity needs a factor for, with its fallback chain:
-- province (first two digits + 0000), grid region (grid_regions seed), national CN.
-- The personal account uses the same rows: household electricity credits the household meter's
-- region (already among the electricity rows), travel and EV-charging credits the scheme's city
-- (var personal_city_code: low_carbon_activity carries no region).
with needs as (
    select distinct region_code, cast(substr(month, 1, 4) as integer) as year
    from {{ ref('stg_lake__electricity_consumption') }}
    union
    select distinct e.region_code, cast(substr(f.month, 1, 4) as integer)
    from {{ ref('stg_lake__fuel_consumption') }} as f
    join {{ ref('int_enterprises__current') }} as e using (uscc)
    union
    select distinct e.region_code, cast(substr(h.month, 1, 4) as integer)
    from {{ ref('stg_lake__heat_consumption') }} as h
    join {{ ref('int_enterprises__current') }} as e using (uscc)
    union
    select distinct e.region_code, cast(substr(a.month, 1, 4) as integer)
    from {{ ref('stg_lake__industrial_activity') }} as a
    join {{ ref('int_enterprises__current') }} as e using (uscc)
    union
    select distinct region_code, year from {{ ref('stg_lake__sector_energy_balance') }}
    union
    select 'CN', cast(substr(month, 1, 4) as integer) from {{ ref('stg_lake__fuel_consumption') }}
    union
    select distinct '{{ var("personal_city_code", "320900") }}', year(date)
    from {{ ref('stg_lake__low_carbon_activity') }}
)
select
    n.region_code,
    n.year,
    substr(n.region_code, 1, 2) || '0000' as province_code,
    g.grid_region
from needs as n
left join {{ ref('grid_regions') }} as g
    on g.province_code = substr(n.region_code, 1, 2) || '0000'
where n.region_code is not null and n.year is not null
