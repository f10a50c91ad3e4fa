"""Compiled (numba) kernels of the ingest hot path and the contracts, over Arrow string buffers.

* ``hmac_sha256_hex32(values, secret)``: the keyed-hash pseudonym of every value: the first 32 hex
  characters of HMAC-SHA256 (RFC 2104) under ``secret``. It is exactly
  ``hmac.new(secret, v.encode(), "sha256").hexdigest()[:32]`` (tests compare them), computed from the
  two keyed SHA-256 states (``K ^ ipad``, ``K ^ opad``) with the SHA-256 compression function of
  FIPS 180-4, 32 messages side by side so that the rounds run as SIMD instructions. About 0.15 µs
  per value on one core (0.5 µs for one message at a time, about 1 µs through ``hashlib``, whose
  cost is the Python call per value, not the hash).
* ``hash64(values)``: a 64-bit FNV-1a hash of every value. Not keyed and not a pseudonym: it only
  tells a column whose values are all distinct from one that may repeat (callers confirm repeats
  exactly).
* ``all_distinct(values)``: exact test that no value repeats (``hash64``, then a radix-partitioned
  hash table; equal hashes are confirmed by comparing the values).
* ``may_need_trim(values)``: whether any value starts or ends with (possible) whitespace, from two
  bytes per value, so that a clean column is not trimmed.

Each kernel releases the GIL; the per-value ones (HMAC, hash) run on ``threads()`` slices of the
array at once. Callers use them from ``carbon.config.COMPILED_MIN`` values on. The compiled
code is cached on disk by numba (``cache=True``), so only the first process on a machine compiles
(about 3 s).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
from numba import njit, uint32, uint64

HEX_CHARS = 32

_K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
        0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
        0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
        0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
        0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
        0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
        0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
        0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
        0xC67178F2,
    ],
    dtype=np.uint32,
)  # fmt: skip
_H0 = np.array(
    [
        0x6A09E667,
        0xBB67AE85,
        0x3C6EF372,
        0xA54FF53A,
        0x510E527F,
        0x9B05688C,
        0x1F83D9AB,
        0x5BE0CD19,
    ],
    dtype=np.uint32,
)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(inline="always", cache=True)
def _rotr(x, n):
    return uint32((x >> uint32(n)) | (x << uint32(32 - n)))


@njit(inline="always", cache=True)
def _compress(state, w, k):
    """SHA-256 compression of one block (``w[:16]``, big-endian words) into ``state``."""
    for t in range(16, 64):
        x = w[t - 15]
        y = w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> uint32(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> uint32(10))
        w[t] = uint32(w[t - 16] + s0 + w[t - 7] + s1)
    a, b, c, d = state[0], state[1], state[2], state[3]
    e, f, g, h = state[4], state[5], state[6], state[7]
    for t in range(64):
        t1 = uint32(
            h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[t] + w[t]
        )
        t2 = uint32((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c)))
        h = g
        g = f
        f = e
        e = uint32(d + t1)
        d = c
        c = b
        b = a
        a = uint32(t1 + t2)
    state[0] += a
    state[1] += b
    state[2] += c
    state[3] += d
    state[4] += e
    state[5] += f
    state[6] += g
    state[7] += h


@njit(inline="always", cache=True)
def _hex_word(word, out, o, hexd):
    for j in range(4):
        byte = (word >> uint32(24 - 8 * j)) & uint32(0xFF)
        out[o + 2 * j] = hexd[byte >> uint32(4)]
        out[o + 2 * j + 1] = hexd[byte & uint32(0xF)]


@njit(nogil=True, cache=True)
def _hmac_one(data, s, n, istate, ostate, k, w, st):
    """HMAC-SHA256 of one message of any length (``data[s:s+n]``) into ``st``."""
    bits = (64 + n) * 8  # the ipad block precedes the message
    blocks = (n + 9 + 63) // 64
    for t in range(8):
        st[t] = istate[t]
    for b in range(blocks):
        for t in range(16):
            w[t] = uint32(0)
        base = b * 64
        for p in range(base, min(n, base + 64)):
            q = p - base
            w[q >> 2] |= uint32(data[s + p]) << uint32(24 - 8 * (q & 3))
        if base <= n < base + 64:  # the 0x80 terminator
            q = n - base
            w[q >> 2] |= uint32(0x80) << uint32(24 - 8 * (q & 3))
        if b == blocks - 1:  # the message length in bits, big-endian
            w[14] = uint32(bits >> 32)
            w[15] = uint32(bits & 0xFFFFFFFF)
        _compress(st, w, k)
    for t in range(8):
        w[t] = st[t]
    w[8] = uint32(0x80000000)
    for t in range(9, 15):
        w[t] = uint32(0)
    w[15] = uint32(768)  # (64 + 32) bytes, in bits
    for t in range(8):
        st[t] = ostate[t]
    _compress(st, w, k)


LANES = 32  # messages hashed side by side, so that LLVM vectorises the rounds across them
_SHORT = 55  # bytes: a message this long fits the inner hash's single block


@njit(nogil=True, cache=True)
def _hmac_hex32_kernel(data, offsets, lo, hi, istate, ostate, k, hexd, out):
    """HMAC-SHA256 of values ``lo..hi``; the first 32 hex chars of each into ``out``.

    Messages of up to 55 bytes (every ID in practice) go ``LANES`` at a time through a SHA-256
    whose every step loops over the lanes (SIMD); longer ones go through ``_hmac_one``."""
    w = np.zeros((64, LANES), dtype=np.uint32)
    v = np.zeros((8, LANES), dtype=np.uint32)
    st = np.zeros((8, LANES), dtype=np.uint32)
    w1 = np.empty(64, dtype=np.uint32)
    st1 = np.empty(8, dtype=np.uint32)
    for first in range(lo, hi, LANES):
        m = min(LANES, hi - first)
        for t in range(16):
            for lane in range(LANES):
                w[t, lane] = uint32(0)
        for lane in range(m):
            s = offsets[first + lane]
            n = min(offsets[first + lane + 1] - s, _SHORT)  # long ones are redone below
            for q in range(n):
                w[q >> 2, lane] |= uint32(data[s + q]) << uint32(24 - 8 * (q & 3))
            w[n >> 2, lane] |= uint32(0x80) << uint32(24 - 8 * (n & 3))
            w[15, lane] = uint32((64 + n) * 8)
        for rnd in range(2):  # inner hash, then outer hash of the inner digest
            if rnd == 1:
                for t in range(8):
                    for lane in range(LANES):
                        w[t, lane] = st[t, lane]
                for lane in range(LANES):
                    w[8, lane] = uint32(0x80000000)
                    w[15, lane] = uint32(768)  # (64 + 32) bytes, in bits
                for t in range(9, 15):
                    for lane in range(LANES):
                        w[t, lane] = uint32(0)
            for t in range(8):
                init = istate[t] if rnd == 0 else ostate[t]
                for lane in range(LANES):
                    st[t, lane] = init
                    v[t, lane] = init
            for t in range(16, 64):
                for lane in range(LANES):
                    x = w[t - 15, lane]
                    y = w[t - 2, lane]
                    s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> uint32(3))
                    s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> uint32(10))
                    w[t, lane] = uint32(w[t - 16, lane] + s0 + w[t - 7, lane] + s1)
            for t in range(64):
                kt = k[t]
                for lane in range(LANES):
                    a = v[0, lane]
                    b = v[1, lane]
                    c = v[2, lane]
                    e = v[4, lane]
                    f = v[5, lane]
                    g = v[6, lane]
                    t1 = uint32(
                        v[7, lane]
                        + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
                        + ((e & f) ^ (~e & g))
                        + kt
                        + w[t, lane]
                    )
                    t2 = uint32(
                        (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
                    )
                    v[7, lane] = g
                    v[6, lane] = f
                    v[5, lane] = e
                    v[4, lane] = uint32(v[3, lane] + t1)
                    v[3, lane] = c
                    v[2, lane] = b
                    v[1, lane] = a
                    v[0, lane] = uint32(t1 + t2)
            for t in range(8):
                for lane in range(LANES):
                    st[t, lane] = uint32(st[t, lane] + v[t, lane])
        for lane in range(m):
            i = first + lane
            o = i * 32
            if offsets[i + 1] - offsets[i] > _SHORT:
                _hmac_one(data, offsets[i], offsets[i + 1] - offsets[i], istate, ostate, k, w1, st1)
                for t in range(4):
                    _hex_word(st1[t], out, o + 8 * t, hexd)
            else:
                for t in range(4):
                    _hex_word(st[t, lane], out, o + 8 * t, hexd)


@njit(cache=True)
def _state_after(block, k, h0):
    """SHA-256 state after one 64-byte block (the keyed pad)."""
    w = np.empty(64, dtype=np.uint32)
    for t in range(16):
        w[t] = (
            (uint32(block[4 * t]) << uint32(24))
            | (uint32(block[4 * t + 1]) << uint32(16))
            | (uint32(block[4 * t + 2]) << uint32(8))
            | uint32(block[4 * t + 3])
        )
    st = h0.copy()
    _compress(st, w, k)
    return st


@njit(nogil=True, cache=True)
def _fnv1a64_kernel(data, offsets, lo, hi, out):
    for i in range(lo, hi):
        h = _FNV_OFFSET
        for p in range(offsets[i], offsets[i + 1]):
            h = (h ^ uint64(data[p])) * _FNV_PRIME
        out[i] = h


@njit(nogil=True, cache=True)
def _repeated_hashes(h, limit):
    """Hash values seen more than once; stops after ``limit``. (A hash of 0 is stored as 1:
    callers compare the values of repeats exactly anyway.)

    Radix-partitioned: the hashes are first scattered into buckets by their top bits, about 8 k
    per bucket, and each bucket is then checked with an open-addressing table of 16 k slots that
    stays in the CPU cache. One table over all values misses the cache on every insert: 5x
    slower at 2.5 M values."""
    n = len(h)
    bits = 1
    while (1 << bits) < n:
        bits += 1
    pbits = bits - 13 if bits > 13 else 0
    nb = 1 << pbits
    shift = uint64(64 - pbits) if pbits else uint64(0)
    start = np.zeros(nb + 1, dtype=np.int64)
    if pbits:
        for x in h:
            start[(x >> shift) + uint64(1)] += 1
    else:
        start[1] = n
    for b in range(nb):
        start[b + 1] += start[b]
    part = np.empty(n, dtype=np.uint64)
    if pbits:
        fill = start[:-1].copy()
        for x in h:
            b = x >> shift
            part[fill[b]] = x
            fill[b] += 1
    else:
        part[:] = h
    biggest = 0
    for b in range(nb):
        biggest = max(biggest, start[b + 1] - start[b])
    size = 16
    while size < 2 * biggest:
        size <<= 1
    mask = uint64(size - 1)
    table = np.zeros(size, dtype=np.uint64)
    out = np.empty(limit + 1, dtype=np.uint64)
    found = 0
    for b in range(nb):
        table[:] = 0
        for j in range(start[b], start[b + 1]):
            x = part[j]
            if x == 0:
                x = uint64(1)
            i = (x ^ (x >> uint64(29))) & mask
            while table[i] != 0 and table[i] != x:
                i = (i + uint64(1)) & mask
            if table[i] == x:
                out[found] = x
                found += 1
                if found > limit:
                    return out[:found]
            else:
                table[i] = x
    return out[:found]


@njit(nogil=True, cache=True)
def _any_edge_space(data, offsets):
    """True if some value starts or ends with a byte that may be (part of) whitespace: ASCII
    control characters and space, or any non-ASCII byte (Unicode spaces such as U+3000)."""
    for i in range(len(offsets) - 1):
        a = offsets[i]
        b = offsets[i + 1]
        if b > a:
            c = data[a]
            d = data[b - 1]
            if c <= 32 or c >= 127 or d <= 32 or d >= 127:
                return True
    return False


# ---------------------------------------------------------------- Python side


def threads() -> int:
    """Threads a kernel runs on: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(data bytes, int64 offsets of the n values) of an Arrow string or binary array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type):
        otype = np.int64
    elif pa.types.is_string(values.type) or pa.types.is_binary(values.type):
        otype = np.int32
    else:
        values = values.cast(pa.string())
        otype = np.int32
    n = len(values)
    _, obuf, dbuf = values.buffers()[:3]
    if n == 0 or obuf is None:
        return np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    offsets = np.frombuffer(obuf, dtype=otype)[values.offset : values.offset + n + 1]
    data = np.frombuffer(dbuf, dtype=np.uint8) if dbuf is not None else np.zeros(0, np.uint8)
    return data, offsets.astype(np.int64)


