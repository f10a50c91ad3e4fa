"""CEADs provincial inventory: a reader for the xlsx and the shipped Jiangsu 2019 extract.

CEADs (China Emission Accounts and Datasets) publishes production-based Scope-1 CO2 inventories:
one sheet per province, 47 sector rows (45 IPCC-style sectors plus ``Urban`` and ``Rural``
households) × 17 fossil fuels, plus ``Process`` (cement) and ``Scope_1_Total``, in Mt CO2.
Cite: Shan et al. 2018, Sci. Data 5:170201; Shan et al. 2020, Sci. Data 7:54;
Guan et al. 2021, Sci. Data 8:173.

The demo city is calibrated on the ``Jiangsu2019`` sheet of
``Emission_Inventories_for_30_Provinces_2019.xlsx``; its values ship with the package as
``carbon/demo/data/ceads_jiangsu2019.csv`` (long format) so generation needs no xlsx.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from carbon.domain.units import FUELS

#: CEADs fuel column -> our fuel code (all 17 CEADs fuels are in carbon.domain.units.FUELS)
CEADS_FUEL_CODES: dict[str, str] = {f.ceads_column: f.code for f in FUELS.values()}

EXTRACT = "ceads_jiangsu2019.csv"


def read_province_sheet(xlsx: str | Path, sheet: str) -> pd.DataFrame:
    """Read one provincial sheet into long format: sector, column, mt_co2.

    ``column`` is a fuel code of carbon.domain.units.FUELS, or ``process``. Rows with zero are kept so
    the 47 sector labels are all present. The ``TotalEmissions`` row is dropped.
    """
    raw = pd.read_excel(xlsx, sheet_name=sheet, header=0, engine="calamine")
    raw = raw.iloc[2:].rename(columns={raw.columns[0]: "sector"})
    raw = raw[raw["sector"].notna() & (raw["sector"] != "TotalEmissions")]
    keep = {**CEADS_FUEL_CODES, "Process": "process"}
    long = raw.melt(id_vars="sector", value_vars=list(keep), var_name="ceads", value_name="mt_co2")
    long["column"] = long["ceads"].map(keep)
    long["mt_co2"] = pd.to_numeric(long["mt_co2"], errors="coerce").fillna(0.0).astype(float)
    long["sector"] = long["sector"].astype(str).str.strip()
    return long[["sector", "column", "mt_co2"]].reset_index(drop=True)


@cache
def jiangsu2019() -> pd.DataFrame:
    """The shipped Jiangsu 2019 extract (sector, column, mt_co2), 47 sectors × (17 fuels + process)."""
    with resources.files("carbon.demo").joinpath("data").joinpath(EXTRACT).open("rb") as fh:
        return pd.read_csv(fh, dtype={"sector": str, "column": str, "mt_co2": float})


@cache
def sectors() -> tuple[str, ...]:
    """The 47 CEADs sector labels, in sheet order."""
    return tuple(dict.fromkeys(jiangsu2019()["sector"]))


def write_extract(xlsx: str | Path, out: str | Path, sheet: str = "Jiangsu2019") -> None:
    """Refresh the shipped extract from the CEADs xlsx (maintenance helper)."""
    df = read_province_sheet(xlsx, sheet)
    df["mt_co2"] = df["mt_co2"].round(9)
    df.to_csv(out, index=False, lineterminator="\n")
