"""What one enterprise of each demo industry can plausibly emit in a year (the demo's firm bounds).

The demo splits the city's CEADs sector totals over the firms it registers. At ``tiny`` scale a
sector has one or two firms, so without a bound one road-freight firm took the whole
transport sector (2.08 MtCO2/yr: "射阳创新物流", 3.81 Mt over the 22-month window, as much as
a national express carrier), one spinning mill 1.6 TWh of electricity, one primary school
120 GWh. Every firm is now held to the bound of its GB/T 4754-2017 class below: Scope 1 (fuel +
process, tCO2/yr), grid electricity (GWh/yr) and purchased heat (GJ/yr). What a sector's
reporters cannot plausibly emit stays in the top-down energy balance only (non-reporting firms,
private vehicles, ...), as in a real city.

Each bound is the upper end for a large plant of its kind in a Yancheng-sized city, from the
plant size in the note and the guideline factors (coal power ≈ 0.82 tCO2/MWh, BF-BOF steel ≈ 1.9
tCO2/t crude steel, clinker ≈ 0.86 tCO2/t incl. fuel, diesel 3.096 tCO2/t, heat 0.11 tCO2/GJ).
They are engineering estimates, not published statistics: ``plausible_tco2e`` is what the tests
hold the generated demo to (docs/demo-city.md, "Plausibility bounds").
"""

from __future__ import annotations

from dataclasses import dataclass

#: grid factor used for the total bound (above the 2022-2023 national / Jiangsu factors, 0.53-0.60)
BOUND_GRID_TCO2_PER_MWH = 0.6
HEAT_TCO2_PER_GJ = 0.11


@dataclass(frozen=True)
class FirmBound:
    industry_code: str
    division: str  # GB/T 4754-2017 division (大类)
    scope1_tco2: float  # fuel + process, tCO2/yr
    grid_gwh: float  # grid electricity, GWh/yr
    heat_gj: float  # heat purchased, GJ/yr
    basis: str  # the plant the bound is sized on

    @property
    def plausible_tco2e(self) -> float:
        """Scope 1 + Scope 2 (electricity at 0.6 t/MWh, purchased heat) of the bounding plant."""
        return (
            self.scope1_tco2
            + self.grid_gwh * 1000.0 * BOUND_GRID_TCO2_PER_MWH
            + self.heat_gj * HEAT_TCO2_PER_GJ
        )


_B = FirmBound
FIRM_BOUNDS: dict[str, FirmBound] = {
    b.industry_code: b
    for b in (
        # 44 电力、热力生产和供应业
        _B(
            "4411",
            "44",
            12e6,
            200,
            0,
            "coal power 4 × 660 MW or 2 × 1,000 MW, 6,000 h × 0.82 t/MWh",
        ),
        _B("4412", "44", 6e6, 200, 0, "CHP 2 × 660 MW (热电联产), steam to an industrial park"),
        _B("4415", "44", 1e3, 50, 0, "wind farm: auxiliary power only, no fuel"),
        _B("4416", "44", 1e3, 50, 0, "PV plant: auxiliary power only, no fuel"),
        _B("4430", "44", 1.5e6, 50, 0, "district heat plant, 10 × 116 MW coal / gas boilers"),
        # 31 黑色金属冶炼和压延加工业; 30 非金属矿物制品业
        _B(
            "3110",
            "31",
            12e6,
            3000,
            0,
            "ironmaking of a 6 Mt/yr BF-BOF works (blast furnaces, sinter, coke)",
        ),
        _B("3120", "31", 12e6, 3000, 0, "steelmaking of a 6 Mt/yr BF-BOF works, incl. flux CO2"),
        _B("3130", "31", 0.6e6, 600, 0, "rolling mill, 5 Mt/yr, reheating furnaces ≈ 1.3 GJ/t"),
        _B("3011", "30", 4e6, 500, 0, "cement, 3 × 5,000 t/d clinker lines (≈ 4.6 Mt clinker)"),
        _B("3012", "30", 0.6e6, 80, 0, "lime, 0.5 Mt/yr (process 0.683 t/t + kiln fuel)"),
        _B("3041", "30", 0.8e6, 300, 0, "flat glass, 4 float lines of 600 t/d"),
        # 25 石油加工; 26 化学原料和化学制品制造业
        _B("2511", "25", 5e6, 1500, 5e6, "refinery, 10 Mt/yr crude"),
        _B("2614", "26", 2e6, 1500, 10e6, "organic chemicals complex in a chemical park"),
        _B("2621", "26", 3e6, 1000, 5e6, "coal-based ammonia, 1 Mt/yr"),
        _B("2651", "26", 1e6, 1000, 5e6, "synthetic resins, 1 Mt/yr"),
        # light industry and manufacturing
        _B("1311", "13", 10e3, 30, 0.2e6, "rice mill, 0.5 Mt/yr"),
        _B("1711", "17", 30e3, 300, 1e6, "cotton spinning, 1 M spindles (≈ 100 kt yarn)"),
        _B(
            "1713",
            "17",
            150e3,
            150,
            3e6,
            "dyeing and finishing, own coal boilers or ≈ 1 Mt steam/yr",
        ),
        _B("2211", "22", 1.5e6, 1000, 10e6, "pulp and paper, 1 Mt/yr"),
        _B("3411", "34", 30e3, 100, 0, "boiler maker (heat treatment, paint shop, test firing)"),
        _B("3670", "36", 50e3, 300, 0, "auto parts, large casting / paint plant"),
        _B("3825", "38", 30e3, 1500, 0, "PV cells and modules, ≈ 10 GW/yr"),
        _B("3841", "38", 50e3, 1500, 2e6, "lithium-ion batteries, ≈ 30 GWh/yr gigafactory"),
        _B("3973", "39", 50e3, 1000, 0, "integrated circuits, a 12-inch fab"),
        _B("3982", "39", 30e3, 500, 0, "printed circuit boards"),
        # utilities, services, public bodies
        _B("4500", "45", 50e3, 20, 0, "city gas supplier: own boilers, vehicles, LNG vaporisers"),
        _B("4610", "46", 5e3, 100, 0, "city water works and pumping"),
        _B(
            "5411", "54", 150e3, 100, 0, "city bus company, ≈ 3,000 buses (diesel / CNG / electric)"
        ),
        _B(
            "5431",
            "54",
            150e3,
            20,
            0,
            "road freight, ≈ 1,500 heavy trucks × 100,000 km × 33 L/100 km",
        ),
        _B("5910", "59", 20e3, 20, 0, "warehousing: forklifts, yard trucks"),
        _B("5212", "52", 5e3, 50, 0, "supermarket chain"),
        _B("6110", "61", 10e3, 50, 0, "large hotel group"),
        _B("6450", "64", 5e3, 500, 0, "data centre, ≤ 50 MW IT (diesel back-up only)"),
        _B("8321", "83", 2e3, 5, 0, "large primary school (canteen gas)"),
        _B("8411", "84", 10e3, 60, 0, "tertiary general hospital (三甲), 3,000 beds"),
        _B("9221", "92", 20e3, 30, 0, "county government offices and fleet"),
    )
}
del _B


def bound_of(industry_code: str) -> FirmBound:
    """The bound of a class; a class without one is a programming error (every demo class has one)."""
    return FIRM_BOUNDS[industry_code]
