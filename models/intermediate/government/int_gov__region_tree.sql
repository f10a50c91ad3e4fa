-- Each known region with itself and its ancestors (county -> city -> province), GB/T 2260:
-- figures of a county roll up into every ancestor.
with recursive tree(region_code, ancestor_code, depth) as (
    select region_code, region_code, 0 from {{ ref('gbt2260_regions') }}
    union all
    select t.region_code, r.parent_code, t.depth + 1
    from tree as t
    join {{ ref('gbt2260_regions') }} as r on r.region_code = t.ancestor_code
    where r.parent_code is not null and r.parent_code <> ''
)
select region_code, ancestor_code, depth from tree
