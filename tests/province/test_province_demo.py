"""The province demo (``carbon.province.demo``): a city home re-homed from the demo city (``carbon.demo.rehome``) holds
only its own city's region codes, valid USCCs registered in its own counties, no Yancheng place
name in its firm names, ``city.json`` naming it, and a plan sized to its own CEADs 2019 total."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from carbon.config import paths
from carbon.domain import codes
from carbon.province import city_home
from carbon.province.demo import city_targets, generate_province


def test_a_rehomed_city_is_its_own_and_sized_to_its_ceads_figure(tmp_path):
    out = generate_province(tmp_path, "tiny", cities=["321300"], start="2026-10", daily_days=1)
    home = city_home(tmp_path, "321300")
    assert json.loads((home / "city.json").read_text()) == {"city_code": "321300"}
    assert paths(home).city_code == "321300"
    targets = city_targets()
    assert out.iloc[0]["target_source"] == "CEADs 2019"
    assert out.iloc[0]["target_tco2"] == pytest.approx(targets["321300"])
    summary = json.loads((home / "demo_manifest" / "summary.json").read_text())
    assert summary["calibration"], "the summary has its calibration"

    own = codes.city_region_codes("321300")
    bad_region = {"329999", "320999", "990000"}  # the demo's deliberate region_code defects
    seen_regions: set[str] = set()
    n_uscc = 0
    for f in (home / "landing").rglob("*.csv"):
        df = pd.read_csv(f, dtype=str, keep_default_na=False, encoding_errors="replace")
        for col in ("region_code", "parent_code", "province_code"):
            if col in df.columns:
                seen_regions |= set(df[col]) - {""}
        for col in ("uscc", "account_id"):
            if col in df.columns:
                v = df[col][df[col].str.len() == 18]
                valid = v[codes.valid_uscc_mask(pa.array(v.tolist()))]
                n_uscc += len(valid)
                regions = set(valid.str[2:8])
                assert regions <= own, (f.name, regions - own)
        if "name" in df.columns:
            assert not df["name"].str.contains("盐城|大丰|东台|滨海|射阳").any(), f.name
    assert n_uscc > 0
    assert seen_regions - bad_region <= own, seen_regions - own
    assert {"321300", "321302"} <= seen_regions
    assert not (home / "landing" / "park_members").exists()  # the parks are Yancheng's


def test_a_city_not_of_jiangsu_is_refused(tmp_path):
    with pytest.raises(ValueError, match="330100"):
        generate_province(tmp_path, "tiny", cities=["330100"])
