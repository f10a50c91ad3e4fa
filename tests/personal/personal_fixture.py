"""The personal-account (碳普惠) test lake: tiny, hand-computable, pseudonymous keys only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from carbon.pipeline.lake import write_partition

# pseudonymous keys only (as ingest writes them: hex HMAC digests); never raw IDs
P1 = "p1" + "a" * 62
P2 = "p2" + "b" * 62
P3 = "p3" + "c" * 62
H1 = "h1" + "d" * 62
H2 = "h2" + "e" * 62
ENTERPRISE = "91320900MA1XXXXXXX"

D = dt.date

# person_key, date, behaviour_code, quantity, unit, platform, record_id
ACTIVITY = [
    (P1, D(2024, 9, 15), "cycling", 10.0, "km", "bikeshare_x", "b-0001"),
    (P1, D(2026, 10, 1), "metro", 10.0, "km", "metro_app", "m-0001"),
    (P1, D(2026, 10, 1), "metro", 10.0, "km", "amap", "a-0009"),  # same trip, 2nd platform
    (P1, D(2026, 10, 1), "bus", 2.0, "trips", "bus_card", "c-0001"),
    (P1, D(2026, 10, 2), "cycling", 4.0, "km", "bikeshare_y", "y-0001"),
    (P2, D(2026, 10, 1), "walking", 4.0, "km", "health_app", "h-0001"),
    (P2, D(2026, 10, 2), "ev_charging", 40.0, "kWh", "charger_co", "e-0001"),
    (P2, D(2026, 10, 3), "cycling", 5.0, "km", "bikeshare_x", "b-0002"),  # in a market
    (P3, D(2026, 10, 1), "metro", 2.0, "trips", "metro_app", "m-0002"),  # no methodology
    (P3, D(2026, 10, 1), "bus", 5.0, "km", "bus_card", "c-0002"),
    (P3, D(2026, 10, 1), "bus", 5.0, "km", "bus_card", "c-0003"),  # same platform: 2nd trip
    (P3, D(2026, 10, 1), "bus", 5.0, "km", "amap", "a-0010"),  # = c-0002 seen by a 2nd platform
    (P3, D(2026, 10, 2), "bus", 2.5, "trips", "bus_card", "c-0004"),  # a fractional trip count
]

# H1: 3 members -> baseline 8.1 kWh/day; H2: 2 members -> 5.4 kWh/day
H2_KWH = [7.0] * 7 + [6.0, 8.0, 4.5]  # 2026-10-01 .. 2026-10-10
H1_KWH = [6.0] * 10

MARKET_REGISTRY = [
    {
        "platform": "bikeshare_x",
        "behaviour_code": "cycling",
        "market": "CCER",
        "registration_ref": "CCER-demo-0001",
        "valid_from": "2026-01-01",
    }
]
REDEMPTIONS = [{"account_id": P1, "date": "2025-01-10", "points": 0.5, "ref": "voucher-0001"}]


def activity_frame() -> pd.DataFrame:
    cols = ["person_key", "date", "behaviour_code", "quantity", "unit", "platform", "record_id"]
    df = pd.DataFrame(ACTIVITY, columns=cols)
    # the lake keeps what the sender reported next to the quantity in the reporting unit
    return df.assign(quantity_as_reported=df["quantity"], unit_as_reported=df["unit"])


def electricity_frame() -> pd.DataFrame:
    rows = []
    for i in range(10):
        day = D(2026, 10, 1) + dt.timedelta(days=i)
        rows.append(("household", H1, "320902", day, H1_KWH[i], 0.0))
        rows.append(("household", H2, "320903", day, H2_KWH[i], 0.0))
        rows.append(("enterprise", ENTERPRISE, "320902", day, 1000.0, 100.0))
    cols = ["account_type", "account_id", "region_code", "date", "kwh", "green_kwh"]
    return pd.DataFrame(rows, columns=cols)


def households_frame() -> pd.DataFrame:
    cols = ["household_key", "region_code", "community_id", "members", "snapshot_month"]
    return pd.DataFrame(
        [
            (H1, "320902", "C-001", 4, "2026-09"),  # superseded by the 2026-10 snapshot
            (H1, "320902", "C-001", 3, "2026-10"),
            (H2, "320903", "C-002", 2, "2026-10"),
        ],
        columns=cols,
    )


def write_fixture_lake(home: Path) -> None:
    """Write the fixture datasets into ``home``'s lake, one partition per period."""
    act = activity_frame()
    for day, part in act.groupby("date"):
        write_partition(
            "low_carbon_activity", "date", str(day), part.drop(columns="date"), home=home
        )
    elec = electricity_frame()
    for day, part in elec.groupby("date"):
        write_partition(
            "electricity_consumption", "date", str(day), part.drop(columns="date"), home=home
        )
    hh = households_frame()
    for month, part in hh.groupby("snapshot_month"):
        write_partition("households", "month", str(month), part, home=home)
