{#-
  The home's GB/T 2260 region tree (schema ref, where the seed of the same name used to be): the
  province, its 13 cities and the home city's own counties (carbon.domain.codes.home_regions,
  written by carbon.pipeline.warehouse.build.write_home_regions to <home>/dbt/gbt2260_regions.csv
  before each dbt invocation). A Yancheng home gets exactly the rows the seed had.
-#}
{{ config(materialized='table', schema='ref') }}
select
    region_code::varchar as region_code,
    name_zh::varchar as name_zh,
    name_en::varchar as name_en,
    nullif(parent_code, '')::varchar as parent_code,
    level::varchar as level
from read_csv('{{ var("regions_path") }}', header = true, all_varchar = true)
