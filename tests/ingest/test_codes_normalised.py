"""Codes are normalised at ingest (issue 9, item 2): a USCC is loaded upper case and trimmed, a
region code trimmed, in EVERY dataset that has one (``uscc``, the meter account id of an
organisation, ``region_code`` / ``parent_code`` / ``province_code``).

The tiny demo city is ingested twice: as generated, and with every such code rewritten the way
senders spoil them (lower case, padded with spaces and tabs). Both lakes must be the same and
nothing may be quarantined for it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import pyarrow.compute as pc

from carbon.demo import generate
from carbon.domain.codes import valid_uscc_mask
from carbon.domain.datasets import DATASETS
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.ingest.readers import landing_files, read_landing
from carbon.pipeline.lake import read_dataset

SECRET = b"normalise-test"
REGION_COLUMNS = ("region_code", "parent_code", "province_code")


def _spoil(dataset: str, path: Path) -> int:
    """Rewrite one landing file as CSV with its USCCs lower-cased and padded and its region codes
    padded; return the number of cells spoiled."""
    text = read_landing(dataset, path)
    n = 0
    cols = {}
    for name in text.column_names:
        col = text[name].combine_chunks()
        if name == "uscc" or name == "account_id":
            org = valid_uscc_mask(col)
            if name == "account_id":  # only the organisations' accounts hold a USCC
                org &= pc.is_in(
                    text["account_type"], pc.cast(["enterprise", "public", "datacenter"], "string")
                ).to_numpy(zero_copy_only=False)
            vals = col.to_pylist()
            col = [f"  {v.lower()}\t" if o else v for v, o in zip(vals, org, strict=True)]
            n += int(org.sum())
        elif name in REGION_COLUMNS:
            col = [f" {v} " if v else v for v in col.to_pylist()]
            n += sum(1 for v in col if v)
        else:
            col = col.to_pylist()
        cols[name] = col
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(text.column_names)
    w.writerows(zip(*cols.values(), strict=True))
    path.unlink()
    path.with_suffix(".csv").write_text(buf.getvalue(), encoding="utf-8")
    return n


def test_uscc_and_region_codes_are_normalised_in_every_dataset(tmp_path):
    clean, spoilt = tmp_path / "clean", tmp_path / "spoilt"
    generate(clean, scale="tiny", seed=3, defect_rate=0, daily_days=2)
    shutil.copytree(clean / "landing", spoilt / "landing")
    coded = [
        ds
        for ds, spec in DATASETS.items()
        if {"uscc", "account_id", *REGION_COLUMNS} & set(spec.column_names)
    ]
    assert len(coded) >= 9
    today = dt.date(2026, 11, 2)
    for ds in coded:
        spoiled = sum(_spoil(ds, p) for p in landing_files(spoilt / "landing" / ds))
        assert spoiled > 0, ds
        a = pipeline.ingest_dataset(ds, clean, today=today, secret=SECRET)
        b = pipeline.ingest_dataset(ds, spoilt, today=today, secret=SECRET)
        assert b["rows_quarantined"] == a["rows_quarantined"] == 0, (ds, b["failures_by_check"])
        assert b["rows_ok"] == a["rows_ok"] > 0, ds
        la, lb = read_dataset(ds, clean), read_dataset(ds, spoilt)
        key = list(la.columns)
        la = la.sort_values(key, ignore_index=True)
        lb = lb[key].sort_values(key, ignore_index=True)
        assert la.equals(lb), ds
