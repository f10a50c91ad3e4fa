"""The ingest hot path's shortcuts give exactly what the plain, checked paths give.

- pseudonyms: the compiled HMAC-SHA256 kernel (``carbon.pipeline.kernels``, every thread split, any message
  length, sliced arrays, nulls) equals Python's ``hmac``;
- float parse: Arrow's whole-column cast equals the regex-checked parse, cell by cell;
- date parse: Arrow's strict ISO cast, when it takes the whole column, and stopping after the first
  format that parses every cell change nothing; no format rolls 2026-02-30 over to March;
- the key check: a column with one distinct value per row settles ``unique_key``; the compiled
  64-bit-hash test of distinctness is exact, even when hashes collide;
- USCC check digits: the numpy version equals python-stdnum value by value;
- whitespace: a column the compiled scan calls clean is one that trimming leaves unchanged, and
  parsing with or without the scan gives the same frame and failures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon import config
from carbon.domain import codes
from carbon.pipeline import kernels
from carbon.pipeline.contracts import schemas
from carbon.pipeline.ingest import parse, pipeline, pseudonym

SECRET = b"test-secret-fast"


def _hmac32(key: bytes, v: str) -> str:
    return hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize("key", [SECRET, b"k" * 100, b""])
def test_compiled_hmac_equals_python_hmac(monkeypatch, key):
    raw = [f"32090{i * 7919 % 10**8:08d}" for i in range(3_000)]
    raw += ["盐城-户号", "x", "", "a" * 55, "b" * 56, "c" * 64, "d" * 119, "e" * 300]  # 1-6 blocks
    expect = [_hmac32(key, v) for v in raw]
    assert kernels.hmac_sha256_hex32(pa.array(raw), key).to_pylist() == expect
    sliced = pa.array(raw).slice(7, 2_000)  # an Arrow slice starts at an offset
    assert kernels.hmac_sha256_hex32(sliced, key).to_pylist() == expect[7:2_007]
    monkeypatch.setattr(kernels, "threads", lambda: 4)  # four slices, boundaries mid-array
    assert kernels.hmac_sha256_hex32(pa.array(raw * 40), key).to_pylist() == expect * 40
    large = pa.array(raw, type=pa.large_string())
    assert kernels.hmac_sha256_hex32(large, key).to_pylist() == expect


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=80)), max_size=30))
def test_compiled_and_stdlib_pseudonyms_agree(values):
    arr = pa.array(values, type=pa.string())
    expect = [None if v is None else _hmac32(SECRET, v) for v in values]
    assert kernels.hmac_sha256_hex32(arr, SECRET).to_pylist() == expect
    assert pseudonym.hmac_hex32(arr, SECRET).to_pylist() == expect  # the stdlib path (short)


def test_pseudonymise_keeps_nulls_on_both_paths(monkeypatch):
    s = pd.Series(["3209000000001", None, "3209000000002", "3209000000001"], dtype="str")
    for threshold in (10**9, 0):  # stdlib, then compiled
        monkeypatch.setattr(config, "COMPILED_MIN", threshold)
        out = pseudonym.pseudonymise(s, SECRET)
        assert out.isna().tolist() == [False, True, False, False]
        assert out[0] == out[3] == _hmac32(SECRET, "3209000000001")
        assert out[2] == _hmac32(SECRET, "3209000000002")


def test_electricity_hashes_households_and_unknown_types_only():
    frame = pd.DataFrame(
        {
            "account_type": pd.Series(
                ["household", "enterprise", None, "bogus", "public", "enterprise"], dtype="str"
            ),
            "account_id": pd.Series(
                [
                    "3209000000001",
                    "91320922CDTBBEFB68",
                    "3209000000002",
                    "p",
                    "91320922cdtbbefb68",
                    "13912345678",
                ],
                dtype="str",
            ),
        }
    )
    out, hashed = pipeline.pseudonymise_frame("electricity_consumption", frame, SECRET)
    assert out["account_id"].tolist() == [
        _hmac32(SECRET, "3209000000001"),
        "91320922CDTBBEFB68",  # a USCC account keeps its (public) code
        _hmac32(SECRET, "3209000000002"),
        _hmac32(SECRET, "p"),
        "91320922CDTBBEFB68",  # normalised to upper case (GB 32100)
        # an organisation row whose id is no USCC may be a person's number: hashed
        _hmac32(SECRET, "13912345678"),
    ]
    assert hashed["account_id"].equals(out["account_id"])


_FLOATY = st.text(alphabet="0123456789.+-eEnaifINFxX_ ,", min_size=0, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_FLOATY, st.sampled_from(["nan", "inf", "+1", "1e400", "-.5e-3"]))))
def test_float_fast_path_equals_checked_parse(cells):
    arr = pa.chunked_array([pa.array([c if c else None for c in cells], type=pa.string())])
    fast = parse._parse_float(arr).to_pylist()
    checked = parse._parse_float_checked(arr).to_pylist()
    assert fast == checked


def _dates_slow(arr: pa.ChunkedArray) -> list:
    out = None
    for fmt in parse.DATE_FORMATS:
        d = parse._strptime_exact(arr, fmt)
        out = d if out is None else pc.coalesce(out, d)
    return out.cast(pa.int64()).to_pylist()


_DATEY = st.text(alphabet="0123456789-/", min_size=0, max_size=11)
_REAL = st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2110, 12, 31)).map(str)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_DATEY, _REAL, st.sampled_from(["2026-02-30", "2026-2-3", "20261031"]))))
def test_date_fast_path_equals_format_loop(cells):
    arr = pa.chunked_array([pa.array([c if c else None for c in cells], type=pa.string())])
    assert parse._parse_date(arr).cast(pa.int64()).to_pylist() == _dates_slow(arr)


def test_impossible_calendar_dates_do_not_roll_over():
    arr = pa.chunked_array([pa.array(["2026-02-30", "2026/04/31", "20260229", "2024-02-29"])])
    got = parse._parse_date(arr).to_pylist()
    assert got[:3] == [None, None, None] and got[3].date() == dt.date(2024, 2, 29)


def test_date_formats_stop_early_only_when_all_parsed():
    arr = pa.chunked_array([pa.array(["2026-10-31", "2026/10/30", "20261029", "x", None])])
    got = parse._parse_date(arr).to_pylist()
    assert [d.date().isoformat() if d else None for d in got] == [
        "2026-10-31",
        "2026-10-30",
        "2026-10-29",
        None,
        None,
    ]


def test_all_distinct_is_exact_even_when_hashes_collide(monkeypatch):
    values = pa.array([f"id-{i}" for i in range(5_000)])
    assert kernels.all_distinct(values)
    assert not kernels.all_distinct(pa.concat_arrays([values, pa.array(["id-4321"])]))
    assert not kernels.all_distinct(pa.array(["a", None, "b"]))  # nulls: the exact path decides
    # force collisions: a 64-bit hash that maps many distinct values to a few buckets
    real = kernels.hash64
    monkeypatch.setattr(kernels, "hash64", lambda v: real(v) % np.uint64(4_990))
    assert kernels.all_distinct(values.slice(0, 5_000)) is False  # too many to confirm: slow path
    few = pa.array([f"id-{i}" for i in range(5_000)] + ["zz"])
    monkeypatch.setattr(kernels, "hash64", lambda v: np.arange(len(v), dtype=np.uint64) % 5_000)
    assert kernels.all_distinct(few)  # "id-0" and "zz" collide but differ
    dup = pa.array([f"id-{i}" for i in range(5_000)] + ["id-0"])
    assert not kernels.all_distinct(dup)
    # a hash of 0 shares its table slot with 1: two distinct values, still distinct
    monkeypatch.setattr(kernels, "hash64", lambda v: np.arange(len(v), dtype=np.uint64))
    assert kernels.all_distinct(values)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=300),
    st.lists(st.integers(0, 299), max_size=80),
    st.sampled_from([0, 1, 20_000]),
)
def test_repeated_hashes_finds_every_repeat(values, repeat_at, pad):
    """The radix-partitioned kernel against a set: every second and later occurrence, in any
    bucket (``pad`` random values make the array large enough to be partitioned)."""
    rng = np.random.default_rng(len(values) + pad)
    h = list(values) + [int(x) for x in rng.integers(0, 2**63, pad, dtype=np.int64)]
    h += [h[i % len(h)] for i in repeat_at] if h else []
    arr = np.array(h, dtype=np.uint64)
    seen: set[int] = set()
    expect = []
    for x in arr.tolist():
        x = x or 1  # the kernel stores a hash of 0 as 1
        if x in seen:
            expect.append(x)
        seen.add(x)
    got = kernels._repeated_hashes(arr, 64).tolist()
    if len(expect) <= 64:
        assert sorted(got) == sorted(expect)
    else:
        assert len(got) == 65 and set(got) <= set(expect)


_PADDED = st.text(
    alphabet=st.sampled_from(list("ab 9.\t\n\r\x0b\x0c\x1f\x85\xa0盐城\u3000\u2003\u200b\ufeff")),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _PADDED), max_size=30))
def test_whitespace_scan_never_misses_padding(values):
    arr = pa.array(values, type=pa.string())
    if not kernels.may_need_trim(arr):
        assert pc.utf8_trim_whitespace(arr).equals(arr)


def test_whitespace_scan_and_parse_with_it(monkeypatch):
    assert not kernels.may_need_trim(pa.array(["320902", "", None, "12.5"]))
    for padded in (" 1", "1 ", "1\t", "\u30001", "1\u3000", "\xa01"):
        assert kernels.may_need_trim(pa.array(["320902", padded]))
    text = pa.table(
        {
            "account_type": ["household", " enterprise", "household"],
            "account_id": ["3209000000001", "91320900MA1X0000X0 ", "3209000000002"],
            "region_code": ["320902", "320903\u3000", "320904"],
            "date": ["2026-10-31", "2026-10-31", " 2026/10/31"],
            "kwh": ["1.5", " 2", "x"],
            "green_kwh": ["0", "0", "0"],
        }
    )
    plain = parse.parse_table("electricity_consumption", text)
    monkeypatch.setattr(config, "COMPILED_MIN", 0)
    scanned = parse.parse_table("electricity_consumption", text)
    pd.testing.assert_frame_equal(plain[0], scanned[0])
    pd.testing.assert_frame_equal(plain[1], scanned[1])
    assert scanned[0]["region_code"].tolist()[1] == "320903"


_USCC_CHARS = st.sampled_from(list(codes.USCC_ALPHABET + "abcxyzIOSVZ -é0"))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(_USCC_CHARS, min_size=16, max_size=19),
            st.builds(
                lambda r, o, k: codes.make_uscc(r, o)[: 17 - k] + codes.make_uscc(r, o)[17 - k :],
                st.sampled_from(["320902", "320981", "110000"]),
                st.text(st.sampled_from(list(codes.USCC_ALPHABET)), min_size=8, max_size=8),
                st.integers(0, 3),
            ),
        ),
        max_size=40,
    )
)
def test_vectorised_uscc_equals_stdnum(values):
    expect = [codes.is_valid_uscc(v) for v in values]
    assert codes.valid_uscc_mask(pa.array(values, type=pa.string())).tolist() == expect
    lower = [v.lower() if v else v for v in values]
    assert codes.valid_uscc_mask(pa.array(lower, type=pa.string())).tolist() == [
        codes.is_valid_uscc(v) for v in lower
    ]


def test_unique_key_shortcut_and_full_path_agree():
    df = pd.DataFrame(
        {
            "a": pd.Series(["x", "x", "y", "x"], dtype="str"),
            "b": pd.Series(["1", "2", "1", "1"], dtype="str"),
        }
    )
    assert schemas.duplicated_rows(df, ["a", "b"]).tolist() == [False, False, False, True]
    distinct = df.assign(b=pd.Series(["1", "2", "3", "4"], dtype="str"))
    assert schemas.duplicated_rows(distinct, ["a", "b"]).tolist() == [False] * 4


def test_map_small_arrow_and_object_paths_agree():
    mapping = {"household": 1.0, "public": 2.0}
    s = pd.Series(["household", None, "public", "zzz"], dtype="str")
    got = schemas.map_small(s, mapping, 9.0).tolist()
    assert got == [1.0, 9.0, 2.0, 9.0]
    assert schemas.map_small(s.astype(object), mapping, 9.0).tolist() == got


def test_both_kwh_checks_share_one_cap_per_frame(monkeypatch):
    """The daily kWh cap (by account type) is computed once per frame for kwh and green_kwh, and
    each check still reports its own column."""
    from carbon.pipeline.ingest.validate import run_contract

    calls = []
    real = schemas.map_small
    monkeypatch.setattr(schemas, "map_small", lambda s, m, d: calls.append(s.name) or real(s, m, d))
    frame = pd.DataFrame(
        {
            "account_type": pd.Series(["household", "household", "enterprise"], dtype="str"),
            "account_id": pd.Series(["a", "b", "91320900MA1X0000X0"], dtype="str"),
            "region_code": pd.Series(["320902"] * 3, dtype="str"),
            "date": pd.Series(pd.to_datetime(["2026-10-31"] * 3)).astype("datetime64[s]"),
            "kwh": [1.0, 10**6, 10**6],
            "green_kwh": [10**6, 0.0, 0.0],
        }
    )
    fc = run_contract("electricity_consumption", frame, "2026-10-31", dt.date(2026, 11, 1))
    assert calls == ["account_type"]
    ranged = fc[fc["check"] == "range"].sort_values("column")
    assert list(zip(ranged["index"], ranged["column"], strict=True)) == [
        (0, "green_kwh"),
        (1, "kwh"),
    ]
