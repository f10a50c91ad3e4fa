-- Reductions already counted in a carbon market (national ETS, CCER, a local ETS or offset
-- scheme; cf. Shanghai 沪环规〔2025〕10号): platform × behaviour registrations whose records the
-- personal account must NOT credit again.
-- Input: dbt var `personal_market_registry`, a list of
--   {platform, behaviour_code, market, registration_ref, valid_from: YYYY-MM-DD, valid_to: YYYY-MM-DD|null}
-- Default: empty (no registration known). A production site replaces the var with a table fed by
-- the ecology bureau's project register.
{%- set rows = var('personal_market_registry', []) %}
{%- if rows | length > 0 %}
select
    cast(platform as varchar) as platform,
    cast(behaviour_code as varchar) as behaviour_code,
    cast(market as varchar) as market,
    cast(registration_ref as varchar) as registration_ref,
    cast(valid_from as date) as valid_from,
    cast(coalesce(valid_to, '9999-12-31') as date) as valid_to
from (
    values
    {%- for r in rows %}
        ('{{ (r['platform'] | string) | replace("'", "''") }}', '{{ (r['behaviour_code'] | string) | replace("'", "''") }}', '{{ (r['market'] | string) | replace("'", "''") }}',
         '{{ (r['registration_ref'] | string) | replace("'", "''") }}', '{{ (r['valid_from'] | string) | replace("'", "''") }}',
         {% if r.get('valid_to') %}'{{ (r['valid_to'] | string) | replace("'", "''") }}'{% else %}null{% endif %})
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
) as t (platform, behaviour_code, market, registration_ref, valid_from, valid_to)
{%- else %}
select
    cast(null as varchar) as platform,
    cast(null as varchar) as behaviour_code,
    cast(null as varchar) as market,
    cast(null as varchar) as registration_ref,
    cast(null as date) as valid_from,
    cast(null as date) as valid_to
where false
{%- endif %}
