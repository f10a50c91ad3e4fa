"""Units and fuel / product codes.

Every quantity carries its unit as text in the data (``t``, ``10^4 Nm3``, ``GJ``, ``kWh``, ``tCO2e``,
``10^4 CNY``). Conversion factors come from pint with the Chinese statistical units defined on top
(``Nm3`` normal cubic metres, ``tce`` tonnes of coal equivalent, ``10^4`` prefixes). Conversions are
computed once per (unit, target) pair and applied to whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pint

_ureg = pint.UnitRegistry()
_ureg.define("Nm3 = meter ** 3 = normal_cubic_meter")
_ureg.define("tce = 29.3076 * gigajoule")  # GB/T 2589: 1 kgce = 29.3076 MJ
_ureg.define("tonne_co2 = [co2_mass] = tCO2")
_ureg.define("tCO2e = tonne_co2")
_ureg.define("kgCO2 = tonne_co2 / 1000")
_ureg.define("yuan = [currency] = CNY")
_ureg.define("count = [items] = pcs")

# spellings seen in Chinese reports -> pint expressions
_ALIASES = {
    "t": "tonne",
    "吨": "tonne",
    "kt": "kilotonne",
    "10^4 t": "1e4 * tonne",
    "万吨": "1e4 * tonne",
    "kg": "kilogram",
    "Nm3": "Nm3",
    "m3": "Nm3",
    "10^4 Nm3": "1e4 * Nm3",
    "万立方米": "1e4 * Nm3",
    "10^8 Nm3": "1e8 * Nm3",
    "GJ": "gigajoule",
    "TJ": "terajoule",
    "MJ": "megajoule",
    "吉焦": "gigajoule",
    "kWh": "kilowatt_hour",
    "MWh": "megawatt_hour",
    "GWh": "gigawatt_hour",
    "10^4 kWh": "1e4 * kilowatt_hour",
    "万千瓦时": "1e4 * kilowatt_hour",
    "tce": "tce",
    "tCO2": "tonne_co2",
    "tCO2e": "tonne_co2",
    "kgCO2": "kgCO2",
    "10^4 CNY": "1e4 * yuan",
    "万元": "1e4 * yuan",
    "CNY": "yuan",
    "m": "meter",
    "10^4 m": "1e4 * meter",
    "m2": "meter ** 2",
    "pcs": "count",
    "10^4 pcs": "1e4 * count",
    "kW": "kilowatt",
    "MW": "megawatt",
}


class UnitError(ValueError):
    """An unknown unit, or a conversion between incompatible dimensions."""


def canonical(unit: str) -> str:
    u = unit.strip()
    if u not in _ALIASES:
        raise UnitError(f"unknown unit {unit!r}; known units: {sorted(_ALIASES)}")
    return u


@cache
def factor(from_unit: str, to_unit: str) -> float:
    """Multiply a quantity in ``from_unit`` by this to express it in ``to_unit``."""
    a, b = _ALIASES[canonical(from_unit)], _ALIASES[canonical(to_unit)]
    try:
        ratio = _ureg.parse_expression(a) / _ureg.parse_expression(b)
        return float(ratio.to("dimensionless").magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: {exc}") from exc


def convertible(from_unit: str, to_unit: str) -> bool:
    try:
        factor(from_unit, to_unit)
    except UnitError:
        return False
    return True


KNOWN_UNITS = frozenset(_ALIASES)


@dataclass(frozen=True)
class Fuel:
    code: str
    name_zh: str
    unit: str  # the unit reports use; the factor library is per this unit
    ceads_column: str  # column in the CEADs provincial inventory


FUELS: dict[str, Fuel] = {
    f.code: f
    for f in (
        Fuel("raw_coal", "原煤", "t", "Raw_Coal"),
        Fuel("cleaned_coal", "洗精煤", "t", "CleanedCoal"),
        Fuel("other_washed_coal", "其他洗煤", "t", "Other_Washed_Coal"),
        Fuel("briquettes", "型煤", "t", "Briquettes"),
        Fuel("coke", "焦炭", "t", "Coke"),
        Fuel("coke_oven_gas", "焦炉煤气", "10^4 Nm3", "Coke_Oven_Gas"),
        Fuel("other_gas", "其他煤气", "10^4 Nm3", "Other_Gas"),
        Fuel("other_coking_products", "其他焦化产品", "t", "Other_Coking_Products"),
        Fuel("crude_oil", "原油", "t", "Crude_Oil"),
        Fuel("gasoline", "汽油", "t", "Gasoline"),
        Fuel("kerosene", "煤油", "t", "Kerosene"),
        Fuel("diesel", "柴油", "t", "Diesel_Oil"),
        Fuel("fuel_oil", "燃料油", "t", "Fuel_Oil"),
        Fuel("lpg", "液化石油气", "t", "LPG"),
        Fuel("refinery_gas", "炼厂干气", "t", "Refinery_Gas"),
        Fuel("other_petroleum_products", "其他石油制品", "t", "Other_Petroleum_Products"),
        Fuel("natural_gas", "天然气", "10^4 Nm3", "Natural_Gas"),
    )
}


@dataclass(frozen=True)
class Product:
    code: str
    name_zh: str
    unit: str
    process_factor_id: str | None  # factor for process CO2 per unit of product, if any


PRODUCTS: dict[str, Product] = {
    p.code: p
    for p in (
        Product("electricity", "发电量", "MWh", None),
        Product("heat", "供热量", "GJ", None),
        Product("clinker", "水泥熟料", "t", "process_clinker"),
        Product("cement", "水泥", "t", None),
        Product("lime", "石灰", "t", "process_lime"),
        Product("pig_iron", "生铁", "t", None),
        Product("crude_steel", "粗钢", "t", "process_steel"),
        Product("steel_products", "钢材", "t", None),
        Product("flat_glass", "平板玻璃", "t", None),
        Product("ethylene", "乙烯", "t", None),
        Product("ammonia", "合成氨", "t", None),
        Product("yarn", "纱", "t", None),
        Product("fabric", "布", "10^4 m", None),
        Product("integrated_circuits", "集成电路", "10^4 pcs", None),
        Product("pcb", "印制电路板", "m2", None),
        Product("auto_parts", "汽车零部件", "10^4 CNY", None),
        Product("batteries", "锂离子电池", "10^4 kWh", None),
        Product("pv_modules", "光伏组件", "MW", None),
        Product("compute_service", "算力服务", "MWh", None),
        Product("other", "其他产品", "10^4 CNY", None),
    )
}
