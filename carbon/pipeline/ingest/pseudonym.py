"""Keyed-hash pseudonyms for person and household identifiers (HMAC-SHA256 under the site secret).

``keyed_hash(raw)`` is the hex HMAC-SHA256 of the UTF-8 raw identifier, truncated to 32 hex chars
(128 bits: collision-free for any city's population, half the bytes of the full digest).
The same raw 户号 therefore gives the same ``household_key`` in ``households`` and in
``electricity_consumption``. Raw values never leave this module except as their hash.

Vectorised: ``hmac_hex32`` hashes a whole Arrow string array in compiled code
(``carbon.pipeline.kernels.hmac_sha256_hex32``: the standard HMAC construction
``H((K ^ opad) || H((K ^ ipad) || m))`` with the two keyed SHA-256 states computed once, on every
core, the hex written straight into the Arrow result). ``keyed_hash`` and ``_hash_many_stdlib``
are the same function through Python's ``hmac``: the reference every fast path is tested against.
"""

from __future__ import annotations

import hmac

import numpy as np
import pandas as pd

HEX_CHARS = 32


def _secret(secret: bytes | None) -> bytes:
    if secret is None:
        from carbon.config import pseudonym_secret

        secret = pseudonym_secret()
    return secret


def keyed_hash(raw: str, secret: bytes | None = None) -> str:
    """HMAC-SHA256 pseudonym of one raw identifier."""
    return hmac.digest(_secret(secret), raw.encode("utf-8"), "sha256").hex()[:HEX_CHARS]


def _hash_many_stdlib(values, secret: bytes) -> np.ndarray:
    """``keyed_hash`` of each value, one by one (nulls stay None): the path for small inputs."""
    return np.array([None if v is None else keyed_hash(v, secret) for v in values], dtype=object)


def hmac_hex32(values, secret: bytes):
    """Pseudonyms of an Arrow string array of raw values; Arrow string array out (nulls stay null)."""
    import pyarrow as pa

    from carbon import config

    if len(values) >= config.COMPILED_MIN:
        from carbon.pipeline.kernels import hmac_sha256_hex32

        return hmac_sha256_hex32(values, secret)
    return pa.array(_hash_many_stdlib(values.to_pylist(), secret), type=pa.string())


def hash_values(values: np.ndarray, secret: bytes | None = None) -> np.ndarray:
    """Hash an array of distinct raw strings (object array) to pseudonyms."""
    import pyarrow as pa

    out = hmac_hex32(pa.array(values, type=pa.string()), _secret(secret))
    return np.asarray(out.to_pylist(), dtype=object)


def pseudonymise_arrow(arr, secret: bytes | None = None):
    """Replace every non-null raw identifier of an Arrow string array by its keyed hash.

    Every row is hashed, repeats included: at about 0.1 µs per value and core that is cheaper than
    finding the distinct values first."""
    return hmac_hex32(arr, _secret(secret))


def pseudonymise(series: pd.Series, secret: bytes | None = None) -> pd.Series:
    """Replace every non-null raw identifier by its keyed hash (nulls stay null)."""
    import pyarrow as pa

    arr = pa.array(series, from_pandas=True).cast(pa.string())
    out = pseudonymise_arrow(arr, secret)
    return out.to_pandas().astype("str").set_axis(series.index)
