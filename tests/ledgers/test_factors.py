"""Factor library and selection rules (pure Python; no dbt)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from carbon.domain import factors as F
from carbon.domain.units import FUELS, PRODUCTS, UnitError


def test_every_row_cites_its_source():
    df = F.load_factors()
    for col in ("source_document", "notice_number", "published_date", "factor_version", "unit"):
        assert (df[col].str.len() > 0).all(), col
    assert not df.duplicated(["factor_id", "factor_version", "region", "basis", "gwp_set"]).any()


def test_every_fuel_has_a_chinese_and_an_ipcc_factor():
    df = F.load_factors()
    for code, fuel in FUELS.items():
        rows = df[df.factor_id == f"fuel_{code}"]
        assert set(rows.factor_version) == {"CN-GUIDE-2013", "IPCC-2006"}, code
        assert (rows.unit == f"tCO2/{fuel.unit}").all()


def _hand_factor(row) -> Decimal:
    """tCO2 per unit from the published parameters, in exact decimals (the guideline formula)."""
    return (
        Decimal(row["ncv"])
        * Decimal(row["carbon_content_tc_per_tj"])
        * Decimal(row["oxidation_rate"])
        * Decimal(44)
        / Decimal(12)
        / Decimal(1000)
    )


def test_fuel_rows_store_published_parameters_not_a_rounded_factor():
    raw = F._read("emission_factors.csv")
    fuels = raw[raw.category == "fuel"]
    assert len(fuels) == 2 * len(FUELS)
    assert (fuels.value == "").all(), "a fuel factor is derived, never stored"
    for col in ("ncv", "carbon_content_tc_per_tj", "oxidation_rate", "source_document"):
        assert (fuels[col] != "").all(), col


def test_fuel_value_is_ncv_times_carbon_times_oxidation_at_full_precision():
    raw = F._read("emission_factors.csv")
    raw = raw[raw.category == "fuel"].set_index(["factor_id", "factor_version"])
    df = F.load_factors()
    fuels = df[df.category == "fuel"]
    for r in fuels.itertuples():
        hand = _hand_factor(raw.loc[(r.factor_id, r.factor_version)])
        assert abs(Decimal(r.value) - hand) / hand < Decimal("1e-15"), r.factor_id
    # the example of the defect report: raw coal 20.908 × 26.37 × 0.94 × 44/12 / 1000
    coal = F.fuel_factor("raw_coal", 2026).value
    assert coal == pytest.approx(1.9002988488, rel=1e-12)
    assert coal != 1.900299


def test_coke_oven_gas_uses_the_chinese_guideline_table():
    f = F.fuel_factor("coke_oven_gas", 2026)
    row = F.load_factors().query(
        "factor_id == 'fuel_coke_oven_gas' and factor_version == 'CN-GUIDE-2013'"
    )
    assert (row.ncv.item(), row.carbon_content_tc_per_tj.item(), row.oxidation_rate.item()) == (
        179.81,
        13.58,
        0.99,
    )
    assert f.value == pytest.approx(179.81 * 13.58 * 0.99 * 44 / 12 / 1000, rel=1e-15)


def test_natural_gas_known_answer():
    t, f = F.fuel_emissions("natural_gas", 1.0, "10^4 Nm3", 2026)
    assert round(t, 2) == 21.62  # 389.31 GJ × 15.3 tC/TJ × 0.99 × 44/12
    assert f.factor_version == "CN-GUIDE-2013"
    # the same gas reported in GJ goes through the NCV
    t_gj, _ = F.fuel_emissions("natural_gas", 389.31, "GJ", 2026)
    assert t_gj == pytest.approx(t, rel=1e-12)
    # in Nm3
    t_m3, _ = F.fuel_emissions("natural_gas", 10_000, "Nm3", 2026)
    assert t_m3 == pytest.approx(t, rel=1e-12)


def test_ipcc_set_is_selectable():
    cn, _ = F.fuel_emissions("diesel", 1.0, "t", 2026)
    ipcc, f = F.fuel_emissions("diesel", 1.0, "t", 2026, version="IPCC-2006")
    assert f.factor_version == "IPCC-2006"
    assert ipcc == pytest.approx(43.0 * 74100 / 1e6)
    assert cn == pytest.approx(42.652 * 20.2 * 0.98 * 44 / 12 / 1000, rel=1e-5)


def test_grid_selection_year_then_region():
    assert F.grid_factor("320902", 2022).value == 0.5978  # Jiangsu provincial
    assert F.grid_factor("320902", 2021).value == 0.6451
    assert F.grid_factor("320902", 2026).value == 0.5827  # latest earlier year: 2023
    assert F.grid_factor("350100", 2022).value == 0.5617  # Fujian: East China region
    assert F.grid_factor("350100", 2023).value == 0.5306  # year first: national 2023
    assert F.grid_factor("320902", 2022, "market").value == 0.5856
    # a notice not yet published is not known
    assert F.grid_factor("320902", 2023, as_of="2025-06-01").value == 0.5978


def test_market_basis_deducts_green_power_once():
    t, f = F.electricity_emissions(10_000, "320902", 2022, "market", green_kwh=4_000)
    assert f.factor_version == "MEE-2024-33"
    assert t == pytest.approx(6 * 0.5856)
    t, _ = F.electricity_emissions(1_000, "320902", 2022, "market", green_kwh=4_000)
    assert t == 0.0


def test_missing_factor_is_named():
    with pytest.raises(F.MissingFactorError, match="fuel_peat"):
        F.fuel_factor("peat", 2026)
    with pytest.raises(F.MissingFactorError, match=r"grid_electricity.*2019"):
        F.grid_factor("320902", 2019)
    with pytest.raises(UnitError):
        F.fuel_emissions("diesel", 1.0, "m2", 2026)


def test_process_heat_and_gwp():
    assert F.process_factor("clinker", 2026).value == 0.538
    assert F.process_factor("lime", 2026).value == 0.683
    assert F.process_factor("crude_steel", 2026).value == 0.15
    assert F.process_factor("cement", 2026) is None
    assert F.heat_factor(2026).value == 0.11
    assert (F.gwp("CH4", "SAR"), F.gwp("N2O", "SAR")) == (21, 310)
    assert (F.gwp("CH4", "AR6"), F.gwp("N2O", "AR6")) == (27.9, 273)
    assert {p.process_factor_id for p in PRODUCTS.values() if p.process_factor_id} <= set(
        F.load_factors().factor_id
    )


def test_region_chain():
    assert F.region_chain("320902") == ["320000", "EAST_CHINA", "CN"]
    assert F.region_chain("CN") == ["CN"]
    assert not math.isnan(F.grid_factor("110000", 2022).value)  # North China
