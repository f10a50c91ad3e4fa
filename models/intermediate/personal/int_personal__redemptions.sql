-- Points redemptions (积分兑换/核销), one row per redemption.
-- No redemption dataset exists in the lake contracts (DESIGN §2), so redemptions come from the dbt
-- var `personal_redemptions`, a list of {account_id, date: YYYY-MM-DD, points, ref}. Default: none.
-- Redemptions are facts reported by the redeeming platform (which checks the balance when the user
-- redeems); they are booked as given, and per_account_balance's check constraint (balance >= 0)
-- fails the build if one ever exceeds the balance.
{%- set rows = var('personal_redemptions', []) %}
{%- if rows | length > 0 %}
select
    cast(account_id as varchar) as account_id,
    cast(redemption_date as date) as redemption_date,
    cast(points as decimal(18, 3)) as points,
    cast(redemption_ref as varchar) as redemption_ref
from (
    values
    {%- for r in rows %}
        ('{{ (r['account_id'] | string) | replace("'", "''") }}', '{{ (r['date'] | string) | replace("'", "''") }}', '{{ (r['points'] | string) | replace("'", "''") }}',
         '{{ (r.get('ref', 'redemption/' ~ r['account_id'] ~ '/' ~ r['date'] ~ '/' ~ loop.index) | string) | replace("'", "''") }}')
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
) as t (account_id, redemption_date, points, redemption_ref)
{%- else %}
select
    cast(null as varchar) as account_id,
    cast(null as date) as redemption_date,
    cast(null as decimal(18, 3)) as points,
    cast(null as varchar) as redemption_ref
where false
{%- endif %}
