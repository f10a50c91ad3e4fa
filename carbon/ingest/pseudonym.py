"""Keyed-hash pseudonyms for person and household identifiers (HMAC-SHA256 under the site secret).

``keyed_hash(raw)`` is the hex HMAC-SHA256 of the UTF-8 raw identifier, truncated to 32 hex chars
(128 bits: collision-free for any city's population, half the bytes of the full digest).
The same raw 户号 therefore gives the same ``household_key`` in ``households`` and in
``electricity_consumption``. Raw values never leave this module except as their hash.

Vectorised: each distinct value is hashed once, by ``hmac_hex32``. It runs the standard HMAC
construction ``H((K ^ opad) || H((K ^ ipad) || m))`` with the two keyed SHA-256 states computed
once and copied per value (half the compressions of ``hmac.digest``, which re-keys every call),
splits large batches over two processes (``os.fork``; hashlib holds the GIL for short inputs, so
threads would not help), and turns the digests into hex with numpy: Arrow in, Arrow out.
``_hash_many_duckdb`` (the same construction over DuckDB's ``sha256``) is kept as a second,
independent implementation; every path gives the keys of Python's ``hmac`` (tested).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os

import numpy as np
import pandas as pd

HEX_CHARS = 32
_FORK_MIN = 200_000  # from this many distinct values on, hash half of them in a forked process


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


def _hmac_digests(msgs: list[bytes], secret: bytes) -> bytes:
    """Concatenated 32-byte HMAC-SHA256 digests of ``msgs`` (keyed states computed once)."""
    opad, ipad = _pads(secret)
    icopy, ocopy = hashlib.sha256(ipad).copy, hashlib.sha256(opad).copy

    def one(m: bytes) -> bytes:
        i = icopy()
        i.update(m)
        o = ocopy()
        o.update(i.digest())
        return o.digest()

    return b"".join(map(one, msgs))


def _read_all(fd: int) -> bytes:
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _hmac_digests_parallel(msgs: list[bytes], secret: bytes) -> bytes:
    """``_hmac_digests`` with the second half computed in a forked child (falls back to serial)."""
    if len(msgs) < _FORK_MIN or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return _hmac_digests(msgs, secret)
    half = len(msgs) // 2
    try:
        r, w = os.pipe()
        pid = os.fork()
    except OSError:
        return _hmac_digests(msgs, secret)
    if pid == 0:  # child: hash the second half, send the digests, leave without cleanup
        code = 1
        try:
            os.close(r)
            data = _hmac_digests(msgs[half:], secret)
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        first = _hmac_digests(msgs[:half], secret)
        second = _read_all(r)
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0 or len(second) != 32 * (len(msgs) - half):  # the child failed: do it here
        second = _hmac_digests(msgs[half:], secret)
    return first + second


def _hex32(digests: bytes, n: int):
    """Arrow string array of the first 32 hex chars of each 32-byte digest (vectorised)."""
    import pyarrow as pa

    head = np.ascontiguousarray(
        np.frombuffer(digests, dtype=np.uint8).reshape(n, 32)[:, : HEX_CHARS // 2]
    )
    offsets = np.arange(0, HEX_CHARS * n + 1, HEX_CHARS, dtype=np.int32)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(binascii.hexlify(head.data))
    )


def hmac_hex32(values, secret: bytes):
    """Pseudonyms of an Arrow string array of raw values (no nulls); Arrow string array out."""
    import pyarrow as pa

    msgs = values.cast(pa.binary()).to_pylist()
    return _hex32(_hmac_digests_parallel(msgs, secret), len(msgs))


def hash_values(values: np.ndarray, secret: bytes | None = None) -> np.ndarray:
    """Hash an array of distinct raw strings (object array) to pseudonyms."""
    import pyarrow as pa

    out = hmac_hex32(pa.array(values, type=pa.string()), _secret(secret))
    return np.asarray(out.to_pylist(), dtype=object)


def pseudonymise_arrow(arr, secret: bytes | None = None):
    """Replace every non-null raw identifier of an Arrow string array by its keyed hash."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    enc = arr.dictionary_encode()  # each distinct value is hashed once
    hashed = hmac_hex32(enc.dictionary, _secret(secret))
    return pc.take(hashed, enc.indices)  # null indices stay null


def pseudonymise(series: pd.Series, secret: bytes | None = None) -> pd.Series:
    """Replace every non-null raw identifier by its keyed hash (nulls stay null)."""
    import pyarrow as pa

    arr = pa.array(series, from_pandas=True).cast(pa.string())
    out = pseudonymise_arrow(arr, secret)
    return out.to_pandas().astype("str").set_axis(series.index)
