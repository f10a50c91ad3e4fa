"""An indicator above 100 % (utilised > generated) is quarantined by the park_resource_use contract
with its reason and column; the good rows of the same file go on."""

from __future__ import annotations

import pandas as pd

from carbon.demo.dataset_docs import example_file
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.lake import read_dataset


def test_share_above_100_percent_is_quarantined(tmp_path):
    df = pd.read_csv(example_file("park_resource_use"), dtype=str)
    bad = df.iloc[[0]].copy()
    bad["uscc"] = "91320904PARK00015E"
    bad["solid_waste_utilised_t"] = str(float(bad["solid_waste_generated_t"].iloc[0]) * 2)
    land = tmp_path / "landing" / "park_resource_use"
    land.mkdir(parents=True)
    pd.concat([df, bad]).to_csv(land / "park_resource_use_2026-10.csv", index=False)
    rep = pipeline.ingest_dataset("park_resource_use", tmp_path, secret=b"t")
    assert rep["rows_quarantined"] == 1 and rep["failures_by_check"] == {"range": 1}
    (q,) = list((tmp_path / "quarantine" / "park_resource_use").rglob("*.parquet"))
    assert pd.read_parquet(q)[["check", "column"]].values.tolist() == [
        ["range", "solid_waste_utilised_t"]
    ]
    assert len(read_dataset("park_resource_use", tmp_path)) == len(df)
