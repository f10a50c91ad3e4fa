"""The product carbon-footprint factor library (carbon/domain/pcf, docs/pcf.md): every row cites
its source, boundary, GWP set and rating; values are stored as published; every material code
maps to a library row or to nothing (never to an invented number)."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.domain import pcf
from carbon.domain.factors import load_factors as emission_factors


def test_every_row_cites_its_source_boundary_gwp_and_rating():
    lib = pcf.load_factors()
    for col in (*pcf.REQUIRED, "geography", "reference_year"):
        assert (lib[col].astype(str).str.strip() != "").all(), col
    assert lib["dq_rating"].between(1, 5).all()
    assert (
        lib["dq_rating"] == lib[["dq_reliability", "dq_temporal", "dq_geography"]].max(axis=1)
    ).all()
    assert lib["pcf_factor_id"].is_unique
    assert set(lib["published_unit"]) <= set(pcf.KG_PER_PUBLISHED_UNIT)


def test_values_are_stored_as_published():
    lib = pcf.load_factors().set_index("pcf_factor_id")
    assert lib.at["steel_crude_worldsteel", "value"] == "1.91"
    assert lib.at["steel_crude_worldsteel", "kgco2e_per_unit"] == 1910.0
    assert lib.at["transport_road_hgv_desnz", "value"] == "0.10163"
    assert lib.at["aggregates_desnz", "value"] == "7.79306"
    # a partial boundary is kept, and flagged unfit for a footprint
    assert not lib.at["clinker_process_ipcc", "fit_for_pcf"]
    assert "NOT" in lib.at["clinker_process_ipcc", "system_boundary"]


def test_electricity_reuses_the_emission_factor_row_not_a_copy():
    raw = pd.read_csv(pcf.DATA_DIR / "pcf_factors.csv", dtype=str, keep_default_na=False)
    row = raw[raw.pcf_factor_id == "grid_electricity_cn"].iloc[0]
    assert row["value"] == "" and row["ref_factor_id"] == "grid_electricity"
    ef = emission_factors()
    want = ef[
        (ef.factor_id == "grid_electricity")
        & (ef.factor_version == row["ref_factor_version"])
        & (ef.region == row["ref_region"])
        & (ef.basis == row["ref_basis"])
    ]["value"]
    lib = pcf.load_factors().set_index("pcf_factor_id")
    assert lib.at["grid_electricity_cn", "kgco2e_per_unit"] == float(want.iloc[0]) * 1000.0


def test_material_codes_map_to_library_rows_or_to_nothing():
    m = pcf.materials()
    ids = set(pcf.load_factors()["pcf_factor_id"])
    assert m["material_code"].is_unique and set(m["kind"]) == {"material", "transport"}
    mapped = set(m["pcf_factor_id"]) - {""}
    assert mapped <= ids
    assert (m.loc[m["kind"] == "material", "unit"] == "t").all()
    assert (m.loc[m["kind"] == "transport", "unit"] == "tkm").all()
    # the documented unsourced ones stay unmapped
    none = set(m.loc[m["pcf_factor_id"] == "", "material_code"])
    assert {"iron_ore", "steel_scrap", "soda_ash", "cement", "waterway"} <= none
    assert pcf.factor_for("iron_ore") is None
    assert pcf.factor_for("limestone")["pcf_factor_version"] == "DESNZ-2025"


def test_a_row_without_its_source_is_refused(monkeypatch, tmp_path):
    raw = pd.read_csv(pcf.DATA_DIR / "pcf_factors.csv", dtype=str, keep_default_na=False)
    raw.loc[0, "source_url"] = ""
    (tmp_path / "pcf_factors.csv").write_text(raw.to_csv(index=False), encoding="utf-8")
    monkeypatch.setattr(pcf, "DATA_DIR", tmp_path)
    pcf.load_factors.cache_clear()
    try:
        with pytest.raises(pcf.PcfFactorError, match="source_url"):
            pcf.load_factors()
    finally:
        pcf.load_factors.cache_clear()
