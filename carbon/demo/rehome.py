"""The demo city re-homed to another Jiangsu city (the province demo, ``carbon.province.demo``).

Its nine county slots are laid on the city's own GB/T 2260 counties in code order; every region
code, every USCC's region part (check digit recomputed) and the demo city's place names in free
text become the city's; the ``regions`` rows of one county are summed. Applied by
``carbon.demo.generate.generate(city_code=...)`` to the landing tables before the defects.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from carbon.domain import codes

REGION_COLUMNS = ("region_code", "parent_code", "province_code")


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
