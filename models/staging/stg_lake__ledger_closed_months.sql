-- depends_on: {{ source('lake', 'ledger_closed_months') }}
-- Months closed by carbon.ledgers.close_month: entries posted later are final, not provisional.
select
    cast(month as varchar) as month,
    cast(closed_at as varchar) as closed_at,
    cast(closed_by as varchar) as closed_by
from {{ lake_scan('ledger_closed_months') }}
