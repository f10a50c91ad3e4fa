"""Two cities' data never mix (issue 15 §3): a meter file with another city's county codes, dropped
in a city home's landing, is quarantined by the ``region_code`` check with a reason naming the
home's city, while its good rows still reach the lake. A home's city comes from ``city.json``
(absent: Yancheng)."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from carbon.config import paths
from carbon.domain import codes
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.lake import read_dataset

METER = "account_type,account_id,region_code,date,kwh,green_kwh"


def _quarantine(home, ds: str) -> pd.DataFrame:
    files = sorted((home / "quarantine" / ds).glob("*=*/quarantine.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def _rows(region: str, first: int, n: int) -> list[str]:
    return [
        f"household,{3209100000000 + i},{region},2026-10-17,{i % 7}.5,0"
        for i in range(first, first + n)
    ]


def test_another_citys_codes_are_quarantined_naming_the_home_city(city):
    land = city.home / "landing" / "electricity_consumption"
    good = _rows("320902", 0, 20)  # 亭湖区, Yancheng's
    nanjing = _rows("320102", 100, 3)  # 玄武区, Nanjing's: a file delivered to the wrong city
    wuxi = _rows("320205", 200, 2)  # 锡山区, Wuxi's
    (land / "meter_20261017.csv").write_text("\n".join([METER, *good, *nanjing, *wuxi]) + "\n")
    pipeline.ingest_dataset(
        "electricity_consumption", city.home, today=city.today, secret=city.secret
    )
    q = _quarantine(city.home, "electricity_consumption")
    q = q[q.source_file == "meter_20261017.csv"]
    assert sorted(q.row_number) == list(range(21, 26))
    assert set(q.check) == {"region_code"} and set(q.column) == {"region_code"}
    nj = q[q.row_number <= 23].failure_value
    assert (nj == "320102 (南京市 320100, not this home's city 盐城市 320900)").all(), nj.tolist()
    assert q[q.row_number > 23].failure_value.str.contains("无锡市 320200").all()
    lake = read_dataset("electricity_consumption", city.home)
    lake = lake[lake["date"].astype(str) == "2026-10-17"]
    assert len(lake) == 20 and set(lake["region_code"]) == {"320902"}


def test_a_nanjing_home_takes_nanjing_and_quarantines_yancheng(city):
    (city.home / "city.json").write_text(json.dumps({"city_code": "320100"}))
    assert paths(city.home).city_code == "320100"
    land = city.home / "landing" / "electricity_consumption"
    (land / "meter_20261018.csv").write_text(
        "\n".join([METER, *_rows("320102", 0, 4), *_rows("320902", 50, 1)]).replace(
            "2026-10-17", "2026-10-18"
        )
        + "\n"
    )
    pipeline.ingest_dataset(
        "electricity_consumption", city.home, today=city.today, secret=city.secret
    )
    q = _quarantine(city.home, "electricity_consumption")
    q = q[(q.source_file == "meter_20261018.csv")]
    assert list(q.row_number) == [5]  # 1-based data row
    assert q.iloc[0].failure_value == "320902 (盐城市 320900, not this home's city 南京市 320100)"
    lake = read_dataset("electricity_consumption", city.home)
    assert (lake[lake["date"].astype(str) == "2026-10-18"]["region_code"] == "320102").sum() == 4


def test_a_bad_city_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "city.json").write_text(json.dumps({"city_code": "330100"}))
    with pytest.raises(ValueError, match=r"city\.json.*330100"):
        _ = paths(tmp_path).city_code


def test_region_model_has_every_jiangsu_county_and_each_home_its_own_subtree():
    r = codes.regions()
    assert len(codes.city_codes()) == 13
    counties = r[r.level == "county"]
    assert len(counties) == 95  # 55 districts + 21 county-level cities + 19 counties (2023)
    assert counties.region_code.is_unique
    assert (counties.region_code.str[:4] == counties.parent_code.str[:4]).all()
    yc = codes.home_regions("320900")
    assert len(yc) == 1 + 13 + 9 and set(yc[yc.level == "county"].parent_code) == {"320900"}
    nj = codes.home_regions("320100")
    assert len(nj[nj.level == "county"]) == 11
