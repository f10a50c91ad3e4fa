"""Codes (GB 32100, GB/T 2260, GB/T 4754) and units."""

from __future__ import annotations

import pytest

from carbon.domain import codes, units
from carbon.domain.datasets import DATASETS


def test_uscc_check_digit_known_example():
    # example from the GB 32100 / python-stdnum documentation
    assert codes.is_valid_uscc("91110000600037341L")
    assert not codes.is_valid_uscc("91110000600037341A")
    assert not codes.is_valid_uscc("91110000600037341")
    assert not codes.is_valid_uscc(None)


def test_make_uscc_round_trips_and_embeds_region():
    u = codes.make_uscc("320902", "MA1X7Q7A")
    assert len(u) == 18 and codes.is_valid_uscc(u)
    assert u[2:8] == "320902"
    # one wrong character anywhere breaks the check
    bad = u[:-1] + ("0" if u[-1] != "0" else "1")
    assert not codes.is_valid_uscc(bad)


def test_yancheng_has_nine_county_level_divisions():
    r = codes.regions()
    counties = r[(r.parent_code == "320900") & (r.level == "county")]
    assert sorted(counties.region_code) == [
        "320902",
        "320903",
        "320904",
        "320921",
        "320922",
        "320923",
        "320924",
        "320925",
        "320981",
    ]
    assert codes.is_valid_region("320981") and not codes.is_valid_region("329999")


def test_industry_table_is_gbt4754_four_digit():
    ind = codes.industries()
    assert ind.industry_code.str.fullmatch(r"\d{4}").all()
    assert (ind.industry_code.str[:2] == ind.division).all()
    assert "6450" in codes.industry_codes()  # data centres


@pytest.mark.parametrize(
    ("src", "dst", "expected"),
    [
        ("10^4 Nm3", "Nm3", 1e4),
        ("万元", "10^4 CNY", 1.0),
        ("MWh", "kWh", 1e3),
        ("tce", "GJ", 29.3076),
        ("万吨", "t", 1e4),
        ("kgCO2", "tCO2e", 1e-3),
    ],
)
def test_unit_factors(src, dst, expected):
    assert units.factor(src, dst) == pytest.approx(expected)


def test_incompatible_and_unknown_units_fail_loudly():
    with pytest.raises(units.UnitError, match="cannot convert"):
        units.factor("t", "GJ")
    with pytest.raises(units.UnitError, match="unknown unit"):
        units.factor("吨标煤x", "t")


def test_every_reporting_unit_is_known():
    for f in units.FUELS.values():
        units.canonical(f.unit)
    for p in units.PRODUCTS.values():
        units.canonical(p.unit)
    for ds in DATASETS.values():
        for c in ds.columns:
            assert c.name_zh, (ds.name, c.name)
