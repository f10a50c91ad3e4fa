"""An unknown fuel never gives a silent zero: the row is left out of the ledgers and listed in
recon_exceptions with the missing factor named, and the build goes on (issue 9, item 2)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from carbon.config import paths
from carbon.pipeline.warehouse import build as ledgers

pytestmark = pytest.mark.slow


def test_unknown_fuel_is_an_exception_naming_the_factor(tmp_path, lf):
    lf.make_fixture_lake(tmp_path)
    lf._writer(tmp_path)(
        "fuel_consumption",
        "month",
        "2022-07",
        pd.DataFrame(
            {"uscc": [lf.USCC_CEMENT], "fuel_code": ["peat"], "quantity": [5.0], "unit": ["t"]}
        ),
    )
    assert ledgers.build(tmp_path).ok
    con = duckdb.connect(str(paths(tmp_path).warehouse), read_only=True)
    try:
        rows = con.execute(
            "select activity_ref, reason_code, reason_en from main.recon_exceptions"
        ).fetchall()
        in_journal = con.execute(
            "select count(*) from main.ledger_entries where activity_ref like '%|peat'"
        ).fetchone()[0]
    finally:
        con.close()
    assert rows == [
        (
            f"fuel_consumption/month=2022-07/{lf.USCC_CEMENT}|peat",
            "missing_factor",
            "missing emission factor fuel_peat: unknown fuel code",
        )
    ]
    assert in_journal == 0
