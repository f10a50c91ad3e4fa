"""Domain vocabularies and plausible ranges behind the data contracts (pure data, no pandera).

The check names in ``CHECK_NAMES`` are the quarantine reasons: the demo generator injects one defect
of each kind, and the load reports count failures by these names.
"""

from __future__ import annotations

from functools import cache

from carbon.domain.ceads import SECTOR_NAMES

CHECK_NAMES: tuple[str, ...] = (
    "not_null",  # an empty required cell
    "parseable",  # text that does not parse as the column's type (set by the parse phase)
    "range",  # negative or absurd value
    "uscc_check_digit",  # GB 32100 check digit wrong
    "region_code",  # not a GB/T 2260 code known to carbon.domain.codes
    "known_code",  # unknown fuel / product / industry / behaviour / account type / sector code
    "unit",  # unknown unit, or not convertible to the fuel's / product's reporting unit
    "unique_key",  # a second row of one file with the same dataset key (the first one wins)
    "date_in_period",  # outside the period the file name states, or in the future
    "field_count",  # a row with more or fewer fields than the header (set by the reader)
)

ACCOUNT_TYPES: tuple[str, ...] = ("enterprise", "household", "public", "datacenter")
# accounts whose account_id is a USCC (households carry a pseudonymised 户号)
USCC_ACCOUNT_TYPES: frozenset[str] = frozenset({"enterprise", "public", "datacenter"})

# daily kWh per account type: above this a meter read is absurd (a 2 GW steel works uses ~20 GWh/d)
MAX_DAILY_KWH: dict[str, float] = {
    "household": 1_000.0,
    "public": 10_000_000.0,  # aggregated public accounts (street lighting, water works) run to GWh/d
    "enterprise": 50_000_000.0,
    "datacenter": 10_000_000.0,
}

# low-carbon behaviours and the units each may be reported in (first = canonical)
BEHAVIOURS: dict[str, tuple[str, ...]] = {
    "bus": ("trips", "km"),
    "metro": ("trips", "km"),
    "rail": ("trips", "km"),
    "cycling": ("km",),
    "walking": ("km", "steps"),
    "carpooling": ("km",),
    "ev_charging": ("kWh",),
    "second_hand": ("pcs",),
    "e_receipt": ("pcs",),
}
# absurd per-day amount per unit of a low-carbon behaviour
MAX_DAILY_BEHAVIOUR: dict[str, float] = {
    "trips": 50.0,
    "km": 500.0,
    "steps": 200_000.0,
    "kWh": 1_000.0,
    "pcs": 1_000.0,
}

LEVELS: tuple[str, ...] = ("province", "city", "county")

# the 47 row labels of a CEADs provincial inventory sheet (45 sectors + urban + rural households)
CEADS_SECTORS: tuple[str, ...] = SECTOR_NAMES


@cache
def sector_codes() -> frozenset[str]:
    """CEADs sector labels, plus any spelling the GB/T 4754 mapping table uses."""
    from carbon.domain.codes import industries

    return frozenset(CEADS_SECTORS) | frozenset(industries()["ceads_sector"])


# (low, high) inclusive plausible ranges per dataset column, in the lake (reporting) unit
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "regions": {
        "year": (1949, 2100),
        "population": (1, 200_000_000),
        "gdp_10k_cny": (0, 1e10),
    },
    "electricity_consumption": {"kwh": (0, 5e7), "green_kwh": (0, 5e7)},
    "fuel_consumption": {"quantity": (0, 1e8)},
    "heat_consumption": {"gj_purchased": (0, 1e9), "gj_exported": (0, 1e9)},
    "industrial_activity": {
        "quantity": (0, 1e9),
        "output_value_10k_cny": (0, 1e8),
        "value_added_10k_cny": (0, 1e8),
    },
    "sector_energy_balance": {"year": (1949, 2100), "quantity": (0, 1e9)},
    "households": {"members": (1, 20)},
    "low_carbon_activity": {"quantity": (0, 200_000)},
    "grid_signals": {"price_cny_per_kwh": (0, 5), "carbon_intensity_kg_per_kwh": (0, 1.5)},
    "park_resource_use": {
        "solid_waste_generated_t": (0, 1e8),
        "solid_waste_utilised_t": (0, 1e8),
        "waste_heat_recoverable_gj": (0, 1e9),
        "waste_heat_recovered_gj": (0, 1e9),
        "water_withdrawn_t": (0, 1e9),
        "water_reused_t": (0, 1e10),
        "green_direct_kwh": (0, 1e10),
    },
    "community_energy": {
        "public_kwh": (0, 1e8),
        "pv_kwh": (0, 1e8),
        "green_purchase_kwh": (0, 1e8),
    },
    "material_purchases": {"quantity": (0, 1e8), "transport_km": (0, 20_000)},
    "datacenter_telemetry": {
        "it_kw": (0, 1e6),
        "facility_kw": (0, 2e6),
        "pv_kw": (0, 1e6),
        "wind_kw": (0, 1e6),
        "battery_soc": (0, 1),
    },
}
