"""CEADs reference inventories: sector codes and an importer for the published xlsx files.

CEADs (China Emission Accounts and Datasets) publishes provincial inventories as 47 sector rows
(45 IPCC-style sectors plus urban and rural households) × 17 fossil fuels (+ process), in Mt CO2,
production-based Scope 1, and city totals (Mt CO2 per year). Cite Shan et al. 2018 (Sci. Data
5:170201), Shan et al. 2020 (Sci. Data 7:54), Guan et al. 2021 (Sci. Data 8:173).

``SECTORS`` gives the sector codes ``sector_energy_balance.sector_code`` uses: ``S01`` … ``S47`` in
the CEADs row order. ``load_reference()`` reads the xlsx files under the reference folder
(``CARBON_REFERENCE_DIR`` or the copy shipped in ``carbon/domain/data/ceads/``) into one tidy table;
``carbon.pipeline.warehouse.reference`` writes it to the lake for dbt (``gov_ceads_comparison``).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pandas as pd

SECTOR_NAMES: tuple[str, ...] = (
    "Farming, Forestry, Animal Husbandry, Fishery and Water Conservancy",
    "Coal Mining and Dressing",
    "Petroleum and Natural Gas Extraction",
    "Ferrous Metals Mining and Dressing",
    "Nonferrous Metals Mining and Dressing",
    "Nonmetal Minerals Mining and Dressing",
    "Other Minerals Mining and Dressing",
    "Logging and Transport of Wood and Bamboo",
    "Food Processing",
    "Food Production",
    "Beverage Production",
    "Tobacco Processing",
    "Textile Industry",
    "Garments and Other Fiber Products",
    "Leather, Furs, Down and Related Products",
    "Timber Processing, Bamboo, Cane, Palm Fiber & Straw Products",
    "Furniture Manufacturing",
    "Papermaking and Paper Products",
    "Printing and Record Medium Reproduction",
    "Cultural, Educational and Sports Articles",
    "Petroleum Processing and Coking",
    "Raw Chemical Materials and Chemical Products",
    "Medical and Pharmaceutical Products",
    "Chemical Fiber",
    "Rubber Products",
    "Plastic Products",
    "Nonmetal Mineral Products",
    "Smelting and Pressing of Ferrous Metals",
    "Smelting and Pressing of Nonferrous Metals",
    "Metal Products",
    "Ordinary Machinery",
    "Equipment for Special Purposes",
    "Transportation Equipment",
    "Electric Equipment and Machinery",
    "Electronic and Telecommunications Equipment",
    "Instruments, Meters, Cultural and Office Machinery",
    "Other Manufacturing Industry",
    "Scrap and waste",
    "Production and Supply of Electric Power, Steam and Hot Water",
    "Production and Supply of Gas",
    "Production and Supply of Tap Water",
    "Construction",
    "Transportation, Storage, Post and Telecommunication Services",
    "Wholesale, Retail Trade and Catering Services",
    "Others",
    "Urban",
    "Rural",
)

#: sector code -> CEADs sector name (row order of the provincial inventories)
SECTORS: dict[str, str] = {f"S{i:02d}": name for i, name in enumerate(SECTOR_NAMES, start=1)}
_BY_NAME = {name.lower(): code for code, name in SECTORS.items()}
# spellings used elsewhere (carbon/domain/data/gbt4754_2017.csv) for the same CEADs row
_BY_NAME["paper and paper products"] = _BY_NAME["papermaking and paper products"]

URBAN_HOUSEHOLDS = "S46"
RURAL_HOUSEHOLDS = "S47"
OTHERS = "S45"


def _fuel_columns() -> dict[str, str]:
    """CEADs fuel column -> our fuel code (carbon.domain.units.FUELS); process and Scope 2 kept apart."""
    from carbon.domain.units import FUELS

    cols = {f.ceads_column: f.code for f in FUELS.values()}
    cols.update(
        {
            "Process": "process",
            "Other_Energy": "other_energy",
            "Scope_2_Heat": "scope2_heat",
            "Scope_2_Electricity": "scope2_electricity",
        }
    )
    return cols


def sector_code(name: str) -> str:
    """CEADs sector code for a sector name (case-insensitive); KeyError if unknown."""
    key = name.strip().lower()
    if key not in _BY_NAME:
        raise KeyError(f"unknown CEADs sector {name!r}")
    return _BY_NAME[key]


@cache
def industry_sector_map() -> dict[str, str]:
    """GB/T 4754-2017 class -> CEADs sector code, from carbon/domain/data/gbt4754_2017.csv."""
    from carbon.domain.codes import industries

    return {row.industry_code: sector_code(row.ceads_sector) for row in industries().itertuples()}


def reference_dir() -> Path:
    """``CARBON_REFERENCE_DIR`` if set, else the copy shipped in ``carbon/domain/data/ceads/``."""
    env = os.environ.get("CARBON_REFERENCE_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "data" / "ceads"


PROVINCE_FILE = "Emission_Inventories_for_30_Provinces_2019.xlsx"
CITY_FILE = "The_Emission_Inventories_for_290_Chinese_Cities_from_1997_to_2019.xlsx"

# CEADs province sheet names and city labels -> GB/T 2260 codes (those the system knows)
PROVINCE_SHEETS: dict[str, str] = {"Jiangsu": "320000"}

COLUMNS = ["region_code", "year", "sector_code", "fuel_code", "mt_co2", "source_file"]


def _city_codes() -> dict[str, str]:
    """CEADs city label (province + city, e.g. 江苏盐城) -> GB/T 2260 code for Jiangsu's cities."""
    from carbon.domain.codes import regions

    r = regions()
    cities = r[r["level"] == "city"]
    return {
        "江苏" + n.removesuffix("市"): c
        for n, c in zip(cities.name_zh, cities.region_code, strict=True)
    }


