"""An unknown fuel fails the dbt build with an error naming the missing factor (no silent zero)."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon import ledgers

pytestmark = pytest.mark.slow


def test_unknown_fuel_fails_naming_the_factor(tmp_path, lf):
    lf.make_fixture_lake(tmp_path)
    lf._writer(tmp_path)(
        "fuel_consumption",
        "month",
        "2022-07",
        pd.DataFrame(
            {"uscc": [lf.USCC_CEMENT], "fuel_code": ["peat"], "quantity": [5.0], "unit": ["t"]}
        ),
    )
    with pytest.raises(ledgers.LedgerBuildError, match="fuel_peat: unknown fuel code"):
        ledgers.build(tmp_path, select=["+int_ent__fuel_emissions"])
