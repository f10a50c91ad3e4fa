-- depends_on: {{ source('lake', 'material_purchases') }}
-- Material purchases per enterprise × month × material (原材料采购, issue 14 §2): quantity in the
-- material's unit (t, converted at ingest), and the transport to the gate where reported.
select
    cast(uscc as varchar) as uscc,
    cast(month as varchar) as month,
    cast(material_code as varchar) as material_code,
    cast(quantity as double) as quantity,
    trim(cast(unit as varchar)) as unit,
    nullif(trim(cast(transport_mode as varchar)), '') as transport_mode,
    cast(transport_km as double) as transport_km
from {{ lake_scan('material_purchases') }}
