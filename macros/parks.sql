{#-
  park_indicators(rel, energy_for_band): the indicator rows (long: one per indicator) of a relation
  with park_id, year and the summed park figures, joined to the park's threshold version
  (seed park_thresholds). The core indicator's band follows `energy_for_band` (annual tce); a park
  below the lowest band is assessed against it (band_note says so). Shares are in %.
-#}
{% macro park_indicator_rows(rel, energy_for_band) -%}
    with v as (
        select r.*, {{ energy_for_band }} as band_tce,
            unnest([
                {'indicator': 'carbon_per_energy', 'value': r.tco2 / nullif(r.energy_tce, 0), 'numerator': r.tco2, 'denominator': r.energy_tce},
                {'indicator': 'clean_energy_share', 'value': 100.0 * r.clean_tce / nullif(r.energy_tce, 0), 'numerator': r.clean_tce, 'denominator': r.energy_tce},
                {'indicator': 'product_energy_grade', 'value': cast(null as double), 'numerator': cast(null as double), 'denominator': cast(null as double)},
                {'indicator': 'solid_waste_utilisation', 'value': 100.0 * r.solid_waste_utilised_t / nullif(r.solid_waste_generated_t, 0), 'numerator': r.solid_waste_utilised_t, 'denominator': r.solid_waste_generated_t},
                {'indicator': 'waste_heat_utilisation', 'value': 100.0 * r.waste_heat_recovered_gj / nullif(r.waste_heat_recoverable_gj, 0), 'numerator': r.waste_heat_recovered_gj, 'denominator': r.waste_heat_recoverable_gj},
                {'indicator': 'water_reuse', 'value': 100.0 * r.water_reused_t / nullif(r.water_reused_t + r.water_withdrawn_t, 0), 'numerator': r.water_reused_t, 'denominator': r.water_reused_t + r.water_withdrawn_t}
            ]) as ind
        from {{ rel }} as r
    ),
    t as (
        select t.*,
            min(energy_band_min_tce) over (partition by threshold_version, indicator) as lowest_band_min
        from {{ ref('park_thresholds') }} as t
    )
    select
        v.*,
        ind.indicator as indicator,
        ind.value as value,
        ind.numerator as numerator,
        ind.denominator as denominator,
        t.indicator_zh, t.comparator, t.value as threshold, t.unit, t.is_core,
        t.threshold_version, t.status as threshold_status, t.source_document, t.notice_number, t.source_url,
        case
            when t.energy_band_min_tce is not null and v.band_tce < t.lowest_band_min
                then 'below the lowest band (' || t.lowest_band_min || ' tce/yr): assessed against it'
        end as band_note,
        case
            when ind.value is null or t.value is null then null
            when t.comparator = 'le' then ind.value <= t.value
            when t.comparator = 'ge' then ind.value >= t.value
        end as passes
    from v
    join {{ ref('parks') }} as p using (park_id)
    left join t
      on t.threshold_version = p.threshold_version
     and t.indicator = ind.indicator
     and cast(t.valid_from as date) <= make_date(v.year, 12, 31)
     and (t.valid_to is null or cast(t.valid_to as date) >= make_date(v.year, 1, 1))
     and (t.energy_band_min_tce is null
          or (coalesce(v.band_tce, 0) >= t.energy_band_min_tce or t.energy_band_min_tce = t.lowest_band_min)
             and (t.energy_band_max_tce is null or coalesce(v.band_tce, 0) < t.energy_band_max_tce))
{%- endmacro %}
