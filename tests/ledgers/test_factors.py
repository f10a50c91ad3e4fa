"""The factor library's data and the dispatch backup's fuel lookup (pure Python; no dbt).

The ledgers' selection rule is the warehouse model int_factors__selected; its cases (year first,
region fallback, basis, newer notice, version, GWP set, as-of, pinned fuel set) are dbt
unit_tests in models/intermediate/_intermediate.yml, run by every `dbt build`
(tests/ledgers/test_ledger_marts.py builds the project)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carbon.domain import factors as F
from carbon.domain.units import FUELS, PRODUCTS


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
    f = F.fuel_factor("natural_gas", 2026)
    assert f.factor_version == "CN-GUIDE-2013" and f.unit == "tCO2/10^4 Nm3"
    assert round(1.0 * f.value, 2) == 21.62  # 389.31 GJ × 15.3 tC/TJ × 0.99 × 44/12
    # the same gas reported in GJ goes through the NCV
    assert 389.31 * f.value / f.ncv == pytest.approx(f.value, rel=1e-12)


def test_ipcc_set_is_selectable():
    cn = F.fuel_factor("diesel", 2026)
    ipcc = F.fuel_factor("diesel", 2026, version="IPCC-2006")
    assert ipcc.factor_version == "IPCC-2006"
    assert ipcc.value == pytest.approx(43.0 * 74100 / 1e6)
    assert cn.value == pytest.approx(42.652 * 20.2 * 0.98 * 44 / 12 / 1000, rel=1e-5)


def test_missing_factor_is_named():
    with pytest.raises(F.MissingFactorError, match="fuel_peat"):
        F.fuel_factor("peat", 2026)
    with pytest.raises(F.MissingFactorError, match=r"fuel_diesel.*2004"):
        F.fuel_factor("diesel", 2004)  # before the first notice's validity


def test_process_heat_and_gwp_rows_of_the_library():
    df = F.load_factors()

    def value(fid, **kw):
        q = df[(df.factor_id == fid)]
        for k, v in kw.items():
            q = q[q[k] == v]
        return q.value.item()

    assert value("process_clinker") == 0.538
    assert value("process_lime") == 0.683
    assert value("heat_purchased") == 0.11
    assert (value("gwp_ch4", gwp_set="SAR"), value("gwp_n2o", gwp_set="SAR")) == (21, 310)
    assert (value("gwp_ch4", gwp_set="AR6"), value("gwp_n2o", gwp_set="AR6")) == (27.9, 273)
    assert {p.process_factor_id for p in PRODUCTS.values() if p.process_factor_id} <= set(
        df.factor_id
    )


def test_region_chain():
    assert F.region_chain("320902") == ["320000", "EAST_CHINA", "CN"]
    assert F.region_chain("CN") == ["CN"]
    assert F.region_chain("110105")[1] == "NORTH_CHINA"
