"""The province (江苏省 320000): one data home per city under ``<home>/cities/<code>/``, the province
demo (``demo``), the roll-up of the cities' marts into ``<home>/province/`` (``rollup``) and the
nightly run over the cities (``nightly``). docs/province.md."""

from __future__ import annotations

from pathlib import Path

from carbon.domain.codes import city_codes


def city_home(province_home: str | Path, city_code: str) -> Path:
    """``<province home>/cities/<code>``: the city's own data home (landing, lake, warehouse)."""
    return Path(province_home).resolve() / "cities" / city_code


def province_dir(province_home: str | Path) -> Path:
    """``<province home>/province``: the province marts."""
    return Path(province_home).resolve() / "province"


def city_homes(province_home: str | Path) -> dict[str, Path]:
    """The city homes present under the province home, by city code, in GB/T 2260 order."""
    return {
        c: city_home(province_home, c) for c in city_codes() if city_home(province_home, c).is_dir()
    }
