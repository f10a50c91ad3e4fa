"""``carbon.pipeline.ingest.redact``: how identifiers are masked in what ingest writes and says."""

from __future__ import annotations

import pyarrow as pa

from carbon.pipeline.ingest import redact
from carbon.pipeline.ingest.readers import RejectedFile


def test_mask_id_keeps_only_the_ends():
    assert redact.mask_id("320902198503121234") == "3209**********1234"
    assert redact.mask_id("19123456707") == "191****6707"
    assert redact.mask_id("3209000006045") == "3209*****6045"
    assert redact.mask_id("12345") == "*****"
    assert redact.mask_id(None) is None


def test_patterns_are_masked_in_free_text_but_not_codes_or_decimals():
    text = "联系人13912345678，身份证320902198503121234；+86 13812345678 / 139-1234-5678"
    out = redact.mask_patterns(text)
    assert "13912345678" not in out and "320902198503121234" not in out
    assert "139****5678" in out and "3209**********1234" in out
    assert "13812345678" not in out and "1234-5678" not in out
    # a USCC, a longer alphanumeric token, a region code and a date are not identifiers
    for keep in ("91320922CDTBBEFB68", "BK13912345678X", "320902", "20261001"):
        assert redact.mask_patterns(keep) == keep
    arr, n = redact.mask_patterns_arrow(pa.array(["a 13912345678", "b", None], pa.string()))
    assert arr.to_pylist() == ["a 139****5678", "b", None] and n == 1


def test_rejection_reasons_withhold_rows_and_mask_digit_runs():
    msg = "CSV parse error: Expected 7 columns, got 8: 3205792026045,2026-10-01,bus,1,trips,x,y,z"
    out = redact.redact_message(msg)
    assert "3205792026045" not in out and "bus" not in out
    assert out.startswith("CSV parse error: Expected 7 columns, got 8")
    e = RejectedFile("f.csv", msg, ["3205792026045", "region_code"])
    assert "3205792026045" not in str(e) and "3205792026045" not in e.reason
    assert e.columns == ["3205*****6045", "region_code"]
    assert redact.bytes_have_pattern("手机 13912345678".encode("utf-16"))
    assert not redact.bytes_have_pattern(b"uscc,name\n91320922CDTBBEFB68,x\n")
