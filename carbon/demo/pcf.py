"""Demo material purchases (issue 14 §2): the ``material_purchases`` landing files.

For the demo's cement, iron, steel, rolling and glass enterprises, each month's purchases follow
from that month's output in ``industrial_activity`` (before any injected defect) by the recipes
below: tonnes of material per tonne of product, and the transport to the gate. These are demo
assumptions of the usual order of magnitude (documented in docs/pcf.md), not factors:

- cement (3011): raw meal ≈ 1.5 t per t clinker (limestone 1.2 + clay 0.3; CaCO3 loses ≈ 35 %
  on calcination), gypsum 0.05 t per t cement;
- iron (3110): iron ore 1.6 t per t pig iron by rail, limestone flux 0.1 t;
- steel (3120): steel scrap 0.15 t and limestone flux 0.05 t per t crude steel;
- rolling (3130): crude steel billets 1.05 t per t of steel products (yield ≈ 95 %);
- flat glass (3041): silica sand 0.72, soda ash 0.2, dolomite 0.18 t per t glass.

Nitrogen fertiliser (2621) buys its feedstock as fuel (natural gas / coal, in its ledger), so it
has no material purchases here. Deliberate bad rows in the last month's file: one unknown
material code and one unknown unit (when the city has defects at all: both quarantined by the contract, the rest goes on; listed in
``demo_manifest/defects.csv`` by ``manifest_records``), and the first cement works reports its
gypsum in kg (converted to t at ingest).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from carbon.demo.writers import LandingFile

# industry -> (material, per product, t per t, transport mode, km)
RECIPES: dict[str, list[tuple[str, str, float, str | None, float | None]]] = {
    "3011": [
        ("limestone", "clinker", 1.2, "road", 30.0),
        ("clay", "clinker", 0.3, "road", 20.0),
        ("gypsum", "cement", 0.05, None, None),
    ],
    "3110": [
        ("iron_ore", "pig_iron", 1.6, "rail", 600.0),
        ("limestone", "pig_iron", 0.1, "road", 50.0),
    ],
    "3120": [
        ("steel_scrap", "crude_steel", 0.15, "road", 100.0),
        ("limestone", "crude_steel", 0.05, "road", 50.0),
    ],
    "3130": [("crude_steel", "steel_products", 1.05, "road", 200.0)],
    "3041": [
        ("silica_sand", "flat_glass", 0.72, "waterway", 300.0),
        ("soda_ash", "flat_glass", 0.2, "rail", 900.0),
        ("dolomite", "flat_glass", 0.18, "road", 60.0),
    ],
}
UNKNOWN_MATERIAL = "MAT999"
UNKNOWN_UNIT = "桶"  # barrels: not a unit of carbon.domain.units


def purchases(activity: pd.DataFrame, industry_of: dict[str, str]) -> pd.DataFrame:
    """Purchases of one month from that month's industrial_activity table."""
    rows = []
    for (uscc, month), g in activity.groupby(["uscc", "month"], sort=True):
        recipe = RECIPES.get(industry_of.get(uscc, ""))
        if not recipe:
            continue
        out = dict(zip(g["product_code"], pd.to_numeric(g["quantity"]), strict=True))
        for material, product, ratio, mode, km in recipe:
            if out.get(product, 0.0) > 0:
                rows.append(
                    {
                        "uscc": uscc,
                        "month": month,
                        "material_code": material,
                        "quantity": round(out[product] * ratio, 3),
                        "unit": "t",
                        "transport_mode": mode,
                        "transport_km": km,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=[
            "uscc",
            "month",
            "material_code",
            "quantity",
            "unit",
            "transport_mode",
            "transport_km",
        ],
    )


def pcf_files(plan, activity_files: list[LandingFile], bad_rows: bool = True) -> list[LandingFile]:
    """One file per month; ``bad_rows``: add the two deliberate bad rows (not in a clean city)."""
    industry_of = dict(zip(plan.register["uscc"], plan.register["industry_code"], strict=True))
    files = []
    last = max((f.period for f in activity_files), default=None)
    for f in sorted(activity_files, key=lambda f: f.period):
        df = purchases(f.table.to_pandas(), industry_of)
        if df.empty:
            continue
        cement = df.index[df["material_code"] == "gypsum"]
        if len(cement):  # the first cement works reports gypsum in kg
            i = cement[0]
            df.loc[i, "quantity"] = round(float(df.at[i, "quantity"]) * 1000.0, 3)
            df.loc[i, "unit"] = "kg"
        if bad_rows and f.period == last:
            first = df.iloc[0]
            bad = [
                {**first.to_dict(), "material_code": UNKNOWN_MATERIAL},
                {**first.to_dict(), "material_code": "fly_ash", "unit": UNKNOWN_UNIT},
            ]
            df = pd.concat([df, pd.DataFrame(bad)], ignore_index=True)
        files.append(
            LandingFile(
                "material_purchases",
                f"material_purchases/material_purchases_{f.period}.csv",
                pa.Table.from_pandas(df, preserve_index=False),
                period=f.period,
            )
        )
    return files


def manifest_records(files: list[LandingFile]) -> list[dict]:
    """The deliberate bad rows, as ``demo_manifest/defects.csv`` records (no duplicated rows here,
    so a row's number in the file is its index + 1)."""
    out = []
    for f in files:
        t = f.table.to_pandas()
        for i, r in t.iterrows():
            if r["material_code"] == UNKNOWN_MATERIAL:
                check, col, val = "known_code", "material_code", UNKNOWN_MATERIAL
            elif r["unit"] == UNKNOWN_UNIT:
                check, col, val = "unit", "unit", UNKNOWN_UNIT
            else:
                continue
            out.append(
                {
                    "dataset": "material_purchases",
                    "file": f.relpath,
                    "row_number": f.final_row(int(i)),
                    "check": check,
                    "column": col,
                    "value": val,
                }
            )
    return out
