"""The example file on each dataset's docs page is a valid delivery: it ingests with no row lost."""

from __future__ import annotations

import shutil

import pytest

from carbon.demo.dataset_docs import example_file
from carbon.domain.datasets import DATASETS
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.lake import read_dataset


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_example_file_ingests_cleanly(dataset, tmp_path):
    src = example_file(dataset)
    assert src is not None, f"docs/datasets/examples has no example for {dataset}"
    land = tmp_path / "landing" / dataset
    land.mkdir(parents=True)
    shutil.copy(src, land / src.name)
    summary = pipeline.ingest_dataset(dataset, tmp_path, secret=b"example-test")
    assert summary["rows_in"] > 0
    assert summary["rows_quarantined"] == 0, summary
    assert summary["rejected"] == []
    assert len(read_dataset(dataset, tmp_path)) == summary["rows_ok"] == summary["rows_in"]
