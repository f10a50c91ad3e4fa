"""Codes: GB/T 2260 regions, GB 32100 unified social credit codes, GB/T 4754-2017 industries.

The USCC check digit comes from python-stdnum (``stdnum.cn.uscc``), the field's maintained
implementation; the region and industry tables ship as CSV under ``carbon/domain/data``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _read(name: str) -> pd.DataFrame:
    with resources.files("carbon.domain.data").joinpath(name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def regions() -> pd.DataFrame:
    """GB/T 2260 codes known to the system: Jiangsu, its 13 cities and their 95 county-level
    divisions (民政部 2023 list, carbon/domain/data/README.md)."""
    return _read("gbt2260_regions.csv")


#: the default city of a data home (the Yancheng demo) when its ``city.json`` names none
DEFAULT_CITY = "320900"


def city_codes() -> tuple[str, ...]:
    """The 13 prefecture-level cities of Jiangsu, in GB/T 2260 order."""
    r = regions()
    return tuple(r.loc[r["level"] == "city", "region_code"])


def check_city(city_code: str) -> str:
    """``city_code`` if it is one of the cities known here, else a ValueError naming it."""
    if city_code not in city_codes():
        raise ValueError(
            f"city code {city_code!r} is not a Jiangsu prefecture-level city of GB/T 2260 "
            f"(known: {', '.join(city_codes())})"
        )
    return city_code


@cache
def home_regions(city_code: str = DEFAULT_CITY) -> pd.DataFrame:
    """A city home's region tree: the province, its 13 cities, and this city's own counties
    (the Yancheng home's tree is the one it always had)."""
    r = regions()
    check_city(city_code)
    keep = (r["level"] != "county") | (r["parent_code"] == city_code)
    return r[keep].reset_index(drop=True)


@cache
def city_region_codes(city_code: str = DEFAULT_CITY) -> frozenset[str]:
    """The codes a city home's rows may carry: the province, the city and its own counties."""
    r = regions()
    check_city(city_code)
    own = (r["region_code"] == city_code) | (r["parent_code"] == city_code)
    return frozenset(r.loc[own | (r["level"] == "province"), "region_code"])


@cache
def region_codes() -> frozenset[str]:
    return frozenset(regions()["region_code"])


@cache
def industries() -> pd.DataFrame:
    """GB/T 4754-2017 classes (4-digit) used here, with their division and CEADs sector."""
    return _read("gbt4754_2017.csv")


@cache
def industry_codes() -> frozenset[str]:
    return frozenset(industries()["industry_code"])


def is_valid_region(code: str) -> bool:
    return isinstance(code, str) and code in region_codes()


def uscc_check_digit(first17: str) -> str:
    """GB 32100-2015 check digit for the first 17 characters of a USCC."""
    return _uscc.calc_check_digit(first17)


def is_valid_uscc(code: object) -> bool:
    """True if ``code`` is an 18-character USCC whose check digit is right."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    try:
        _uscc.validate(code)
    except ValidationError:
        return False
    return True


_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_uscc_mask(values) -> np.ndarray:
    """``is_valid_uscc`` of every value of an Arrow string array at once (nulls: False).

    The same rule as python-stdnum's ``cn.uscc`` (the scalar reference; tests compare the two):
    18 characters, upper-cased, the first 8 digits, the rest in the GB 32100 alphabet, and the
    check digit of the weighted sum mod 31. Vectorised over the bytes with numpy."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.string())
    n = len(values)
    out = np.zeros(n, dtype=bool)
    # an 18-character candidate must be ASCII (no other character survives upper() into the
    # alphabet), so 18 characters = 18 bytes
    cand = pc.and_(pc.equal(pc.binary_length(values), 18), pc.string_is_ascii(values))
    rows = np.flatnonzero(np.asarray(pc.fill_null(cand, False)))
    if not len(rows):
        return out
    up = pc.ascii_upper(values.take(pa.array(rows)))
    up = up.combine_chunks() if isinstance(up, pa.ChunkedArray) else up
    off = np.frombuffer(up.buffers()[1], dtype=np.int32)[up.offset : up.offset + len(rows) + 1]
    data = np.frombuffer(up.buffers()[2], dtype=np.uint8)
    chars = data[off[:-1, None] + np.arange(18)]  # (m, 18) bytes
    lut = np.full(256, -1, dtype=np.int64)
    lut[np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(USCC_ALPHABET))
    vals = lut[chars]
    ok = (vals[:, :8] >= 0).all(axis=1) & (vals[:, :8] < 10).all(axis=1)
    ok &= (vals[:, 8:] >= 0).all(axis=1)
    total = (vals[:, :17] * np.array(_USCC_WEIGHTS, dtype=np.int64)).sum(axis=1)
    ok &= vals[:, 17] == (31 - total) % 31
    out[rows] = ok
    return out


def make_uscc(region_code: str, org_code8: str, authority: str = "9", kind: str = "1") -> str:
    """Build a valid USCC from its parts (org code: 8 chars; its GB 11714 check is computed)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(org_code8, weights, strict=True))
    c9 = 11 - total % 11
    org9 = org_code8 + {10: "X", 11: "0"}.get(c9, str(c9))
    first17 = f"{authority}{kind}{region_code}{org9}"
    return first17 + uscc_check_digit(first17)
