"""The ingest hot path's shortcuts give exactly what the plain, checked paths give.

- pseudonyms: keyed states copied per value, the fork-split over two processes and the numpy hex
  equal Python's ``hmac`` (and the DuckDB implementation);
- float parse: Arrow's whole-column cast equals the regex-checked parse, cell by cell;
- date parse: stopping after the first format that parses every cell changes nothing;
- partition sort: a permutation computed on the key columns, or no sort at all when the rows are
  already in order, equals Arrow's own ``sort_by``;
- the key check: a column with one distinct value per row settles ``unique_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.contracts import schemas
from carbon.ingest import parse, pipeline, pseudonym

SECRET = b"test-secret-fast"


def _hmac32(key: bytes, v: str) -> str:
    return hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize("key", [SECRET, b"k" * 100, b""])
def test_hmac_hex32_serial_and_forked_equal_python_hmac(monkeypatch, key):
    raw = [f"32090{i * 7919 % 10**8:08d}" for i in range(3_000)] + ["盐城-户号", "x", ""]
    expect = [_hmac32(key, v) for v in raw]
    serial = pseudonym.hmac_hex32(pa.array(raw), key).to_pylist()
    assert serial == expect
    monkeypatch.setattr(pseudonym, "_FORK_MIN", 10)  # force the two-process split
    forked = pseudonym.hmac_hex32(pa.array(raw), key).to_pylist()
    assert forked == expect
    assert list(pseudonym._hash_many_duckdb(np.array(raw[:50], dtype=object), key)) == expect[:50]


def test_pseudonymise_keeps_nulls_and_hashes_each_value(monkeypatch):
    monkeypatch.setattr(pseudonym, "_FORK_MIN", 2)
    s = pd.Series(["3209000000001", None, "3209000000002", "3209000000001"], dtype="str")
    out = pseudonym.pseudonymise(s, SECRET)
    assert out.isna().tolist() == [False, True, False, False]
    assert out[0] == out[3] == _hmac32(SECRET, "3209000000001")
    assert out[2] == _hmac32(SECRET, "3209000000002")


def test_electricity_hashes_households_and_unknown_types_only():
    frame = pd.DataFrame(
        {
            "account_type": pd.Series(["household", "enterprise", None, "bogus"], dtype="str"),
            "account_id": pd.Series(["3209000000001", "USCC-1", "3209000000002", "p"], dtype="str"),
        }
    )
    out, hashed = pipeline.pseudonymise_frame("electricity_consumption", frame, SECRET)
    assert out["account_id"].tolist() == [
        _hmac32(SECRET, "3209000000001"),
        "USCC-1",  # a USCC account keeps its (public) code
        _hmac32(SECRET, "3209000000002"),
        _hmac32(SECRET, "p"),
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


def _random_rows(n: int, seed: int) -> pa.Table:
    rnd = random.Random(seed)
    return pa.table(
        {
            "k1": [rnd.choice(["household", "enterprise", "public"]) for _ in range(n)],
            "k2": [hashlib.md5(str(rnd.randint(0, n // 2)).encode()).hexdigest() for _ in range(n)],
            "v": [float(i) for i in range(n)],
            "__source_file": [rnd.choice(["b.csv", "a.csv"]) for _ in range(n)],
            "__row_number": list(range(n)),
        }
    )


def test_sort_rows_permutation_and_already_sorted_skip():
    table = _random_rows(2_000, seed=11)
    cols = ["k1", "k2", "__source_file", "__row_number"]
    expect = table.sort_by([(c, "ascending") for c in cols])
    assert not pipeline.is_sorted(table, cols)
    assert pipeline.is_sorted(expect, cols)
    assert pipeline.sort_rows(table, ["k1", "k2"]).equals(expect)
    assert pipeline.sort_rows(table, ["k1", "k2"], ["k2", "v"]).equals(expect.select(["k2", "v"]))
    assert pipeline.sort_rows(expect, ["k1", "k2"]) is expect  # no work when already in order
    # one swapped pair of rows is noticed
    idx = np.arange(expect.num_rows)
    idx[[100, 101]] = idx[[101, 100]]
    assert not pipeline.is_sorted(expect.take(pa.array(idx)), cols)


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
