"""Tiny hand-made landing fixtures for the ingest tests: every dataset, one defect of each kind.

``make_city(home)`` writes ``<home>/landing/<dataset>/...`` and returns a ``City`` with the
expected defects (dataset, file, row_number (1-based data row), check, column), the raw
identifiers written (which must never reach lake / quarantine / reports) and the number of good
rows per dataset. The defect list mirrors the demo generator's ``defects.csv`` manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from stdnum.cn import ric

from carbon.domain.codes import make_uscc

TODAY = dt.date(2026, 11, 21)
SECRET = b"test-secret-h2"


@dataclass
class City:
    home: Path
    today: dt.date = TODAY
    secret: bytes = SECRET
    defects: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    raw_ids: set[str] = field(default_factory=set)
    good_rows: dict[str, int] = field(default_factory=dict)


def uscc(i: int, region: str = "320902") -> str:
    return make_uscc(region, f"MA{i:06d}")


def bad_check_digit(code: str) -> str:
    last = code[-1]
    return code[:-1] + ("1" if last != "1" else "2")


def id_card(i: int) -> str:
    first17 = f"32090219900101{i:03d}"
    return first17 + ric.calc_check_digit(first17)


def _write_csv(
    path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8"
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)


def make_city(home: Path) -> City:
    city = City(home=home)
    land = home / "landing"
    d = city.defects

    # regions: yearly CSV
    rows = [
        ["320000", "江苏省", "", "province", 2025, 85_260_000, 1.37e9],
        ["320900", "盐城市", "320000", "city", 2025, 6_680_000, 7.4e7],
        ["320902", "亭湖区", "320900", "county", 2025, 700_000, 9.0e6],
        ["320903", "盐都区", "320900", "county", 2025, 720_000, 8.8e6],
        ["329999", "无此区", "320900", "county", 2025, 10, 1.0],  # region_code
        ["320904", "大丰区", "320900", "county", 2025],  # field_count (too few fields)
    ]
    _write_csv(
        land / "regions" / "regions_2025.csv",
        ["region_code", "name_zh", "parent_code", "level", "year", "population", "gdp_10k_cny"],
        rows,
    )
    d.append(("regions", "regions_2025.csv", 5, "region_code", "region_code"))
    d.append(("regions", "regions_2025.csv", 6, "field_count", "*"))
    city.good_rows["regions"] = 4

    # enterprises: register snapshot CSV
    ents = [uscc(i) for i in range(1, 5)]
    rows = [
        [ents[0], "盐城钢铁有限公司", "3120", "320902", "true", "false", "false", "2026-10"],
        [ents[1], "盐城电厂", "4411", "320902", "true", "false", "true", "2026-10"],
        [ents[2], "盐城数据中心", "6450", "320903", "false", "true", "false", "2026-10"],
        [
            bad_check_digit(ents[3]),
            "坏码公司",
            "3011",
            "320903",
            "false",
            "false",
            "false",
            "2026-10",
        ],  # uscc
        [
            uscc(9),
            "未知行业公司",
            "9999",
            "320903",
            "false",
            "false",
            "false",
            "2026-10",
        ],  # known_code
    ]
    _write_csv(
        land / "enterprises" / "enterprises_2026-10.csv",
        [
            "uscc",
            "name",
            "industry_code",
            "region_code",
            "is_key_emitter",
            "is_datacenter",
            "in_ets",
            "snapshot_month",
        ],
        rows,
    )
    d += [
        ("enterprises", "enterprises_2026-10.csv", 4, "uscc_check_digit", "uscc"),
        ("enterprises", "enterprises_2026-10.csv", 5, "known_code", "industry_code"),
    ]
    city.good_rows["enterprises"] = 3

    # households: raw 户号 in household_no
    hh = [f"32090{i:08d}" for i in range(1, 8)]
    city.raw_ids.update(hh)
    rows = [[h, "320902", "C01", 3, "2026-10"] for h in hh[:5]]
    rows.append([hh[5], "320902", "C01", 25, "2026-10"])  # range
    rows.append([hh[0], "320902", "C02", 2, "2026-10"])  # unique_key (2nd occurrence)
    _write_csv(
        land / "households" / "households_2026-10.csv",
        ["household_no", "region_code", "community_id", "members", "snapshot_month"],
        rows,
    )
    d += [
        ("households", "households_2026-10.csv", 6, "range", "members"),
        ("households", "households_2026-10.csv", 7, "unique_key", "household_key"),
    ]
    city.good_rows["households"] = 5

    # grid signals: hourly CSV for one day
    rows = [["320000", f"2026-10-15 {h:02d}:00:00", 0.62, 0.58] for h in range(24)]
    rows[20][2] = 9.5  # range
    _write_csv(
        land / "grid_signals" / "grid_20261015.csv",
        ["province_code", "ts", "price_cny_per_kwh", "carbon_intensity_kg_per_kwh"],
        rows,
    )
    d.append(("grid_signals", "grid_20261015.csv", 21, "range", "price_cny_per_kwh"))
    city.good_rows["grid_signals"] = 23

    # electricity: UTF-8 English file + GB18030 Chinese-header file
    header = ["account_type", "account_id", "region_code", "date", "kwh", "green_kwh"]
    rows = [
        ["enterprise", ents[0], "320902", "2026-10-15", 1_200_000.5, 100_000],
        ["datacenter", ents[2], "320903", "2026-10-15", 350_000, 50_000],
        ["household", hh[0], "320902", "2026-10-15", 8.2, 0],
        ["household", hh[1], "320902", "2026-10-15", "12,3a", 0],  # parseable
        ["enterprise", bad_check_digit(ents[1]), "320902", "2026-10-15", 10, 0],  # uscc
        ["household", hh[2], "329999", "2026-10-15", 5, 0],  # region_code
        ["hh", hh[3], "320902", "2026-10-15", 5, 0],  # known_code
        ["household", hh[0], "320902", "2026-10-15", 9, 0],  # unique_key
        ["household", hh[4], "320902", "2026-09-15", 9, 0],  # date_in_period
        ["household", hh[5], "320902", "2026-10-15", -1, 0],  # range
        ["household", "", "320902", "2026-10-15", 1, 0],  # not_null
        ["household", hh[6], "320902", "2026-10-15", 6.5, 0],
    ]
    _write_csv(land / "electricity_consumption" / "meter_20261015.csv", header, rows)
    d += [
        ("electricity_consumption", "meter_20261015.csv", 4, "parseable", "kwh"),
        ("electricity_consumption", "meter_20261015.csv", 5, "uscc_check_digit", "account_id"),
        ("electricity_consumption", "meter_20261015.csv", 6, "region_code", "region_code"),
        ("electricity_consumption", "meter_20261015.csv", 7, "known_code", "account_type"),
        (
            "electricity_consumption",
            "meter_20261015.csv",
            8,
            "unique_key",
            "account_type,account_id,date",
        ),
        ("electricity_consumption", "meter_20261015.csv", 9, "date_in_period", "date"),
        ("electricity_consumption", "meter_20261015.csv", 10, "range", "kwh"),
        ("electricity_consumption", "meter_20261015.csv", 11, "not_null", "account_id"),
    ]
    zh = ["户类", "账户标识", "区县代码", "日期", "用电量", "绿电量"]
    rows16 = [
        ["enterprise", ents[0], "320902", "2026-10-16", 1_100_000, 0],
        ["household", hh[0], "320902", "2026-10-16", 7.5, 0],
        ["household", hh[1], "320902", "2026-10-16", 1e12, 0],  # range (absurd)
    ]
    _write_csv(
        land / "electricity_consumption" / "meter_20261016.csv", zh, rows16, encoding="gb18030"
    )
    d.append(("electricity_consumption", "meter_20261016.csv", 3, "range", "kwh"))
    city.good_rows["electricity_consumption"] = 4 + 2

    # fuel: monthly XLSX, one unit conversion (万立方米 -> 10^4 Nm3) and one from kt
    header = ["uscc", "month", "fuel_code", "quantity", "unit"]
    rows = [
        [ents[1], "2026-10", "raw_coal", 250_000, "t"],
        [ents[1], "2026-10", "natural_gas", 120, "万立方米"],
        [ents[0], "2026-10", "coke", 30, "kt"],
        [ents[0], "2026-10", "raw_coal", 100, "kWh"],  # unit
        [ents[0], "2026-10", "plutonium", 1, "t"],  # known_code
        [ents[0], "2026-10", "diesel", -5, "t"],  # range
    ]
    _write_xlsx(land / "fuel_consumption" / "fuel_2026-10.xlsx", header, rows)
    d += [
        ("fuel_consumption", "fuel_2026-10.xlsx", 4, "unit", "unit"),
        ("fuel_consumption", "fuel_2026-10.xlsx", 5, "known_code", "fuel_code"),
        ("fuel_consumption", "fuel_2026-10.xlsx", 6, "range", "quantity"),
    ]
    city.good_rows["fuel_consumption"] = 3

    # heat: monthly XLSX with an empty required cell
    rows = [[ents[0], "2026-10", 5000.0, 0.0], [ents[1], "2026-10", None, 1200.0]]  # not_null
    _write_xlsx(
        land / "heat_consumption" / "heat_2026-10.xlsx",
        ["uscc", "month", "gj_purchased", "gj_exported"],
        rows,
    )
    d.append(("heat_consumption", "heat_2026-10.xlsx", 2, "not_null", "gj_purchased"))
    city.good_rows["heat_consumption"] = 1

    # industrial activity: monthly XLSX
    rows = [
        [ents[0], "2026-10", "crude_steel", 80_000, "t", 320_000, 64_000],
        [ents[1], "2026-10", "electricity", 1_000, "GWh", 400_000, 100_000],
        [ents[0], "2026-10", "pig_iron", 5, "kWh", 1, 1],  # unit
    ]
    _write_xlsx(
        land / "industrial_activity" / "activity_2026-10.xlsx",
        [
            "uscc",
            "month",
            "product_code",
            "quantity",
            "unit",
            "output_value_10k_cny",
            "value_added_10k_cny",
        ],
        rows,
    )
    d.append(("industrial_activity", "activity_2026-10.xlsx", 3, "unit", "unit"))
    city.good_rows["industrial_activity"] = 2

    # sector energy balance: yearly CSV
    rows = [
        [
            "320900",
            2025,
            "Production and Supply of Electric Power, Steam and Hot Water",
            "raw_coal",
            1.2e7,
            "t",
        ],
        ["320900", 2025, "Urban", "natural_gas", 2.5e4, "10^4 Nm3"],
        ["320900", 2025, "Nowhere Industry", "raw_coal", 1.0, "t"],  # known_code
        ["320900", 2024, "Rural", "lpg", 1.0, "t"],  # date_in_period (file says 2025)
    ]
    _write_csv(
        land / "sector_energy_balance" / "balance_2025.csv",
        ["region_code", "year", "sector_code", "fuel_code", "quantity", "unit"],
        rows,
    )
    d += [
        ("sector_energy_balance", "balance_2025.csv", 3, "known_code", "sector_code"),
        ("sector_energy_balance", "balance_2025.csv", 4, "date_in_period", "year"),
    ]
    city.good_rows["sector_energy_balance"] = 2

    # low-carbon activity: raw phone / ID-card numbers in user_id
    phones = [f"13{i:09d}" for i in range(1, 4)]
    cards = [id_card(i) for i in range(1, 3)]
    city.raw_ids.update(phones + cards)
    rows = [
        [phones[0], "2026-10-15", "bus", 2, "trips", "transit", "T1"],
        [phones[1], "2026-10-15", "metro", 12.5, "km", "transit", "T2"],
        [cards[0], "2026-10-15", "cycling", 3.2, "km", "bikeshare", "B1"],
        [cards[1], "2026-10-15", "ev_charging", 0.04, "MWh", "charging", "C1"],
        [phones[2], "2026-10-15", "teleport", 1, "km", "transit", "T3"],  # known_code
        [phones[0], "2026-10-15", "cycling", 1, "trips", "bikeshare", "B2"],  # unit
        [phones[1], "2026-10-15", "bus", 1, "trips", "transit", "T2"],  # unique_key
    ]
    _write_csv(
        land / "low_carbon_activity" / "activity_20261015.csv",
        ["user_id", "date", "behaviour_code", "quantity", "unit", "platform", "record_id"],
        rows,
    )
    d += [
        ("low_carbon_activity", "activity_20261015.csv", 5, "known_code", "behaviour_code"),
        ("low_carbon_activity", "activity_20261015.csv", 6, "unit", "unit"),
        ("low_carbon_activity", "activity_20261015.csv", 7, "unique_key", "platform,record_id"),
    ]
    city.good_rows["low_carbon_activity"] = 4

    # datacenter telemetry: 15-min Parquet with tz-aware timestamps
    ts = pd.date_range("2026-10-15", periods=96, freq="15min", tz="Asia/Shanghai")
    tel = pd.DataFrame(
        {
            "site_id": "YC-DC1",
            "uscc": ents[2],
            "ts": ts,
            "it_kw": 1000.0,
            "facility_kw": 1300.0,
            "pv_kw": 0.0,
            "wind_kw": 50.0,
            "battery_soc": 0.5,
        }
    )
    tel.loc[40, "battery_soc"] = 1.5  # range
    path = land / "datacenter_telemetry" / "telemetry_YC-DC1_20261015.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(tel, preserve_index=False), path)
    d.append(
        ("datacenter_telemetry", "telemetry_YC-DC1_20261015.parquet", 41, "range", "battery_soc")
    )
    city.good_rows["datacenter_telemetry"] = 95

    # an ignored file
    (land / "regions" / "_notes.csv").write_text("not,a,contract\n")
    return city


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> City:
    monkeypatch.setenv("CARBON_PSEUDONYM_SECRET", SECRET.decode())
    return make_city(tmp_path / "home")


def scan_for_raw(root: Path, needles: set[str]) -> list[str]:
    """Every place under ``root`` (Parquet cells, text files) where a raw identifier appears."""
    hits = []
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        if p.suffix == ".parquet":
            t = pq.read_table(p)
            for name in t.column_names:
                vals = {str(v) for v in t[name].to_pylist()}
                hits += [f"{p}:{name}:{n}" for n in needles if any(n in v for v in vals)]
        else:
            data = p.read_bytes()
            hits += [f"{p}:{n}" for n in needles if n.encode() in data]
    return hits


@pytest.fixture
def scan_raw():
    """The ``scan_for_raw`` helper (test modules here cannot import conftest directly)."""
    return scan_for_raw
