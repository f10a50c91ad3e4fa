-- Household electricity credits (Shenzhen 碳普惠 residential rule), household × day.
--   baseline_kwh  = members × city per-capita daily residential kWh (methodology row)
--   actual < baseline_kwh                      -> credited (baseline_kwh - actual) × grid factor
--   actual >= baseline_kwh and < trailing avg  -> credited (trailing_avg - actual) × grid factor
--   otherwise nothing.
-- trailing avg = mean daily kWh of the same household over days d-7 … d-1, used only when at least
-- var personal_trailing_min_days (default 7: a full week) of those days have readings.
-- members: the households snapshot of the consumption month, else the latest earlier snapshot, else
-- the earliest later one. Households without any snapshot are not credited.
-- Metered kWh is used as is (green_kwh is not netted: green-power deductions belong to the
-- enterprise/government ledgers and are counted once there).
with electricity as (
    select account_id as household_key, date, kwh
    from {{ ref('stg_lake__electricity_consumption') }}
    where account_type = 'household'
),

households as (
    select household_key, members, snapshot_month
    from {{ ref('stg_lake__households') }}
),

methodology as (
    select * from {{ ref('int_personal__methodologies') }}
    where behaviour_code = 'household_electricity' and unit = 'kWh' and account_kind = 'household'
),

grid as (
    select * from {{ ref('int_personal__grid_factor') }}
),

with_trailing as (
    select
        *,
        avg(kwh) over w as trailing_avg_kwh,
        count(kwh) over w as trailing_days
    from electricity
    window w as (
        partition by household_key order by date
        range between interval 7 days preceding and interval 1 day preceding
    )
),

-- members and methodology are resolved once per household × month and per year (small tables),
-- not with a window over every household-day.
household_months as (
    select distinct household_key, strftime(date, '%Y-%m') as month
    from electricity
),

members_by_month as (
    select hm.household_key, hm.month, h.members, h.snapshot_month
    from household_months as hm
    inner join households as h using (household_key)
    qualify row_number() over (
        partition by hm.household_key, hm.month
        order by
            (h.snapshot_month <= hm.month) desc,
            case when h.snapshot_month <= hm.month then h.snapshot_month end desc,
            h.snapshot_month asc
    ) = 1
),

methodology_by_year as (
    select y.year, m.*
    from (select distinct year(date) as year from electricity) as y
    inner join methodology as m
        on y.year between m.valid_from_year and m.valid_to_year
    qualify row_number() over (partition by y.year order by m.methodology_version desc) = 1
),

with_methodology as (
    select
        t.*,
        mm.members,
        mm.snapshot_month,
        m.methodology_id,
        m.methodology_version,
        m.baseline_kwh_per_person_day,
        mm.members * m.baseline_kwh_per_person_day as baseline_kwh
    from with_trailing as t
    inner join members_by_month as mm
        on mm.household_key = t.household_key and mm.month = strftime(t.date, '%Y-%m')
    inner join methodology_by_year as m
        on m.year = year(t.date)
),

decided as (
    select
        w.*,
        g.factor_id,
        g.factor_version,
        g.tco2_per_mwh,
        case
            when w.kwh < w.baseline_kwh then 'city_baseline'
            when w.trailing_days >= {{ var('personal_trailing_min_days', 7) }}
                 and w.kwh < w.trailing_avg_kwh then 'own_trailing_7d'
        end as credit_basis
    from with_methodology as w
    left join grid as g
        on year(w.date) between g.from_year and g.to_year
)

select
    household_key as account_id,
    'household' as account_kind,
    date,
    'household_electricity' as behaviour_code,
    methodology_id,
    methodology_version,
    kwh as quantity,
    'kWh' as unit,
    round(
        case credit_basis when 'city_baseline' then baseline_kwh else trailing_avg_kwh end
        * tco2_per_mwh / 1000,
        6
    ) as be_tco2e,
    round(kwh * tco2_per_mwh / 1000, 6) as pe_tco2e,
    round(
        round(
            case credit_basis when 'city_baseline' then baseline_kwh else trailing_avg_kwh end
            * tco2_per_mwh / 1000,
            6
        )
        - round(kwh * tco2_per_mwh / 1000, 6),
        6
    ) as er_tco2e,
    factor_id,
    factor_version,
    credit_basis,
    'electricity_consumption/date=' || strftime(date, '%Y-%m-%d')
    || '/account_type=household/account_id=' || household_key as activity_ref,
    members,
    baseline_kwh,
    trailing_avg_kwh,
    trailing_days
from decided
where credit_basis is not null
