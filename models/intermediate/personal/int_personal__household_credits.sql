{{ config(
    materialized = 'incremental',
    incremental_strategy = 'append',
    on_schema_change = 'fail',
    pre_hook = "{{ personal_delete('in', 'date', 'household_dates') }}",
) }}
{%- set w = personal_window() %}
-- Household electricity credits (Shenzhen 碳普惠 residential rule), household × day.
--   baseline_kwh  = members × city per-capita daily residential kWh (methodology row)
--   actual < baseline_kwh                      -> credited (baseline_kwh - actual) × grid factor
--   actual >= baseline_kwh and < trailing avg  -> credited (trailing_avg - actual) × grid factor
--   otherwise nothing.
-- trailing avg = mean daily kWh of the same household over days d-7 … d-1, used only when at least
-- var personal_trailing_min_days (default 7: a full week) of those days have readings.
-- members: the households snapshot of the consumption month, else the latest earlier snapshot. A
-- household is credited from the month of its first snapshot on (it joins the scheme then), so a
-- new or changed snapshot month moves only the days from that month to the next snapshot month
-- (carbon.pipeline.warehouse.build.snapshot_electricity_dates), never earlier ones.
-- trailing_avg_kwh / trailing_days are computed only for days at or above the baseline (the only
-- ones that need them): null / 0 on city_baseline rows.
-- Grid factor: the one every ledger uses, int_factors__selected (grid_electricity, location basis)
-- for the meter's region and the year: the same as-of date, region fallback (province, grid
-- region, national) and year rule as the government entry for the same kWh. A credited day with no
-- such factor (a year before the first notice) keeps its row with factor_version and the tCO2e
-- null: it earns nothing (int_personal__credits) and is listed in recon_exceptions.
-- Metered kWh is used as is (green_kwh is not netted: green-power deductions belong to the
-- enterprise/government ledgers and are counted once there).
-- Incremental by date: a build recomputes the days d … d+7 of every changed meter day d
-- (household_dates of int_personal__build_window), reading the meter days d-7 … d+7 only.
{%- set months = [] %}
{%- for d in w.household_dates %}{% if d[:7] not in months %}{% do months.append(d[:7]) %}{% endif %}{% endfor %}
with electricity as (
    select account_id as household_key, date, region_code, kwh
    from {{ ref('stg_lake__electricity_consumption') }}
    where account_type = 'household'
      and {{ personal_dates_in('date', w, 'electricity_read_dates') }}
),

-- the household-days decided by this build
targets as (
    select household_key, date, strftime(date, '%Y-%m') as month, region_code, kwh
    from electricity
    where {{ personal_dates_in('date', w, 'household_dates') }}
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
    select region_code, year, factor_id, factor_version, value as tco2_per_mwh
    from {{ ref('int_factors__selected') }}
    where factor_id = 'grid_electricity' and basis = 'location'
),

-- members per household × month: one hash aggregate, no sort: the latest snapshot of the month
-- or earlier.
target_months as (
    {%- if w.full %}
    select distinct month from targets
    {%- else %}
    select unnest([{% for m in months %}'{{ m }}'{{ ", " if not loop.last }}{% endfor %}]::varchar[]) as month
    {%- endif %}
),

members_by_month as (
    select
        h.household_key,
        m.month,
        arg_max(h.members, h.snapshot_month) as members,
        max(h.snapshot_month) as snapshot_month
    from households as h
    inner join target_months as m
        on h.snapshot_month <= m.month
    group by h.household_key, m.month
),

methodology_by_year as (
    select y.year, m.*
    from (select distinct cast(substr(month, 1, 4) as integer) as year from target_months) as y
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
        -- exact decimals: 3 members x 2.7 kWh is 8.1 kWh, not 8.100000000000001
        cast(t.kwh as {{ kwh_decimal() }}) as kwh_exact,
        cast(mm.members as {{ kwh_decimal() }})
            * cast(m.baseline_kwh_per_person_day as {{ kwh_decimal() }}) as baseline_kwh_exact
    from targets as t
    inner join members_by_month as mm
        on mm.household_key = t.household_key and mm.month = t.month
    inner join methodology_by_year as m
        on m.year = year(t.date)
),

