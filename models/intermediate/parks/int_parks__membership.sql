-- Every membership spell of the park register with its status (issue 14 §1, docs/parks.md):
--   accepted | not_in_register (USCC not in the enterprise register) | unknown_park |
--   boundary_overlap (the enterprise is already inside another park's — or this park's — boundary
--   on a day of this spell: the spell that starts later, then the larger park id, is rejected).
-- Only accepted spells are the boundary; rejected ones stay listed here with their reason.
with spells as (
    select m.*, coalesce(m.valid_to, date '9999-12-31') as valid_until
    from {{ ref('stg_lake__park_members') }} as m
),
ranked as (
    select
        s.*,
        exists (
            select 1 from spells as o
            where o.uscc = s.uscc
              and (o.park_id, o.valid_from) <> (s.park_id, s.valid_from)
              and o.valid_from <= s.valid_until and s.valid_from <= o.valid_until
              and (o.valid_from < s.valid_from or (o.valid_from = s.valid_from and o.park_id < s.park_id))
        ) as overlaps_earlier
    from spells as s
)
select
    r.park_id,
    r.uscc,
    r.valid_from,
    r.valid_to,
    r.valid_until,
    case
        when r.park_id not in (select park_id from {{ ref('parks') }}) then 'unknown_park'
        when r.uscc not in (select uscc from {{ ref('int_enterprises__current') }}) then 'not_in_register'
        when r.overlaps_earlier then 'boundary_overlap'
        else 'accepted'
    end as status
from ranked as r
