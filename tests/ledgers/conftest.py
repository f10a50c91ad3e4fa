"""A tiny hand-made lake (Yancheng, Tinghu district 320902) whose ledger figures are worked out
by hand in the tests. Tests reach these helpers and constants through the ``lf`` fixture (the
suite runs with --import-mode=importlib, so test modules cannot import conftest)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from carbon.domain.codes import make_uscc
from carbon.pipeline.lake import write_partition

COUNTY = "320902"  # 亭湖区
CITY = "320900"  # 盐城市

USCC_CEMENT = make_uscc(COUNTY, "CEMT0001")  # natural gas, clinker, heat
USCC_CHIP = make_uscc(COUNTY, "XPAN0001")  # 1 MWh in June 2022; 2 MWh in March 2023
USCC_TEX_HI = make_uscc(COUNTY, "TEXH0001")  # L = 1.5 (textiles)
USCC_TEX_LO = make_uscc(COUNTY, "TEXL0001")  # L = 0.5 (textiles)
USCC_DC = make_uscc(COUNTY, "DATA0001")  # data centre with green power
USCC_SCHOOL = make_uscc(COUNTY, "XUEX0001", authority="1", kind="2")  # public institution

NG_TCO2_PER_10K_NM3 = 389.31 * 15.3 * 0.99 * 44 / 12 / 1000  # 21.6218880...
HEAT_TCO2_PER_GJ = 0.11


def _enterprises() -> pd.DataFrame:
    rows = [
        (USCC_CEMENT, "盐城示范水泥有限公司", "3011", False, False),
        (USCC_CHIP, "盐城示范芯片有限公司", "3973", False, False),
        (USCC_TEX_HI, "盐城示范纺织一厂", "1711", False, False),
        (USCC_TEX_LO, "盐城示范纺织二厂", "1711", False, False),
        (USCC_DC, "盐城示范数据中心", "6450", True, True),
    ]
    return pd.DataFrame(
        {
            "uscc": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "industry_code": [r[2] for r in rows],
            "region_code": COUNTY,
            "is_key_emitter": [r[3] for r in rows],
            "is_datacenter": [r[4] for r in rows],
            "in_ets": False,
            "snapshot_month": "2022-06",
        }
    )


def tex_gas_quantity(tco2: float) -> float:
    """10^4 Nm3 of natural gas that gives ``tco2``."""
    return tco2 / NG_TCO2_PER_10K_NM3


def _writer(home: Path):
    import carbon.pipeline.lake as lake

    extras = getattr(lake, "EXTRA_COLUMNS", {})

    def w(ds: str, key: str, value: str, df: pd.DataFrame) -> None:
        df = df.copy()
        if {"quantity", "unit"} <= set(df.columns):
            for f in extras.get(ds, ()):  # what the sender reported (already in reporting units)
                df[f.name] = df["quantity"] if f.name.startswith("quantity") else df["unit"]
        write_partition(ds, key, value, df, home=home)

    return w


def make_fixture_lake(home: Path) -> None:
    w = _writer(home)
    w(
        "regions",
        "year",
        "2022",
        pd.DataFrame(
            {
                "region_code": [CITY, COUNTY],
                "name_zh": ["盐城市", "亭湖区"],
                "parent_code": ["320000", CITY],
                "level": ["city", "county"],
                "population": [6_690_000, 1_000_000],
                "gdp_10k_cny": [70_800_000.0, 9_000_000.0],
            }
        ),
    )
    w("enterprises", "month", "2022-06", _enterprises())
    fuel = pd.DataFrame(
        {
            "uscc": [USCC_CEMENT, USCC_TEX_HI, USCC_TEX_LO],
            "fuel_code": ["natural_gas"] * 3,
            "quantity": [1.0, tex_gas_quantity(150.0), tex_gas_quantity(50.0)],
            "unit": ["10^4 Nm3"] * 3,
        }
    )
    w("fuel_consumption", "month", "2022-06", fuel)
    w(
        "heat_consumption",
        "month",
        "2022-06",
        pd.DataFrame({"uscc": [USCC_CEMENT], "gj_purchased": [100.0], "gj_exported": [0.0]}),
    )
    w(
        "industrial_activity",
        "month",
        "2022-06",
        pd.DataFrame(
            {
                "uscc": [USCC_CEMENT, USCC_TEX_HI, USCC_TEX_LO, USCC_CHIP],
                "product_code": ["clinker", "yarn", "yarn", "integrated_circuits"],
                "quantity": [1000.0, 10.0, 10.0, 1.0],
                "unit": ["t", "t", "t", "10^4 pcs"],
                "output_value_10k_cny": [500.0, 300.0, 300.0, 200.0],
                "value_added_10k_cny": [200.0, 100.0, 100.0, 50.0],
            }
        ),
    )

    # electricity: one day each; kWh chosen for hand arithmetic
    def elec(day: date, rows: list[tuple[str, str, float, float]]) -> None:
        df = pd.DataFrame(
            {
                "account_type": [r[0] for r in rows],
                "account_id": [r[1] for r in rows],
                "region_code": COUNTY,
                "kwh": [r[2] for r in rows],
                "green_kwh": [r[3] for r in rows],
            }
        )
        w("electricity_consumption", "date", day.isoformat(), df)

    elec(
        date(2022, 6, 15),
        [
            ("enterprise", USCC_CHIP, 1000.0, 0.0),
            ("datacenter", USCC_DC, 10_000.0, 4_000.0),
            ("public", USCC_SCHOOL, 500.0, 0.0),
            ("household", "hh-key-0001", 10.0, 0.0),
            ("household", "hh-key-0002", 20.0, 0.0),
        ],
    )
    elec(date(2023, 3, 1), [("enterprise", USCC_CHIP, 2000.0, 0.0)])
    w(
        "households",
        "month",
        "2022-06",
        pd.DataFrame(
            {
                "household_key": ["hh-key-0001", "hh-key-0002"],
                "region_code": COUNTY,
                "community_id": "C001",
                "members": [2, 3],
                "snapshot_month": "2022-06",
            }
        ),
    )
    w(
        "sector_energy_balance",
        "year",
        "2022",
        pd.DataFrame(
            {
                "region_code": [CITY, CITY],
                "sector_code": ["S27", "S39"],
                "fuel_code": ["raw_coal", "natural_gas"],
                "quantity": [1000.0, 10.0],
                "unit": ["t", "10^4 Nm3"],
            }
        ),
    )


@pytest.fixture(scope="session")
def lf():
    """This module: the fixture-lake helpers and the hand-computed constants."""
    return sys.modules[__name__]


@pytest.fixture(scope="module")
def fixture_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("h3-ledgers")
    make_fixture_lake(home)
    return home