def _run(kernel, n: int, *args) -> None:
    """``kernel(*args[:2], lo, hi, *args[2:])`` over ``threads()`` slices of ``range(n)``."""
    parts = min(threads(), max(1, n // 50_000))
    bounds = [n * p // parts for p in range(parts + 1)]
    if parts == 1:
        kernel(args[0], args[1], 0, n, *args[2:])
        return
    with ThreadPoolExecutor(parts) as pool:
        futures = [
            pool.submit(kernel, args[0], args[1], bounds[p], bounds[p + 1], *args[2:])
            for p in range(parts)
        ]
        for f in futures:
            f.result()


def _keyed_states(secret: bytes) -> tuple[np.ndarray, np.ndarray]:
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    ipad = np.frombuffer(bytes(b ^ 0x36 for b in key), dtype=np.uint8)
    opad = np.frombuffer(bytes(b ^ 0x5C for b in key), dtype=np.uint8)
    return _state_after(ipad, _K, _H0), _state_after(opad, _K, _H0)


def hmac_sha256_hex32(values: pa.Array, secret: bytes) -> pa.StringArray:
    """Pseudonym (first 32 hex chars of HMAC-SHA256) of every value of an Arrow string array.

    Nulls stay null. Arrow in, Arrow out: the hex is written straight into the result's buffer."""
    import pyarrow.compute as pc

    data, offsets = _buffers(values)
    n = len(offsets) - 1
    istate, ostate = _keyed_states(secret)
    out = np.empty(n * HEX_CHARS, dtype=np.uint8)
    if n:
        _run(_hmac_hex32_kernel, n, data, offsets, istate, ostate, _K, _HEX, out)
    result = pa.StringArray.from_buffers(
        n,
        pa.py_buffer(np.arange(0, HEX_CHARS * n + 1, HEX_CHARS, dtype=np.int32)),
        pa.py_buffer(out),
    )
    if values.null_count:
        result = pc.if_else(pc.is_valid(values), result, pa.scalar(None, pa.string()))
    return result


def hash64(values: pa.Array) -> np.ndarray:
    """FNV-1a 64-bit hash of every value's bytes (nulls hash as the empty string)."""
    data, offsets = _buffers(values)
    n = len(offsets) - 1
    out = np.empty(n, dtype=np.uint64)
    if n:
        _run(_fnv1a64_kernel, n, data, offsets, out)
    return out


def may_need_trim(values: pa.Array) -> bool:
    """False only if no value has leading or trailing whitespace (so that trimming the column
    would change nothing); True when some value might. Two bytes per value are read."""
    data, offsets = _buffers(values)
    return bool(_any_edge_space(data, offsets))


def all_distinct(values: pa.Array) -> bool:
    """True when no value repeats; False when some may (exact for True: equal 64-bit hashes are
    compared as strings). A column with nulls is never reported distinct: False sends callers
    to their exact path."""
    if values.null_count:
        return False
    head = values[:1000].to_pylist()
    if len(set(head)) < len(head):  # repeats early: not distinct, no need to hash
        return False
    h = hash64(values)
    repeated = _repeated_hashes(h, 64)
    if not len(repeated):
        return True
    if len(repeated) > 64:  # far more than 64-bit collisions explain: values repeat
        return False
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    stored = np.where(h == 0, np.uint64(1), h)  # the kernel keeps a hash of 0 as 1
    picked = values.take(pa.array(np.flatnonzero(np.isin(stored, repeated)))).to_pylist()
    return len(set(picked)) == len(picked)
