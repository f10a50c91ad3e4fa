"""Codes: GB/T 2260 regions, GB 32100 unified social credit codes, GB/T 4754-2017 industries.

The USCC check digit comes from python-stdnum (``stdnum.cn.uscc``), the field's maintained
implementation; the region and industry tables ship as CSV under ``carbon/data``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd
from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _read(name: str) -> pd.DataFrame:
    with resources.files("carbon.data").joinpath(name).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def regions() -> pd.DataFrame:
    """GB/T 2260 codes known to the system: Jiangsu, its cities, and Yancheng's nine counties."""
    return _read("gbt2260_regions.csv")


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


def make_uscc(region_code: str, org_code8: str, authority: str = "9", kind: str = "1") -> str:
    """Build a valid USCC from its parts (org code: 8 chars; its GB 11714 check is computed)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(org_code8, weights, strict=True))
    c9 = 11 - total % 11
    org9 = org_code8 + {10: "X", 11: "0"}.get(c9, str(c9))
    first17 = f"{authority}{kind}{region_code}{org9}"
    return first17 + uscc_check_digit(first17)
