"""Demo zero-carbon parks (issue 14 §1): ``park_members`` and ``park_resource_use`` landing files.

Two parks of ``carbon/domain/data/parks/parks.csv``:

- **DFG** 大丰港经济开发区 (modelled on the first national batch park): the 320904 enterprises that
  burn at most 0.05 tCO2 of fuel per MWh they use, supplied almost wholly (99.5 % of their metered
  grid draw net of green certificates) by the park's offshore wind over the green direct-supply
  line. It passes the core indicator (about 0.15 tCO2/tce against 0.20) and the guiding ones.
- **BHC** 滨海沿海工业园: the 320922 manufacturers and the PV station (not the coal and gas plants);
  chemicals and steel on fossil fuel: it fails the core indicator (about 2 tCO2/tce against 0.30,
  the ≥ 1 Mtce band) and three guiding ones.

Resource figures are written for the months the meters cover (the park accounts only those).
Three deliberate bad rows test the rules: a member not in the enterprise register, an overlapping
second membership of a DFG member (a utilisation above 100 % is tested in tests/parks/test_contract.py).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

from carbon.demo.writers import LandingFile
from carbon.domain import codes

DIRECT_SHARE = 0.995  # DFG members' metered draw supplied by the direct line
# per MWh of metered use: solid waste (t), recoverable heat (GJ), water withdrawn (t); and the
# shares utilised / recovered / reused (reuse over total use) per park
RESOURCE = {
    "DFG": {
        "waste_t": 0.01,
        "heat_gj": 0.05,
        "water_t": 0.8,
        "util": 0.9,
        "heat": 0.6,
        "reuse": 0.85,
    },
    "BHC": {
        "waste_t": 0.2,
        "heat_gj": 0.6,
        "water_t": 3.0,
        "util": 0.6,
        "heat": 0.375,
        "reuse": 0.75,
    },
}
NOT_REGISTERED = codes.make_uscc("320904", "PARK0001")  # valid check digit, in no register


def members(plan) -> pd.DataFrame:
    """park_id, uscc, valid_from of the demo members, chosen by rule from the plan's register."""
    reg = plan.register
    fuel = plan.fuel.groupby("uscc")["tco2"].sum()
    process = set(plan.process["uscc"])
    t_per_mwh = reg["uscc"].map(fuel).fillna(0.0) / (reg["kwh"] / 1000.0).where(reg["kwh"] > 0)
    ent = reg["account_type"] == "enterprise"
    dfg = ent & (reg["region_code"] == "320904") & (t_per_mwh <= 0.05) & ~reg["uscc"].isin(process)
    bhc = (
        ent
        & (reg["region_code"] == "320922")
        & (~reg["industry_code"].str.startswith("441") | (reg["industry_code"] == "4416"))
    )
    rows = [("DFG", u, "2024-01-01") for u in sorted(reg.loc[dfg, "uscc"])]
    rows += [("BHC", u, "2023-07-01") for u in sorted(reg.loc[bhc, "uscc"])]
    return pd.DataFrame(rows, columns=["park_id", "uscc", "valid_from"])


