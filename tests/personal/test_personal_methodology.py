"""The methodology table and the Python mirror of the crediting formulas (no dbt)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import personal_oracle as per
import pytest

D = dt.date


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return per.load_methodologies()


def test_every_row_has_a_source_and_a_unique_key(table: pd.DataFrame) -> None:
    assert (table["source"].str.len() > 20).all()
    assert (table["methodology_id"].str.len() > 0).all()
    key = ["behaviour_code", "unit", "region_code", "methodology_version"]
    assert not table.duplicated(key).any()
    assert set(table["pe_basis"]) <= {"fixed", "grid_factor"}
    assert set(table["account_kind"]) <= {"person", "household"}


def test_travel_rows_reproduce_the_published_net_factors(table: pd.DataFrame) -> None:
    net_g = {  # g avoided per unit, as published (sources.md)
        ("bus", "km"): 26.9,  # Shenzhen e-bus
        ("bus", "trips"): 212.5,  # Wuhan bus
        ("metro", "km"): 78.4,  # Wuhan metro
        ("cycling", "km"): 93.3,  # Wuhan bike
        ("walking", "km"): 93.3,  # as cycling
    }
    for (code, unit), grams in net_g.items():
        row = per.select_methodology(table, code, unit, 2026)
        assert row is not None, (code, unit)
        assert row["pe_basis"] == "fixed"
        er_g = (row["be_kgco2e_per_unit"] - row["pe_kgco2e_per_unit"]) * 1000
        assert er_g == pytest.approx(grams, abs=1e-9)


def test_ev_baseline_is_derived_from_the_gasoline_factor(table: pd.DataFrame) -> None:
    row = per.select_methodology(table, "ev_charging", "kWh", 2026)
    assert row is not None and row["pe_basis"] == "grid_factor"
    assert row["be_kgco2e_per_unit"] == pytest.approx(per.ev_baseline_kg_per_kwh(), abs=5e-5)
    # 43.070 GJ/t x 18.9 tC/TJ x 0.98 x 44/12 = 2.9251 tCO2/t gasoline
    assert per.ev_baseline_kg_per_kwh(ev_kwh_per_km=1, ice_l_per_100km=100) == pytest.approx(
        0.725 * 2.92506, rel=1e-5
    )


def test_no_methodology_outside_valid_years_or_units(table: pd.DataFrame) -> None:
    assert per.select_methodology(table, "metro", "trips", 2026) is None
    assert per.select_methodology(table, "cycling", "km", 2019) is None
    assert per.select_methodology(table, "cycling", "km", 2026, region_code="440300") is None


def test_travel_and_ev_formulas() -> None:
    c = per.travel_credit(10, 0.0933, 0.0149)
    # full precision: 10 km x 93.3 g and 14.9 g, nothing rounded to 1 g
    assert (c.be_tco2e, c.pe_tco2e) == pytest.approx((0.000933, 0.000149), rel=1e-12)
    assert c.er_tco2e == pytest.approx(0.000784, rel=1e-12)
    assert per.travel_credit(4, 0.0933, 0.0).er_tco2e == pytest.approx(0.0003732, rel=1e-12)
    ev = per.ev_charging_credit(40, 0.9896, 0.5827)
    assert (ev.be_tco2e, ev.pe_tco2e, ev.er_tco2e) == pytest.approx(
        (0.039584, 0.023308, 0.016276), rel=1e-12
    )
    # a mode dirtier than the baseline earns nothing, never a negative credit
    assert per.travel_credit(5, 0.05, 0.09).er_tco2e == 0
    assert per.points(0.000784) == Decimal("0.784")


def test_household_rule() -> None:
    # below the city baseline (3 members x 2.7 = 8.1 kWh)
    c = per.household_credit(6.0, 3, 2.7, 0.5827, trailing_avg_kwh=None)
    assert c is not None and c.basis == "city_baseline"
    assert (c.be_tco2e, c.pe_tco2e, c.er_tco2e) == pytest.approx(
        (0.00471987, 0.0034962, 0.00122367), rel=1e-12
    )
    # exactly at the baseline (3 x 2.7 = 8.1 kWh, not 8.100000000000001): nothing
    assert per.household_credit(8.1, 3, 2.7, 0.5827, trailing_avg_kwh=None) is None
    # above the baseline: own trailing average, credited only when below it
    c = per.household_credit(6.0, 2, 2.7, 0.5827, trailing_avg_kwh=7.0)
    assert (
        c is not None
        and c.basis == "own_trailing_7d"
        and c.er_tco2e == pytest.approx(0.0005827, rel=1e-12)
    )
    assert per.household_credit(8.0, 2, 2.7, 0.5827, trailing_avg_kwh=7.0) is None
    assert per.household_credit(6.0, 2, 2.7, 0.5827, trailing_avg_kwh=None) is None


def test_trailing_average_needs_min_days() -> None:
    hist = {D(2026, 10, d): 7.0 for d in range(1, 8)}
    assert per.trailing_average(hist, D(2026, 10, 8), min_days=7) == 7.0
    assert per.trailing_average(hist, D(2026, 10, 9), min_days=7) is None  # day 1 left the window
    assert per.trailing_average(hist, D(2026, 10, 9), min_days=6) == 7.0


def test_dedupe_cross_platform_keeps_smallest_platform_and_same_platform_repeats() -> None:
    rows = pd.DataFrame(
        [
            ("p", D(2026, 10, 1), "bus", "km", 5.0, "bus_card", "c2"),
            ("p", D(2026, 10, 1), "bus", "km", 5.0, "bus_card", "c1"),
            ("p", D(2026, 10, 1), "bus", "km", 5.0, "amap", "a1"),
            ("p", D(2026, 10, 1), "bus", "km", 6.0, "bus_card", "c3"),
        ],
        columns=[
            "person_key",
            "date",
            "behaviour_code",
            "unit",
            "quantity",
            "platform",
            "record_id",
        ],
    )
    kept = per.dedupe_cross_platform(rows)
    assert sorted(kept["record_id"]) == ["a1", "c2", "c3"]
    # independent of arrival order
    again = per.dedupe_cross_platform(rows.iloc[::-1])
    assert sorted(again["record_id"]) == ["a1", "c2", "c3"]


def test_add_months_clamps_to_month_end() -> None:
    assert per.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert per.add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert per.add_months(D(2024, 11, 15), 24) == D(2026, 11, 15)


def test_fifo_expiry_known_answer() -> None:
    earned = {D(2026, 1, 10): Decimal(100), D(2026, 2, 20): Decimal(50), D(2026, 4, 1): Decimal(30)}
    redeemed = {D(2026, 2, 25): Decimal(120)}
    exp = per.fifo_expiries(earned, redeemed, 2, D(2026, 5, 15))
    assert exp == {D(2026, 4, 20): Decimal(30)}
    b = per.balances(earned, redeemed, 2, D(2026, 5, 15))
    assert b == {
        "earned": Decimal(180),
        "redeemed": Decimal(120),
        "expired": Decimal(30),
        "balance": Decimal(30),
    }
    with pytest.raises(ValueError, match="exceeds the balance"):
        per.fifo_expiries(earned, {D(2026, 3, 15): Decimal(60)}, 2, D(2026, 5, 15))


def test_count_units_need_whole_positive_quantities() -> None:
    assert per.is_valid_quantity(2.0, "trips") and per.is_valid_quantity(7.8, "km")
    assert not per.is_valid_quantity(7.8, "trips")  # km mislabelled as trips, say
    assert not per.is_valid_quantity(0.0, "km") and not per.is_valid_quantity(-1.0, "kWh")
