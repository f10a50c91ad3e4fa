"""Masking of personal identifiers in everything ingest writes or says outside landing.

Raw ID-card numbers (居民身份证号, GB 11643: 17 digits and a check character), mobile numbers
(1[3-9] and 9 digits, optionally +86 and separators) and the raw person / household IDs of the
personal datasets never leave landing. Ingest replaces the ID columns by their keyed-hash
pseudonym (``carbon.pipeline.ingest.pseudonym``); every other place that could echo a raw value goes
through this module:

* ``mask_id``: the value of an identifier column quoted in a message (a quarantine record's
  ``failure_value``, the demo manifest): first and last characters kept, the middle starred, as
  Chinese apps show them (``3209**********1234``, ``139****5678``);
* ``mask_patterns`` / ``mask_patterns_arrow``: free text (an enterprise name, a community id, a
  record id, a rejection reason, an exception message) with every mobile- or ID-card-shaped number
  masked the same way;
* ``redact_message``: a whole-file rejection reason or an exception message. Besides the patterns,
  every run of 7 or more digits is masked (a raw 户号 has no recognisable shape) and the row text
  that pyarrow's CSV errors quote is withheld.

The patterns are written for RE2 (pyarrow) and Python's ``re`` alike: no look-behind.
"""

from __future__ import annotations

import re

# a boundary is anything but an ASCII letter or digit (Chinese text, punctuation, start, end)
_B = r"(^|[^0-9A-Za-z])"
_E = r"($|[^0-9A-Za-z])"
ID_CARD = r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
MOBILE = r"(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}"
# any 17 digits + check char (ID-card-shaped even with an impossible birth date), or a mobile
PATTERN = rf"{_B}(\d{{17}}[0-9Xx]|{MOBILE}){_E}"
_PATTERN_RE = re.compile(PATTERN)
_LONG_DIGITS_RE = re.compile(r"\d{7,}[0-9Xx]?")
_PYARROW_ROW_RE = re.compile(r"(Expected \d+ columns?, got \d+)\s*:.*", re.DOTALL)


def mask_id(value: str | None) -> str | None:
    """An identifier masked for display: 4 + stars + 4 from 12 characters on, 3 + stars + 4 from
    8 on (a mobile number: ``139****5678``), all stars below."""
    if value is None:
        return None
    v = str(value)
    n = len(v)
    if n >= 12:
        return v[:4] + "*" * (n - 8) + v[-4:]
    if n >= 8:
        return v[:3] + "*" * (n - 7) + v[-4:]
    return "*" * n


def _mask_match(m: re.Match) -> str:
    return m.group(1) + mask_id(m.group(2)) + m.group(3)


def mask_patterns(text: str | None) -> str | None:
    """``text`` with every mobile- or ID-card-shaped number masked (``mask_id``)."""
    if not text:
        return text
    prev = None
    while prev != text:  # adjacent numbers share a boundary character: repeat until stable
        prev, text = text, _PATTERN_RE.sub(_mask_match, text)
    return text


def has_pattern(text: str) -> bool:
    return bool(_PATTERN_RE.search(text))


def mask_patterns_arrow(arr):
    """``mask_patterns`` over an Arrow string array (vectorised test; only matching cells are
    rewritten, in Python: they are rare). Returns ``(array, number of cells masked)``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hit = pc.fill_null(pc.match_substring_regex(arr, PATTERN), False)
    n = pc.sum(hit).as_py() or 0
    if not n:
        return arr, 0
    values = arr.to_pylist()
    flags = hit.to_pylist()
    out = [mask_patterns(v) if f else v for v, f in zip(values, flags, strict=True)]
    return pa.array(out, type=pa.string()), int(n)


def mask_ids_arrow(arr):
    """``mask_id`` of every cell of an Arrow string array (used on the few failing rows)."""
    import pyarrow as pa

    return pa.array([mask_id(v) for v in arr.to_pylist()], type=pa.string())


def redact_message(text: str | None) -> str | None:
    """A rejection reason or exception message safe to write and log: pyarrow's quoted row text
    withheld, identifier patterns and every run of 7+ digits masked."""
    if not text:
        return text
    text = _PYARROW_ROW_RE.sub(r"\1 (row text withheld: it may hold personal data)", str(text))
    text = mask_patterns(text)
    return _LONG_DIGITS_RE.sub(lambda m: mask_id(m.group(0)), text)


def bytes_have_pattern(data: bytes) -> bool:
    """Whether a file's bytes show a mobile- or ID-card-shaped number (ASCII / UTF-8 / GBK, and
    UTF-16 with its NUL bytes dropped)."""
    return any(has_pattern(b.decode("latin-1")) for b in (data, data.replace(b"\x00", b"")))