def read_province_inventory(path: Path, sheet: str, region_code: str) -> pd.DataFrame:
    """Tidy one provincial sheet: sector × fuel rows in Mt CO2 (total row as sector 'TOTAL')."""
    raw = pd.read_excel(path, sheet_name=sheet, header=0, engine="calamine")
    year = int("".join(ch for ch in sheet if ch.isdigit()))
    fuel_cols = _fuel_columns()
    rows = []
    for rec in raw.itertuples(index=False):
        label = rec[0]
        if not isinstance(label, str) or label in ("unit",):
            continue
        code = "TOTAL" if label == "TotalEmissions" else sector_code(label)
        for col, value in zip(raw.columns[1:], rec[1:], strict=True):
            if col not in fuel_cols or value is None or pd.isna(value):
                continue
            rows.append((region_code, year, code, fuel_cols[col], float(value), path.name))
    return pd.DataFrame(rows, columns=COLUMNS)


def read_city_totals(path: Path) -> pd.DataFrame:
    """City totals (Mt CO2) for the cities the system knows, all years given."""
    raw = pd.read_excel(path, sheet_name="emission vector", engine="calamine")
    codes = _city_codes()
    keep = raw[raw["city"].isin(codes)].dropna(subset=["emission"])
    return pd.DataFrame(
        {
            "region_code": keep["city"].map(codes).astype(str),
            "year": keep["year"].astype("int64"),
            "sector_code": "TOTAL",
            "fuel_code": "total",
            "mt_co2": keep["emission"].astype(float),
            "source_file": path.name,
        }
    )[COLUMNS]


def load_reference(ref_dir: Path | None = None) -> pd.DataFrame:
    """All CEADs figures the system uses, tidy: region × year × sector × fuel, Mt CO2."""
    d = ref_dir or reference_dir()
    frames = [
        read_province_inventory(d / PROVINCE_FILE, f"{name}2019", code)
        for name, code in PROVINCE_SHEETS.items()
    ]
    frames.append(read_city_totals(d / CITY_FILE))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(COLUMNS[:4], kind="stable").reset_index(drop=True)
