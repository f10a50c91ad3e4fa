-- The latest register snapshot of every enterprise, with its CEADs sector.
select
    e.uscc,
    e.name,
    e.industry_code,
    e.region_code,
    e.is_key_emitter,
    e.is_datacenter,
    e.in_ets,
    e.snapshot_month,
    coalesce(s.sector_code, 'S45') as sector_code
from {{ ref('stg_lake__enterprises') }} as e
left join {{ ref('ceads_industry_sectors') }} as s using (industry_code)
qualify row_number() over (partition by e.uscc order by e.snapshot_month desc) = 1