-- the trailing 7-day mean is needed only where actual >= baseline: mean of days d-7 … d-1
-- (exact decimal sum, so the figure does not depend on the order rows are summed in, nor on which
-- of the two equivalent plans computed it: a window over every meter day for a full build, a join
-- of the few days read for an incremental one)
trailing_mean as (
    {%- if w.full %}
    select household_key, date, trailing_sum_kwh, trailing_days
    from (
        select
            household_key,
            date,
            sum(cast(kwh as {{ kwh_decimal() }})) over tw as trailing_sum_kwh,
            count(kwh) over tw as trailing_days
        from electricity
        window tw as (
            partition by household_key order by date
            range between interval 7 days preceding and interval 1 day preceding
        )
    )
    where trailing_days > 0
    {%- else %}
    select
        w.household_key,
        w.date,
        sum(cast(e.kwh as {{ kwh_decimal() }}) order by cast(e.kwh as {{ kwh_decimal() }})) as trailing_sum_kwh,
        count(e.kwh) as trailing_days
    from with_methodology as w
    inner join electricity as e
        on e.household_key = w.household_key
       and e.date between w.date - 7 and w.date - 1
    where w.kwh_exact >= w.baseline_kwh_exact
    group by w.household_key, w.date
    {%- endif %}
),

decided as (
    select
        w.*,
        case when w.kwh_exact >= w.baseline_kwh_exact then tr.trailing_sum_kwh end
            as trailing_sum_kwh,
        case when w.kwh_exact >= w.baseline_kwh_exact then coalesce(tr.trailing_days, 0) else 0 end
            as trailing_days,
        'grid_electricity' as factor_id,
        g.factor_version,
        g.tco2_per_mwh,
        case
            when w.kwh_exact < w.baseline_kwh_exact then 'city_baseline'
            -- actual < sum / n  <=>  actual x n < sum: exact, no division
            when tr.trailing_days >= {{ var('personal_trailing_min_days', 7) }}
                 and w.kwh_exact * tr.trailing_days < tr.trailing_sum_kwh then 'own_trailing_7d'
        end as credit_basis
    from with_methodology as w
    left join trailing_mean as tr using (household_key, date)
    left join grid as g
        on g.region_code = w.region_code and g.year = year(w.date)
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
    -- full precision, no rounding before any comparison: the reference kWh and the credited kWh
    -- are exact decimals (the trailing mean as sum / n), times the grid factor (tCO2/MWh)
    ref_kwh * tco2_per_mwh / 1000 as be_tco2e,
    kwh * tco2_per_mwh / 1000 as pe_tco2e,
    saved_kwh * tco2_per_mwh / 1000 as er_tco2e,
    factor_id,
    factor_version,
    credit_basis,
    'electricity_consumption/date=' || strftime(date, '%Y-%m-%d')
    || '/account_type=household/account_id=' || household_key as activity_ref,
    members,
    baseline_kwh,
    trailing_avg_kwh,
    trailing_days
from (
    select
        *,
        -- kWh saved against the reference, exact until the one division by n
        case credit_basis
            when 'city_baseline' then cast(baseline_kwh_exact - kwh_exact as double)
            else cast(trailing_sum_kwh - kwh_exact * trailing_days as double) / trailing_days
        end as saved_kwh,
        case credit_basis
            when 'city_baseline' then cast(baseline_kwh_exact as double)
            else cast(trailing_sum_kwh as double) / trailing_days
        end as ref_kwh,
        cast(baseline_kwh_exact as double) as baseline_kwh,
        cast(trailing_sum_kwh as double) / nullif(trailing_days, 0) as trailing_avg_kwh
    from decided
    where credit_basis is not null
)
