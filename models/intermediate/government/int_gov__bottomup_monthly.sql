-- Bottom-up inventory per county × month × CEADs sector × fuel × scope from the accounts:
-- enterprises and data centres (their sector from GB/T 4754 -> CEADs), public institutions
-- (sector S45 Others), households (S46 Urban: the meter data does not say urban or rural).
-- Electricity uses the configured Scope 2 basis (as the journal does); market basis nets green
-- power once, on the enterprise side only (public and household accounts buy none).
{%- set basis = var('scope2_basis', 'location') %}
-- Rows with `missing` (unknown enterprise, missing factor, unknown unit) are left out here, as in
-- the journal, and listed in recon_exceptions.
with ent as (
    select * from {{ ref('int_enterprises__current') }}
)
select f.region_code, f.month, ent.sector_code, f.fuel_code, 'scope1_combustion' as scope,
    case when ent.is_datacenter then 'datacenter' else 'enterprise' end as account_type, f.tco2
from {{ ref('int_ent__fuel_emissions') }} as f join ent using (uscc) where f.missing is null
union all
select p.region_code, p.month, ent.sector_code, 'process', 'scope1_process',
    case when ent.is_datacenter then 'datacenter' else 'enterprise' end, p.tco2
from {{ ref('int_ent__process_emissions') }} as p join ent using (uscc) where p.missing is null
union all
-- heat: two rows per enterprise × month, fuel_code heat_purchased (外购热力, >= 0) and heat_exported
-- (输出热力, <= 0: the deduction), so their sum is the net purchased heat (净购入热力) of the journal
select h.region_code, h.month, ent.sector_code, 'heat_purchased', 'scope2_heat',
    case when ent.is_datacenter then 'datacenter' else 'enterprise' end, h.tco2_purchased
from {{ ref('int_ent__heat_emissions') }} as h join ent using (uscc) where h.missing is null
union all
select h.region_code, h.month, ent.sector_code, 'heat_exported', 'scope2_heat',
    case when ent.is_datacenter then 'datacenter' else 'enterprise' end, -h.tco2_exported
from {{ ref('int_ent__heat_emissions') }} as h join ent using (uscc) where h.missing is null
union all
select e.region_code, e.month,
    case when e.account_type = 'household' then 'S46'
         when e.account_type = 'public' then 'S45'
         else coalesce(ent.sector_code, 'S45') end,
    'electricity', 'scope2_electricity', e.account_type,
    {% if basis == 'location' %}e.tco2_location{% else %}e.tco2_market_gross
        + case when e.account_type in ('enterprise', 'datacenter') then e.tco2_market_green else 0 end{% endif %}
from {{ ref('int_elec__account_monthly') }} as e
left join ent on ent.uscc = e.account_id and e.account_type in ('enterprise', 'datacenter')
where e.missing is null
