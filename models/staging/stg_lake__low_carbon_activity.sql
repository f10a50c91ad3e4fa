-- depends_on: {{ source('lake', 'low_carbon_activity') }}
-- Low-carbon behaviour per person and day (pseudonymous person_key; rename / cast only).
select
    cast(person_key as varchar) as person_key,
    cast(date as date) as date,
    cast(behaviour_code as varchar) as behaviour_code,
    cast(quantity as double) as quantity,
    trim(cast(unit as varchar)) as unit,
    cast(platform as varchar) as platform,
    cast(record_id as varchar) as record_id
from {{ lake_scan('low_carbon_activity') }}
