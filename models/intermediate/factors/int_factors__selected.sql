-- The factor each (factor_id, basis, region, year) uses. Rules (same as carbon.domain.factors.select):
--   1. eligible: valid_from_year <= year (and published by factor_as_of, see int_factors__library);
--   2. year first: a row covering the year beats any earlier one, else the latest valid_to_year;
--   3. region: province (rank 1), then grid region (2), then national CN (3);
--   4. latest published_date, then factor_version (descending) break ties.
with lib as (
    select * from {{ ref('int_factors__library') }}
),
needs as (
    select * from {{ ref('int_factors__region_years') }}
),
chain as (
    select region_code, year, province_code as factor_region, 1 as region_rank from needs
    union all
    select region_code, year, grid_region, 2 from needs where grid_region is not null
    union all
    select region_code, year, 'CN', 3 from needs
),
ranked as (
    select
        c.region_code,
        c.year,
        l.factor_id,
        l.basis,
        l.gwp_set,
        l.factor_version,
        l.region as factor_region,
        l.value,
        l.unit,
        l.ncv,
        row_number() over (
            partition by c.region_code, c.year, l.factor_id, l.basis, coalesce(l.gwp_set, '')
            order by least(l.valid_to_year, c.year) desc, c.region_rank, l.published_date desc,
                l.factor_version desc
        ) as rn
    from chain as c
    join lib as l
        on l.region = c.factor_region and l.valid_from_year <= c.year
)
select region_code, year, factor_id, basis, gwp_set, factor_version, factor_region, value, unit, ncv
from ranked
where rn = 1
