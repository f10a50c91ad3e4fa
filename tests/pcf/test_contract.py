"""The material_purchases contract (issue 14 §2): an unknown material code, an unknown unit, a
unit of the wrong dimension and a distance without its mode are quarantined with their reason and
column; the good rows of the same file go on, converted to the material's unit (t)."""

from __future__ import annotations

import pandas as pd

from carbon.demo.dataset_docs import example_file
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.lake import read_dataset


def test_bad_codes_and_units_are_quarantined_the_rest_goes_on(tmp_path):
    df = pd.read_csv(example_file("material_purchases"), dtype=str, keep_default_na=False)
    good = len(df)
    base = df.iloc[0].to_dict()
    bad = pd.DataFrame(
        [
            {**base, "material_code": "MAT999"},  # not in pcf_materials.csv
            {**base, "material_code": "fly_ash", "unit": "桶"},  # unknown unit
            {**base, "material_code": "dolomite", "unit": "MWh"},  # not a mass
            {**base, "material_code": "soda_ash", "unit": "t", "transport_mode": ""},  # km, no mode
            {**base, "material_code": "silica_sand", "transport_mode": "camel"},  # unknown mode
        ]
    )
    land = tmp_path / "landing" / "material_purchases"
    land.mkdir(parents=True)
    pd.concat([df, bad]).to_csv(land / "material_purchases_2025-01.csv", index=False)
    rep = pipeline.ingest_dataset("material_purchases", tmp_path, secret=b"t")
    assert rep["rows_quarantined"] == 5
    assert rep["failures_by_check"] == {"known_code": 2, "unit": 2, "not_null": 1}
    (q,) = list((tmp_path / "quarantine" / "material_purchases").rglob("*.parquet"))
    got = pd.read_parquet(q)[["material_code", "check", "column"]].values.tolist()
    assert sorted(got) == sorted(
        [
            ["MAT999", "known_code", "material_code"],
            ["fly_ash", "unit", "unit"],
            ["dolomite", "unit", "unit"],
            ["soda_ash", "not_null", "transport_km"],
            ["silica_sand", "known_code", "transport_mode"],
        ]
    )
    lake = read_dataset("material_purchases", tmp_path)
    assert len(lake) == good
    gyp = lake[lake["material_code"] == "gypsum"].iloc[0]  # sent in kg
    sent = df[df["material_code"] == "gypsum"].iloc[0]
    assert sent["unit"] == "kg" and gyp["unit"] == "t"
    assert abs(gyp["quantity"] - float(sent["quantity"]) / 1000.0) <= 1e-9 * gyp["quantity"]
