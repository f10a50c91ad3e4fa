"""Product carbon-footprint factor library (产品碳足迹因子库), issue 14 §2; see docs/pcf.md.

One copy of the data, read here and loaded by dbt as seeds (``seed-paths`` includes
``carbon/domain/pcf/data``):

- ``pcf_factors.csv``: cradle-to-gate (or, where so stated, narrower) factors per unit of a
  material, product or transport service. Each row stores the value **as published** with its
  unit, the document and table it comes from, where it was read (``source_url``), the system
  boundary, the GWP set, the geography, and a data-quality rating (``dq_*``, 1 best … 5 worst;
  rubric in docs/pcf.md). ``source_status`` says whether the value was read in the source or as
  quoted by a secondary one. A row with ``ref_factor_id`` reuses a row of the emission-factor
  library (``carbon/domain/factors``) instead of copying its value. ``fit_for_pcf = false`` marks
  a factor whose boundary is too narrow to stand for an input's footprint: the input then counts
  as missing, never as zero.
- ``pcf_materials.csv``: the material and transport codes a ``material_purchases`` row may use,
  the unit quantities are stored in (t; t·km for transport) and the factor each maps to (empty:
  no factor sourced here).

A new edition of a source is a new ``pcf_factor_version`` row; rows are never edited in place.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"

#: published unit -> multiplier to kgCO2e per ``per_unit`` (the value is stored as published)
KG_PER_PUBLISHED_UNIT: dict[str, float] = {
    "tCO2/t": 1000.0,
    "tCO2e/t": 1000.0,
    "kgCO2e/t": 1.0,
    "kgCO2e/tkm": 1.0,
    "tCO2/MWh": 1000.0,
}
REQUIRED = (
    "pcf_factor_id",
    "pcf_factor_version",
    "per_unit",
    "system_boundary",
    "gwp_set",
    "source_document",
    "source_table",
    "source_url",
    "source_status",
)


class PcfFactorError(ValueError):
    """A library row without its source, boundary, GWP set or rating, or in an unknown unit."""


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype=str, keep_default_na=False)


@cache
def materials() -> pd.DataFrame:
    """material_code, name_zh, name_en, unit, kind (material / transport), pcf_factor_id, note."""
    return _read("pcf_materials.csv")


@cache
def material_codes() -> frozenset[str]:
    m = materials()
    return frozenset(m.loc[m["kind"] == "material", "material_code"])


@cache
def transport_modes() -> frozenset[str]:
    m = materials()
    return frozenset(m.loc[m["kind"] == "transport", "material_code"])


def material_unit(code: str) -> str | None:
    """The unit purchases of ``code`` are stored in (None: unknown material)."""
    m = materials().set_index("material_code")
    return m.at[code, "unit"] if code in m.index and m.at[code, "kind"] == "material" else None


@cache
def load_factors() -> pd.DataFrame:
    """The library with each row's value resolved: ``kgco2e_per_unit`` (float64, full precision).

    A ``ref_factor_id`` row takes its value from the emission-factor library row it names
    (``grid_electricity`` MEE-2024-33 CN location for electricity)."""
    from carbon.domain.factors import load_factors as emission_factors

    df = _read("pcf_factors.csv")
    for col in REQUIRED:
        bad = df[df[col].str.strip() == ""]
        if len(bad):
            raise PcfFactorError(f"pcf_factors.csv: {col} empty on {list(bad.pcf_factor_id)}")
    for col in ("dq_reliability", "dq_temporal", "dq_geography"):
        v = pd.to_numeric(df[col], errors="raise").astype("int64")
        if not v.between(1, 5).all():
            raise PcfFactorError(f"pcf_factors.csv: {col} outside 1..5")
        df[col] = v
    df["dq_rating"] = df[["dq_reliability", "dq_temporal", "dq_geography"]].max(axis=1)
    df["fit_for_pcf"] = df["fit_for_pcf"].map({"true": True, "false": False})
    if df["fit_for_pcf"].isna().any():
        raise PcfFactorError("pcf_factors.csv: fit_for_pcf must be true or false")
    ef = emission_factors()
    values, units_ = [], []
    for r in df.itertuples(index=False):
        if r.ref_factor_id:
            hit = ef[
                (ef.factor_id == r.ref_factor_id)
                & (ef.factor_version == r.ref_factor_version)
                & (ef.region == r.ref_region)
                & (ef.basis == r.ref_basis)
            ]
            if len(hit) != 1:
                raise PcfFactorError(f"{r.pcf_factor_id}: reference row not found exactly once")
            values.append(float(hit["value"].iloc[0]))
            units_.append(hit["unit"].iloc[0])
        else:
            values.append(float(r.value))
            units_.append(r.unit)
    df["published_value"] = values
    df["published_unit"] = units_
    unknown = set(df["published_unit"]) - set(KG_PER_PUBLISHED_UNIT)
    if unknown:
        raise PcfFactorError(f"pcf_factors.csv: unknown units {sorted(unknown)}")
    df["kgco2e_per_unit"] = df["published_value"] * df["published_unit"].map(KG_PER_PUBLISHED_UNIT)
    return df


def factor_for(material_code: str) -> pd.Series | None:
    """The library row a material or transport code maps to (None: no factor sourced here)."""
    m = materials().set_index("material_code")
    if material_code not in m.index or not m.at[material_code, "pcf_factor_id"]:
        return None
    lib = load_factors().set_index("pcf_factor_id")
    return lib.loc[m.at[material_code, "pcf_factor_id"]]
