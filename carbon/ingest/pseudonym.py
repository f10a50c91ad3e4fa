"""Keyed-hash pseudonyms for person and household identifiers (HMAC-SHA256 under the site secret).

``keyed_hash(raw)`` is the hex HMAC-SHA256 of the UTF-8 raw identifier, truncated to 32 hex chars
(128 bits: collision-free for any city's population, half the bytes of the full digest).
The same raw 户号 therefore gives the same ``household_key`` in ``households`` and in
``electricity_consumption``. Raw values never leave this module except as their hash.

Vectorised: each distinct value is hashed once. Large batches are hashed inside DuckDB with the
standard HMAC construction ``H((K ^ opad) || H((K ^ ipad) || m))`` over its multi-threaded
``sha256``; small batches use the standard library. Both give identical keys (tested).
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

HEX_CHARS = 32
_DUCKDB_MIN = 20_000  # below this many distinct values the stdlib loop is faster


def _secret(secret: bytes | None) -> bytes:
    if secret is None:
        from carbon.config import pseudonym_secret

        secret = pseudonym_secret()
    return secret


def keyed_hash(raw: str, secret: bytes | None = None) -> str:
    """HMAC-SHA256 pseudonym of one raw identifier."""
    return hmac.digest(_secret(secret), raw.encode("utf-8"), "sha256").hex()[:HEX_CHARS]


def _hash_many_stdlib(values: np.ndarray, secret: bytes) -> np.ndarray:
    return np.array(
        [hmac.digest(secret, v.encode("utf-8"), "sha256").hex()[:HEX_CHARS] for v in values],
        dtype=object,
    )


def _pads(secret: bytes) -> tuple[bytes, bytes]:
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x5C for b in key), bytes(b ^ 0x36 for b in key)


def _hash_arrow_duckdb(values, secret: bytes):
    """HMAC-SHA256 (truncated) of an Arrow string array, inside DuckDB; Arrow in, Arrow out."""
    import duckdb
    import pyarrow as pa

    opad, ipad = _pads(secret)
    ids = pa.table({"id": values})  # noqa: F841 (DuckDB scans it by name)
    con = duckdb.connect()
    try:  # the pads are hex of our own bytes: safe to inline
        out = con.sql(
            f"select left(sha256(unhex('{opad.hex()}') || unhex(sha256(unhex('{ipad.hex()}')"
            f" || encode(id)))), {HEX_CHARS}) as h from ids"
        ).to_arrow_table()
    finally:
        con.close()
    return out.column("h").combine_chunks().cast(pa.string())


def _hash_many_duckdb(values: np.ndarray, secret: bytes) -> np.ndarray:
    import pyarrow as pa

    out = _hash_arrow_duckdb(pa.array(values, type=pa.string()), secret)
    return np.asarray(out.to_pylist(), dtype=object)


def hash_values(values: np.ndarray, secret: bytes | None = None) -> np.ndarray:
    """Hash an array of distinct raw strings (object array) to pseudonyms."""
    s = _secret(secret)
    if len(values) >= _DUCKDB_MIN:
        return _hash_many_duckdb(values, s)
    return _hash_many_stdlib(values, s)


def pseudonymise(series: pd.Series, secret: bytes | None = None) -> pd.Series:
    """Replace every non-null raw identifier by its keyed hash (nulls stay null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(series, from_pandas=True).cast(pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = arr.dictionary_encode()  # each distinct value is hashed once
    uniq = enc.dictionary
    s = _secret(secret)
    if len(uniq) >= _DUCKDB_MIN:
        hashed = _hash_arrow_duckdb(uniq, s)
    else:
        hashed = pa.array(
            _hash_many_stdlib(np.asarray(uniq.to_pylist(), dtype=object), s), type=pa.string()
        )
    out = pc.take(hashed, enc.indices)  # null indices stay null
    return out.to_pandas().astype("str").set_axis(series.index)
