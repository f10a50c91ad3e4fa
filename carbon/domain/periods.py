"""Parsing of the values people type: months, days, periods, horizons, seeds, shares, names.

Each parser returns the normalised value or raises :class:`BadValue` (a ``ValueError``) with one
line saying what is wrong and what is expected. The command line (``carbon.cli.args``) turns a
``BadValue`` into a usage error (exit code 2); the month record
(``carbon.pipeline.warehouse.months``) and the console use the same parsers, so a month means
the same thing everywhere.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from carbon.config import TZ

MIN_YEAR, MAX_YEAR = 1990, 2100


class BadValue(ValueError):
    """A value that cannot be what it claims to be (one line: what is wrong, what is expected)."""


def today_local() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def _year(y: int, text: str) -> None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise BadValue(f"{text!r}: year must be in {MIN_YEAR}..{MAX_YEAR}")


def month(text: str) -> str:
    """``YYYY-MM`` (month 01-12)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
    if not m:
        raise BadValue(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-10")
    y, mo = int(m[1]), int(m[2])
    if not 1 <= mo <= 12:
        raise BadValue(f"{text!r}: month {mo:02d} does not exist (01..12)")
    _year(y, text)
    return f"{y:04d}-{mo:02d}"


def _year_or_month(text: str, *, pad: bool) -> str | None:
    """``text`` as ``YYYY`` or a month (``YYYY-M`` too, read as ``YYYY-0M`` when ``pad``, else
    refused by :func:`month`); None when it has neither shape."""
    t = str(text).strip()
    if re.fullmatch(r"\d{4}", t):
        _year(int(t), text)
        return t
    if re.fullmatch(r"\d{4}-\d{1,2}", t):
        return month(f"{t[:5]}0{t[5:]}" if pad and len(t) != 7 else t)
    return None


def year_or_month(text: str) -> str:
    """``YYYY`` or ``YYYY-MM`` (a footprint's period: a year or a month)."""
    if (v := _year_or_month(text, pad=True)) is not None:
        return v
    raise BadValue(f"{text!r} is not a year or month: use YYYY or YYYY-MM (e.g. 2026)")


def day(text: str) -> str:
    """``YYYY-MM-DD``, a real calendar day."""
    t = str(text).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        raise BadValue(f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-10-31")
    try:
        d = date.fromisoformat(t)
    except ValueError as exc:
        raise BadValue(f"{text!r} is not a calendar day ({exc})") from None
    _year(d.year, text)
    return d.isoformat()


def period(text: str) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    if (v := _year_or_month(text, pad=False)) is not None:
        return v
    t = str(text).strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", t):
        return day(t)
    raise BadValue(
        f"{text!r} is not a period: use YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2026, 2026-10, 2026-10-31)"
    )


def _number(text: str, kind):
    try:
        return kind(str(text).strip())
    except ValueError:
        raise BadValue(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None


def positive_int(text: str) -> int:
    v = _number(text, int)
    if v < 1:
        raise BadValue(f"{text!r}: must be at least 1")
    return v


def nonnegative_int(text: str) -> int:
    v = _number(text, int)
    if v < 0:
        raise BadValue(f"{text!r}: must be 0 or more")
    return v


def seed(text: str) -> int:
    """A random seed: 0 .. 2**32-1 (what numpy's generators accept everywhere)."""
    v = nonnegative_int(text)
    if v >= 2**32:
        raise BadValue(f"{text!r}: a seed must be below 2**32")
    return v


def fraction(text: str) -> float:
    """A share in [0, 1)."""
    v = _number(text, float)
    if not 0.0 <= v < 1.0:  # also rejects nan
        raise BadValue(f"{text!r}: must be a share in [0, 1), e.g. 0.01")
    return v


def positive_float(text: str) -> float:
    v = _number(text, float)
    if not v > 0 or v == float("inf"):
        raise BadValue(f"{text!r}: must be a positive number")
    return v


def seconds(text: str) -> float:
    """A wait in seconds, 0 or more."""
    v = _number(text, float)
    if not 0 <= v < float("inf"):
        raise BadValue(f"{text!r}: must be 0 or more seconds")
    return v


def port(text: str) -> int:
    """A TCP port, 1..65535."""
    v = _number(text, int)
    if not 1 <= v <= 65535:
        raise BadValue(f"{text!r}: a port is 1..65535")
    return v


def instant(text: str) -> str:
    """A point in time pandas can read, e.g. ``YYYY-MM-DDTHH:MM`` (Asia/Shanghai unless it
    carries an offset)."""
    import pandas as pd

    try:
        pd.Timestamp(str(text))
    except ValueError:
        raise BadValue(f"{text!r} is not a time: use YYYY-MM-DDTHH:MM (Asia/Shanghai)") from None
    return str(text)


def horizon(text: str) -> str:
    """``<n>d``, n >= 1 (1d, 7d, 30d, 365d)."""
    t = str(text).strip().lower()
    if not re.fullmatch(r"\d+d", t) or int(t[:-1]) < 1:
        raise BadValue(f"{text!r} is not a horizon: use <days>d, e.g. 1d, 7d, 30d")
    if int(t[:-1]) > 3660:
        raise BadValue(f"{text!r}: at most 3660d (ten years)")
    return t


def existing_file(text: str) -> str:
    p = Path(text)
    if not p.is_file():
        raise BadValue(f"{text!r}: no such file" if not p.exists() else f"{text!r} is not a file")
    return text


def home_dir(text: str) -> str:
    """A data home: an existing directory, or a path that can become one."""
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise BadValue(f"{text!r} exists and is not a directory")
    return text


def name(text: str) -> str:
    """A person's name or role for a record (non-empty, one line, at most 200 characters)."""
    t = str(text).strip()
    if not t or "\n" in t or len(t) > 200:
        raise BadValue(f"{text!r}: give a non-empty name of one line (≤ 200)")
    return t


def reason(text: str) -> str:
    t = str(text).strip()
    if len(t) < 3 or len(t) > 2000:
        raise BadValue("give a reason of 3 to 2000 characters")
    return t


def ended_month(m: str, today: date | None = None) -> str:
    """``m`` (YYYY-MM) if it has ended in Asia/Shanghai, else :class:`BadValue`."""
    t = today or today_local()
    current = f"{t.year:04d}-{t.month:02d}"
    if m > current:
        raise BadValue(f"month {m} is in the future (today is {t} {TZ}): nothing to close")
    if m == current:
        raise BadValue(
            f"month {m} has not ended yet (today is {t} {TZ}): a month can be closed from the "
            "first day of the next month"
        )
    return m
