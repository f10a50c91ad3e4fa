"""The default emission factors the demo city is calibrated with (ONE dict, with sources).

tCO2 per unit of fuel = NCV × carbon content × oxidation rate × 44/12, Chinese guideline defaults
(省级温室气体清单编制指南 / GB/T 32150-2015 and the 24-industry accounting guidelines; values as
listed in shared/reference/sources.md and DESIGN §3). NCV is GJ per reporting unit (t or 10^4 Nm3),
carbon content tC/TJ, so tCO2/unit = NCV × CC × ox × 44/12 / 1000.

The numbers are read from the ledger's factor library (carbon/domain/factors/data/emission_factors.csv);
the demo reports only these 11 fuels (the other CEADs fuels are folded into the nearest one, see ``FUEL_REMAP``).
"""

from __future__ import annotations

from dataclasses import dataclass

C_TO_CO2 = 44.0 / 12.0


@dataclass(frozen=True)
class FuelFactor:
    fuel_code: str
    unit: str
    ncv_gj_per_unit: float
    carbon_tc_per_tj: float
    oxidation: float
    source: str

    @property
    def tco2_per_unit(self) -> float:
        return self.ncv_gj_per_unit * self.carbon_tc_per_tj * self.oxidation * C_TO_CO2 / 1000.0


#: the demo's fuels: the 11 that the city's senders report (the other CEADs fuels fold into these)
DEMO_FUELS = (
    "natural_gas",
    "raw_coal",
    "cleaned_coal",
    "coke",
    "crude_oil",
    "fuel_oil",
    "gasoline",
    "diesel",
    "lpg",
    "kerosene",
    "coke_oven_gas",
)

#: the factor set the demo city is calibrated with (the ledger's default fuel set)
DEMO_FACTOR_VERSION = "CN-GUIDE-2013"


def _library_fuel_factors() -> dict[str, FuelFactor]:
    """THE default fuel factors, read from the ledger's factor library (one copy of the data)."""
    from carbon.domain.factors import load_factors

    lib = load_factors()
    rows = lib[(lib.category == "fuel") & (lib.factor_version == DEMO_FACTOR_VERSION)]
    by_fuel = {r.subject: r for r in rows.itertuples()}
    return {
        code: FuelFactor(
            code,
            by_fuel[code].unit.removeprefix("tCO2/"),
            float(by_fuel[code].ncv),
            float(by_fuel[code].carbon_content_tc_per_tj),
            float(by_fuel[code].oxidation_rate),
            f"{by_fuel[code].factor_version}: {by_fuel[code].source_document}",
        )
        for code in DEMO_FUELS
    }


#: fuel_code -> FuelFactor, tCO2 per reporting unit via ``.tco2_per_unit``
FUEL_FACTORS: dict[str, FuelFactor] = _library_fuel_factors()

#: tCO2 per unit of fuel in its reporting unit (carbon.domain.units.FUELS[code].unit)
TCO2_PER_UNIT: dict[str, float] = {k: v.tco2_per_unit for k, v in FUEL_FACTORS.items()}

#: process CO2 per tonne of product (industry guidelines: cement, lime, iron & steel)
PROCESS_FACTORS: dict[str, float] = {
    "clinker": 0.538,  # 水泥熟料, calcination, cement-industry guideline default
    "lime": 0.683,  # 石灰, lime-industry guideline default
    "crude_steel": 0.15,  # 粗钢, BF-BOF carbonate flux (≈, iron & steel guideline)
}

#: CEADs fuels without a default factor here -> the fuel that reports them in the demo city
FUEL_REMAP: dict[str, str] = {
    "other_washed_coal": "raw_coal",
    "briquettes": "raw_coal",
    "other_gas": "coke_oven_gas",  # blast-furnace / converter gas -> reported as coke-oven gas
    "other_coking_products": "coke",
    "refinery_gas": "lpg",
    "other_petroleum_products": "fuel_oil",
}

#: the heat factor (tCO2/GJ) of DESIGN §3, Scope 2; not part of the Scope-1 calibration
HEAT_TCO2_PER_GJ = 0.11

#: calibration target: CEADs 2019 Yancheng total 44.99 Mt CO2 (production-based Scope 1)
TARGET_TCO2_PER_YEAR = 45.0e6


def emissions_tco2(fuel_code: str, quantity: float) -> float:
    """Scope-1 combustion CO2 of ``quantity`` of a fuel in its reporting unit."""
    return TCO2_PER_UNIT[fuel_code] * quantity