def _metered(meter_files: list[LandingFile], usccs: set[str]) -> pd.DataFrame:
    """uscc, month, kwh net of green certificates, from the (clean) demo meter tables."""
    parts = []
    for f in meter_files:
        df = f.table.select(["account_id", "date", "kwh", "green_kwh"]).to_pandas()
        df = df[df["account_id"].isin(usccs)]
        parts.append(df)
    if not parts:
        return pd.DataFrame(columns=["uscc", "month", "net_kwh", "kwh"])
    df = pd.concat(parts)
    df["month"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m")
    df["net_kwh"] = df["kwh"] - df["green_kwh"]
    out = df.groupby(["account_id", "month"], as_index=False)[["net_kwh", "kwh"]].sum()
    return out.rename(columns={"account_id": "uscc"})


# the two demo communities' public use and supply, kWh a month: the first meets the net-zero
# electricity rule with its PV, the second does not
COMMUNITY = ({"public_kwh": 3000.0, "pv_kwh": 20000.0, "green_purchase_kwh": 1000.0},
             {"public_kwh": 5000.0, "pv_kwh": 500.0, "green_purchase_kwh": 0.0})  # fmt: skip


def community_files(household_files: list[LandingFile]) -> list[LandingFile]:
    """``community_energy`` for the two communities with the most households (ties: smallest id),
    for every month a households snapshot covers."""
    out = []
    for f in household_files:
        counts = f.table.column("community_id").to_pandas().value_counts()
        top = sorted(counts.index, key=lambda c: (-counts[c], c))[:2]
        df = pd.DataFrame(
            [{"community_id": c, "month": f.period, **COMMUNITY[i]} for i, c in enumerate(top)]
        )
        out.append(
            LandingFile(
                "community_energy",
                f"community_energy/community_energy_{f.period}.csv",
                pa.Table.from_pandas(df, preserve_index=False),
                period=f.period,
            )
        )
    return out


def park_files(
    plan, meter_files: list[LandingFile], end: dt.date, household_files: list[LandingFile] = ()
) -> list[LandingFile]:
    """The park datasets' landing files (members: one snapshot for ``end``'s month), and the
    communities' energy (``community_files``)."""
    snap = f"{end:%Y-%m}"
    m = members(plan)
    first_dfg = m.loc[m.park_id == "DFG", "uscc"].iloc[0]
    bad = pd.DataFrame(
        [
            ("DFG", NOT_REGISTERED, "2025-01-01"),  # not in the enterprise register
            ("BHC", first_dfg, "2025-03-01"),  # overlaps its DFG spell
        ],
        columns=m.columns,
    )
    mem = pd.concat([m, bad], ignore_index=True)
    mem_table = pa.table(
        {
            "park_id": pa.array(mem["park_id"], pa.string()),
            "uscc": pa.array(mem["uscc"], pa.string()),
            "valid_from": pa.array(pd.to_datetime(mem["valid_from"]).dt.date, pa.date32()),
            "valid_to": pa.nulls(len(mem), pa.date32()),
            "snapshot_month": pa.array([snap] * len(mem), pa.string()),
        }
    )
    files = [
        LandingFile("park_members", f"park_members/park_members_{snap}.csv", mem_table, period=snap)
    ]
    use = _metered(meter_files, set(m["uscc"])).merge(m[["park_id", "uscc"]], on="uscc")
    for month, g in use.groupby("month"):
        rows = []
        for r in g.sort_values(["park_id", "uscc"]).itertuples(index=False):
            k = RESOURCE[r.park_id]
            mwh = r.kwh / 1000.0
            waste, heat, water = k["waste_t"] * mwh, k["heat_gj"] * mwh, k["water_t"] * mwh
            rows.append(
                {
                    "park_id": r.park_id,
                    "uscc": r.uscc,
                    "month": month,
                    "solid_waste_generated_t": round(waste, 3),
                    "solid_waste_utilised_t": round(waste * k["util"], 3),
                    "waste_heat_recoverable_gj": round(heat, 3),
                    "waste_heat_recovered_gj": round(heat * k["heat"], 3),
                    "water_withdrawn_t": round(water, 3),
                    "water_reused_t": round(water * k["reuse"] / (1 - k["reuse"]), 3),
                    "green_direct_kwh": round(r.net_kwh * DIRECT_SHARE, 3)
                    if r.park_id == "DFG"
                    else 0.0,
                }
            )
        df = pd.DataFrame(rows)
        files.append(
            LandingFile(
                "park_resource_use",
                f"park_resource_use/park_resource_use_{month}.csv",
                pa.Table.from_pandas(df, preserve_index=False),
                period=month,
            )
        )
    return files + community_files(list(household_files))
