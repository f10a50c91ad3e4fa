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

import numpy as np
import pandas as pd
import pyarrow as pa

from carbon.domain import codes

REGION_COLUMNS = ("region_code", "parent_code", "province_code")
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


def county_map(city_code: str) -> dict[str, str]:
    """The demo city's codes -> the target city's: the city itself and each county slot."""
    from carbon.demo.plan import CITY, COUNTIES

    codes.check_city(city_code)
    r = codes.regions()
    own = list(r.loc[(r["parent_code"] == city_code) & (r["level"] == "county"), "region_code"])
    m = {CITY: city_code}
    for i, c in enumerate(COUNTIES):
        m[c] = own[i % len(own)]
    return m


def _remap_uscc(values: pa.Array, cmap: dict[str, str]) -> pa.Array:
    """USCCs registered in a demo county -> the same organisation in the mapped county."""
    valid = codes.valid_uscc_mask(values)
    if not valid.any():
        return values
    out = values.to_pylist()
    for i in np.flatnonzero(valid):
        v = out[i].strip().upper()
        region = v[2:8]
        if region in cmap:
            first17 = v[:2] + cmap[region] + v[8:17]
            out[i] = first17 + codes.uscc_check_digit(first17)
    return pa.array(out, type=pa.string())


def _short(name_zh: str) -> str:
    """A place name without its 市 / 区 / 县 suffix (as firm names use it: 大丰区 -> 大丰)."""
    return name_zh[:-1] if len(name_zh) > 2 and name_zh[-1] in "市区县" else name_zh


def place_names(cmap: dict[str, str]) -> list[tuple[str, str]]:
    """(demo place name, the city's) pairs for free text such as firm names, longest first."""
    names = dict(zip(codes.regions()["region_code"], codes.regions()["name_zh"], strict=True))
    pairs = {_short(names[a]): _short(names[b]) for a, b in cmap.items()}
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


def remap_table(dataset: str, table: pa.Table, cmap: dict[str, str]) -> pa.Table:
    """One landing table re-homed: region codes, USCC region parts, region names, and the demo
    city's place names in free text (firm names: 盐城… -> 宿迁…)."""
    import pyarrow.compute as pc

    names = dict(zip(codes.regions()["region_code"], codes.regions()["name_zh"], strict=True))
    places = place_names(cmap)
    cols = {}
    for name in table.column_names:
        col = table[name].combine_chunks()
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            if name in REGION_COLUMNS:
                col = pa.array([cmap.get(v, v) for v in col.to_pylist()], type=col.type)
            else:
                col = _remap_uscc(col.cast(pa.string()), cmap).cast(col.type)
                if not pc.all(pc.fill_null(pc.string_is_ascii(col), True)).as_py():
                    # one pass per name: a placeholder first, so a replaced name is not replaced again
                    for i, (a, _b) in enumerate(places):
                        col = pc.replace_substring(col, a, f"\x00{i}\x00")
                    for i, (_a, b) in enumerate(places):
                        col = pc.replace_substring(col, f"\x00{i}\x00", b)
        cols[name] = col
    out = pa.table(cols, schema=table.schema)
    if dataset == "regions":
        df = out.to_pandas()
        df["name_zh"] = [
            names.get(c, n) for c, n in zip(df["region_code"], df["name_zh"], strict=True)
        ]
        keys = [c for c in df.columns if c not in ("population", "gdp_10k_cny")]
        df = df.groupby(keys, sort=False, dropna=False, as_index=False)[
            ["population", "gdp_10k_cny"]
        ].sum()
        df["gdp_10k_cny"] = df["gdp_10k_cny"].round(1)
        out = pa.Table.from_pandas(
            df[table.column_names], schema=table.schema, preserve_index=False
        )
    return out


def remap_files(files: dict[str, list], city_code: str) -> None:
    """Re-home every landing file of the demo city (in place) to ``city_code``."""
    cmap = county_map(city_code)
    for dataset, fs in files.items():
        for f in fs:
            f.table = remap_table(dataset, f.table, cmap)


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
