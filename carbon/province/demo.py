"""The province demo: ``carbon demo-data --province`` writes one city home per Jiangsu city.

Each city home is the demo city (``carbon.demo.generate``, Yancheng-shaped: its register of
industries, households, meter days) re-homed to that city: its nine county slots are laid
on the city's own GB/T 2260 counties in code order (a city with fewer counties takes several
slots in one county, whose population and GDP are then summed; Nanjing's eleven get nine slots,
so two of its counties hold no demo firm), every region code and every USCC's region part is the
city's (USCC check digits recomputed), and its Scope-1 target is the city's own CEADs 2019 total
(``city_targets``), so each city's bottom-up and top-down figures are sized to its own inventory.
A city without a CEADs figure (Xuzhou 320300 and Huai'an 320800 have none in the 2019 city file)
keeps the demo's default target and its summary says so. The zero-carbon parks are Yancheng's
(carbon/domain/data/parks): another city's home has no park datasets.
``<city home>/city.json`` names the city (the home's region tree and region check follow it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from carbon.domain import codes

CEADS_YEAR = 2019


def city_targets(ref_dir: Path | None = None) -> dict[str, float]:
    """CEADs city totals of ``CEADS_YEAR``, t CO2/yr, by city code (the cities CEADs gives)."""
    from carbon.domain.ceads import CITY_FILE, read_city_totals, reference_dir

    path = (ref_dir or reference_dir()) / CITY_FILE
    if not path.exists():
        raise FileNotFoundError(f"CEADs city file not found: {path} (set CARBON_REFERENCE_DIR)")
    t = read_city_totals(path)
    t = t[t["year"] == CEADS_YEAR]
    return {str(c): float(v) * 1e6 for c, v in zip(t["region_code"], t["mt_co2"], strict=True)}


def write_city_file(home: str | Path, city_code: str) -> Path:
    """``<home>/city.json``: the city this home accounts for."""
    from carbon.config import paths

    codes.check_city(city_code)
    p = paths(home).city_file
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"city_code": city_code}) + "\n", encoding="utf-8")
    return p


def generate_province(
    home: str | Path,
    scale: str = "tiny",
    seed: int = 42,
    cities: Iterable[str] | None = None,
    **kw,
) -> pd.DataFrame:
    """Write every city's home under ``<home>/cities/<code>/``; one row per city: code, names,
    target t CO2/yr and its source, seconds, files."""
    from carbon.demo.factors import TARGET_TCO2_PER_YEAR
    from carbon.demo.generate import generate
    from carbon.province import city_home

    targets = city_targets()
    r = codes.regions().set_index("region_code")
    rows = []
    for code in cities or codes.city_codes():
        codes.check_city(code)
        h = city_home(home, code)
        write_city_file(h, code)
        target = targets.get(code)
        s = generate(
            h,
            scale=scale,
            seed=seed + int(code[2:4]),
            city_code=code,
            target_tco2=target if target is not None else TARGET_TCO2_PER_YEAR,
            **kw,
        )
        rows.append(
            {
                "city_code": code,
                "name_zh": r.at[code, "name_zh"],
                "name_en": r.at[code, "name_en"],
                "target_tco2": target if target is not None else TARGET_TCO2_PER_YEAR,
                "target_source": f"CEADs {CEADS_YEAR}"
                if target is not None
                else "demo default (no CEADs figure)",
                "seconds": s.seconds,
                "files": sum(s.files.values()),
            }
        )
    return pd.DataFrame(rows)
