"""The default emission factors the demo city is calibrated with (ONE dict, with sources).

tCO2 per unit of fuel = NCV × carbon content × oxidation rate × 44/12, Chinese guideline defaults
(省级温室气体清单编制指南 / GB/T 32150-2015 and the 24-industry accounting guidelines; values as
listed in shared/reference/sources.md and DESIGN §3). NCV is GJ per reporting unit (t or 10^4 Nm3),
carbon content tC/TJ, so tCO2/unit = NCV × CC × ox × 44/12 / 1000.

The ledger's factor library uses the same numbers; only these 11 fuels carry a default, so the demo
reports only these fuels (the other CEADs fuels are folded into the nearest one, see ``FUEL_REMAP``).
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


_GUIDE = "Chinese guideline default (GB/T 32150-2015 / provincial GHG inventory guideline)"

#: THE default fuel factors (fuel_code -> FuelFactor). tCO2 per reporting unit via ``.tco2_per_unit``.
FUEL_FACTORS: dict[str, FuelFactor] = {
    f.fuel_code: f
    for f in (
        # natural gas 389.31 GJ/10^4 Nm3, 15.3 tC/TJ, 99 % -> 21.62 tCO2 per 10^4 Nm3 (DESIGN §3)
        FuelFactor("natural_gas", "10^4 Nm3", 389.31, 15.3, 0.99, _GUIDE),
        FuelFactor("raw_coal", "t", 20.908, 26.37, 0.94, _GUIDE),
        FuelFactor("cleaned_coal", "t", 26.344, 25.41, 0.93, _GUIDE),
        FuelFactor("coke", "t", 28.435, 29.5, 0.93, _GUIDE),
        FuelFactor("crude_oil", "t", 41.816, 20.1, 0.98, _GUIDE),
        FuelFactor("fuel_oil", "t", 41.816, 21.1, 0.98, _GUIDE),
        FuelFactor("gasoline", "t", 43.070, 18.9, 0.98, _GUIDE),
        FuelFactor("diesel", "t", 42.652, 20.2, 0.98, _GUIDE),
        FuelFactor("lpg", "t", 50.179, 17.2, 0.98, _GUIDE),
        FuelFactor("kerosene", "t", 43.070, 19.6, 0.98, _GUIDE),
        FuelFactor("coke_oven_gas", "10^4 Nm3", 173.54, 12.1, 0.99, _GUIDE),
    )
}

#: tCO2 per unit of fuel in its reporting unit (carbon.units.FUELS[code].unit)
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
