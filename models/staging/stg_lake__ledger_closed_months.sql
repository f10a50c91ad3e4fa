-- depends_on: {{ source('lake', 'ledger_closed_months') }}
-- Months closed now (carbon.pipeline.warehouse.months): each month's partition is an append-only list of close /
-- reopen events (seq 1, 2, ...); a month is closed when its latest event is 'close'. Entries
-- posted for a closed month are final, not provisional. A first-version row (closed_at and
-- closed_by only, no event) reads as close event 1. The typed empty select makes the columns of
-- either version present (union by name).
with events as (
    select
        cast(month as varchar) as month,
        coalesce(cast(seq as bigint), 1) as seq,
        coalesce(cast(event as varchar), 'close') as event,
        coalesce(cast(event_at as varchar), cast(closed_at as varchar)) as event_at,
        coalesce(cast(event_by as varchar), cast(closed_by as varchar)) as event_by
    from (
        select * from {{ lake_scan('ledger_closed_months') }}
        union all by name
        select
            cast(null as varchar) as month, cast(null as bigint) as seq,
            cast(null as varchar) as event, cast(null as varchar) as event_at,
            cast(null as varchar) as event_by, cast(null as varchar) as reason,
            cast(null as varchar) as closed_at, cast(null as varchar) as closed_by
        where false
    )
),
latest as (
    select
        month,
        arg_max(event, seq) as last_event,
        arg_max(event_at, seq) filter (where event = 'close') as closed_at,
        arg_max(event_by, seq) filter (where event = 'close') as closed_by
    from events
    group by month
)
select month, closed_at, closed_by
from latest
where last_event = 'close'
