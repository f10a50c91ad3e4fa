{#- 碳效码 rules (DESIGN §4, sources.md: Zhejiang 规上工业企业碳效等级评价方法). -#}

{#- Level from L (t CO2 per 10^4 CNY of value added): low <= 0.6 < medium <= 2.0 < high. -#}
{% macro carbon_level(l) -%}
    case when {{ l }} is null then null
         when {{ l }} <= 0.6 then 'low'
         when {{ l }} <= 2.0 then 'medium'
         else 'high' end
{%- endmacro %}

{#- Grade 1-5 from K = L / industry average: <=0.6 1, <=0.8 2, <=1.2 3, <=2.0 4, else 5. -#}
{% macro carbon_grade(k) -%}
    case when {{ k }} is null then null
         when {{ k }} <= 0.6 then 1
         when {{ k }} <= 0.8 then 2
         when {{ k }} <= 1.2 then 3
         when {{ k }} <= 2.0 then 4
         else 5 end
{%- endmacro %}

{#- Days of a YYYY-MM month and of its year, for the yearly -> monthly allocation. -#}
{% macro month_start(month_expr) -%}
    cast(strptime({{ month_expr }} || '-01', '%Y-%m-%d') as date)
{%- endmacro %}

{# tCO2 per reporting unit of a fuel from its published parameters: NCV (GJ/unit) x carbon content
   (tC/TJ) x oxidation rate x 44/12 / 1000, at full precision. Twin of
   carbon.domain.factors.fuel_factor_from_parameters (tests/ledgers/test_factors.py keeps them equal). #}
{% macro fuel_factor_from_parameters(ncv, carbon_content, oxidation) -%}
    ({{ ncv }} * {{ carbon_content }} * {{ oxidation }} * 44.0 / 12.0 / 1000.0)
{%- endmacro %}

{# The exact type meter kWh are compared in (personal crediting): a reading is taken to 1e-10 kWh,
   far below any meter's resolution, so a day exactly at a baseline is at it, not 1e-15 below. #}
{% macro kwh_decimal() -%}decimal(38, 10){%- endmacro %}
