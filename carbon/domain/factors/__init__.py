"""The emission-factor library: versioned factors as data, and the rules that pick one.

One copy of the data: ``carbon/domain/factors/data/emission_factors.csv`` (read here, and loaded by dbt
as the seed ``emission_factors`` through ``seed-paths``). Every row carries its source document,
notice number and publication date. See docs/factors.md.

Selection: the ledgers' rule lives in ONE place, the warehouse (``models/intermediate/factors/
int_factors__selected.sql``, unit-tested by the ``unit_tests:`` in ``models/intermediate/
_intermediate.yml``; docs/factors.md). ``select`` / ``fuel_factor`` below are kept for one
consumer outside the ledgers only: the dispatch model's backup-diesel factor
(``optimizers.scenario.diesel_factor``), which plans before any warehouse exists. They apply the
same order for a national factor:

1. Eligible rows: the factor id and basis asked for, published on or before ``as_of`` (default:
   no limit), ``valid_from_year <= year``, and, when a version is pinned, that version only.
2. Year first: a row whose validity covers the year beats any earlier one; otherwise the row with
   the latest ``valid_to_year`` (the "latest earlier year").
3. Then region: province, then its grid region (``grid_regions.csv``), then national ``CN``.
4. Then the latest ``published_date`` (a newer notice supersedes an older one), then version.

Nothing found raises ``MissingFactorError`` naming the factor, year, region and basis: never a
silent zero.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

import pandas as pd

from carbon.domain.units import FUELS, PRODUCTS, factor

SCOPE2_BASES = ("location", "market")
NATIONAL = "CN"


class MissingFactorError(LookupError):
    """No factor in the library for the activity: names the factor that is missing."""


@dataclass(frozen=True)
class Factor:
    factor_id: str
    factor_version: str
    region: str
    basis: str
    value: float
    unit: str
    valid_from_year: int
    valid_to_year: int
    ncv: float | None
    source_document: str
    notice_number: str
    published_date: str


def _read(name: str) -> pd.DataFrame:
    with resources.files("carbon.domain.factors").joinpath("data", name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def load_factors() -> pd.DataFrame:
    """The whole library, typed (value/ncv floats, years ints)."""
    df = _read("emission_factors.csv")
    for col in ("value", "ncv", "carbon_content_tc_per_tj", "oxidation_rate"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("float64")
    derived = df.category == "fuel"
    if df.loc[derived, "value"].notna().any():
        raise ValueError("emission_factors.csv: fuel rows store their parameters, not a value")
    df.loc[derived, "value"] = fuel_factor_from_parameters(
        df.loc[derived, "ncv"],
        df.loc[derived, "carbon_content_tc_per_tj"],
        df.loc[derived, "oxidation_rate"],
    )
    for col in ("valid_from_year", "valid_to_year"):
        df[col] = df[col].astype("int64")
    return df


def fuel_factor_from_parameters(ncv, carbon_content_tc_per_tj, oxidation_rate):
    """tCO2 per reporting unit = NCV (GJ/unit) × carbon content (tC/TJ) × oxidation × 44/12 / 1000.

    The guidelines publish the three parameters, not the factor: it is derived here at full
    precision (float64), never stored rounded. The SQL twin is the macro
    ``fuel_factor_from_parameters`` used by ``int_factors__library``; a test keeps them equal.
    """
    return ncv * carbon_content_tc_per_tj * oxidation_rate * 44.0 / 12.0 / 1000.0


@cache
def grid_regions() -> dict[str, str]:
    """Province code (GB/T 2260) -> grid region (EAST_CHINA, ...)."""
    df = _read("grid_regions.csv")
    return dict(zip(df.province_code, df.grid_region, strict=True))


def province_of(region_code: str) -> str:
    """GB/T 2260: the province is the first two digits followed by 0000."""
    if len(region_code) != 6 or not region_code.isdigit():
        return region_code
    return region_code[:2] + "0000"


def region_chain(region_code: str) -> list[str]:
    """Fallback order for a region: province, grid region, national."""
    if region_code == NATIONAL:
        return [NATIONAL]
    prov = province_of(region_code)
    chain = [prov]
    if prov in grid_regions():
        chain.append(grid_regions()[prov])
    elif not prov.isdigit():
        chain = [prov]
    if NATIONAL not in chain:
        chain.append(NATIONAL)
    return chain


def scope2_basis() -> str:
    """Configured Scope 2 basis for the journal: env CARBON_SCOPE2_BASIS, default location."""
    basis = os.environ.get("CARBON_SCOPE2_BASIS", "location")
    if basis not in SCOPE2_BASES:
        raise ValueError(f"CARBON_SCOPE2_BASIS must be one of {SCOPE2_BASES}, not {basis!r}")
    return basis


def select(
    factor_id: str,
    year: int,
    region: str = NATIONAL,
    basis: str = "default",
    *,
    as_of: date | str | None = None,
    version: str | None = None,
    gwp_set: str | None = None,
) -> Factor:
    """The factor row the selection rules pick (see module doc); MissingFactorError if none."""
    df = load_factors()
    cand = df[(df.factor_id == factor_id) & (df.basis == basis) & (df.valid_from_year <= year)]
    if gwp_set is not None:
        cand = cand[cand.gwp_set == gwp_set]
    if as_of is not None:
        cand = cand[cand.published_date <= str(as_of)]
    if version is not None:
        cand = cand[cand.factor_version == version]
    chain = region_chain(region)
    cand = cand[cand.region.isin(chain)]
    if cand.empty:
        raise MissingFactorError(
            f"missing emission factor {factor_id!r} (basis {basis!r}) for year {year}, "
            f"region {region} (searched {chain})"
            + (f", published by {as_of}" if as_of else "")
            + (f", version {version}" if version else "")
        )
    cand = cand.assign(
        _eff_year=cand.valid_to_year.clip(upper=year),
        _region_rank=cand.region.map({r: i for i, r in enumerate(chain)}),
    ).sort_values(
        ["_eff_year", "_region_rank", "published_date", "factor_version"],
        ascending=[False, True, False, False],
        kind="stable",
    )
    r = cand.iloc[0]
    return Factor(
        factor_id=r.factor_id,
        factor_version=r.factor_version,
        region=r.region,
        basis=r.basis,
        value=float(r.value),
        unit=r.unit,
        valid_from_year=int(r.valid_from_year),
        valid_to_year=int(r.valid_to_year),
        ncv=None if pd.isna(r.ncv) else float(r.ncv),
        source_document=r.source_document,
        notice_number=r.notice_number,
        published_date=r.published_date,
    )


def fuel_factor(fuel_code: str, year: int, *, version: str | None = None) -> Factor:
    """Combustion factor per reporting unit of ``carbon.domain.units.FUELS[fuel_code]``."""
    if fuel_code not in FUELS:
        raise MissingFactorError(f"missing emission factor 'fuel_{fuel_code}': unknown fuel code")
    return select(f"fuel_{fuel_code}", year, version=version)


def unit_conversions() -> pd.DataFrame:
    """Conversion of every known unit into each fuel / product reporting unit, GJ and MWh.

    Written to the dbt seed ``unit_conversions`` by ``carbon.pipeline.warehouse.build`` so SQL converts with the
    same pint factors as Python (a unit missing here is an unknown unit in dbt).
    """
    from carbon.domain.units import KNOWN_UNITS, convertible

    targets = sorted(
        {f.unit for f in FUELS.values()} | {p.unit for p in PRODUCTS.values()} | {"GJ", "MWh"}
    )
    rows = [(u, t, factor(u, t)) for u in sorted(KNOWN_UNITS) for t in targets if convertible(u, t)]
    return pd.DataFrame(rows, columns=["from_unit", "to_unit", "multiplier"])
