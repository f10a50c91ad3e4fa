"""No single row fails the ledger build (issue 9, item 2): activity rows whose enterprise is not in
the register (a lower-case USCC, an enterprise missing from the register snapshot) or that have no
emission factor are left out of the ledgers and listed in ``recon_exceptions`` with their reason;
everything else builds and equals a build of the same lake without those rows."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from carbon.config import paths
from carbon.domain.codes import make_uscc
from carbon.pipeline.lake import PART_FILE, partition_dir
from carbon.pipeline.warehouse import build as ledgers
from carbon.pipeline.warehouse.headline import headline

pytestmark = pytest.mark.slow


def _rows(home, sql):
    con = duckdb.connect(str(paths(home).warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _append(lf, home, ds, key, value, extra: pd.DataFrame) -> None:
    """Add rows to a partition of the fixture lake (same partition as the good rows)."""
    old = pd.read_parquet(partition_dir(ds, key, value, home) / PART_FILE)
    lf._writer(home)(ds, key, value, pd.concat([old, extra], ignore_index=True))


def _bad_rows(lf, home) -> dict[str, str]:
    """The rows that must become exceptions: activity_ref -> reason_code."""
    ghost = make_uscc(lf.COUNTY, "GHKT0001")  # valid USCC, not in the register snapshot
    ghost_dc = make_uscc(lf.COUNTY, "GHDC0001")
    lower = lf.USCC_CEMENT.lower()  # passes the check digit when upper-cased, not in the register
    assert lower != lf.USCC_CEMENT
    _append(
        lf,
        home,
        "fuel_consumption",
        "month",
        "2022-06",
        pd.DataFrame(
            {
                "uscc": [lower, lf.USCC_CHIP],
                "fuel_code": ["natural_gas", "peat"],  # peat: no factor in the library
                "quantity": [2.0, 5.0],
                "unit": ["10^4 Nm3", "t"],
            }
        ),
    )
    _append(
        lf,
        home,
        "heat_consumption",
        "month",
        "2022-06",
        pd.DataFrame({"uscc": [ghost], "gj_purchased": [50.0], "gj_exported": [0.0]}),
    )
    _append(
        lf,
        home,
        "industrial_activity",
        "month",
        "2022-06",
        pd.DataFrame(
            {
                "uscc": [ghost],
                "product_code": ["clinker"],
                "quantity": [500.0],
                "unit": ["t"],
                "output_value_10k_cny": [100.0],
                "value_added_10k_cny": [40.0],
            }
        ),
    )
    _append(
        lf,
        home,
        "electricity_consumption",
        "date",
        "2022-06-15",
        pd.DataFrame(
            {
                "account_type": ["enterprise", "datacenter"],
                "account_id": [ghost, ghost_dc],
                "region_code": lf.COUNTY,
                "kwh": [3000.0, 7000.0],
                "green_kwh": [0.0, 1000.0],
            }
        ),
    )
    m = "2022-06"
    return {
        f"fuel_consumption/month={m}/{lower}|natural_gas": "unknown_enterprise",
        f"fuel_consumption/month={m}/{lf.USCC_CHIP}|peat": "missing_factor",
        f"heat_consumption/month={m}/{ghost}": "unknown_enterprise",
        f"industrial_activity/month={m}/{ghost}|clinker": "unknown_enterprise",
        f"electricity_consumption/month={m}/enterprise|{ghost}": "unknown_enterprise",
        f"electricity_consumption/month={m}/datacenter|{ghost_dc}": "unknown_enterprise",
    }


FIGURES = {
    "journal": "select ledger, account_id, period, entry_type, scope, gas, tco2e, activity_ref,"
    " factor_id, factor_version from main.ledger_entries",
    "ent": "select * from main.ent_enterprise_emissions_monthly",
    "eff": "select * from main.ent_carbon_efficiency",
    "gov": "select * from main.gov_region_emissions_monthly",
    "recon": "select * from main.recon_region_monthly",
    "ceads": "select * from main.gov_ceads_comparison",
}


def _figures(home) -> dict[str, list[tuple]]:
    return {k: sorted(_rows(home, q), key=repr) for k, q in FIGURES.items()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, lf):
    clean = tmp_path_factory.mktemp("exc-clean")
    lf.make_fixture_lake(clean)
    ledgers.build(clean, as_of="2025-06-01")
    dirty = tmp_path_factory.mktemp("exc-dirty")
    lf.make_fixture_lake(dirty)
    expected = _bad_rows(lf, dirty)
    result = ledgers.build(dirty, as_of="2025-06-01")  # must not raise
    return clean, dirty, expected, result


def test_build_succeeds_with_bad_rows(builds):
    _, _, _, result = builds
    assert result.ok
    assert not result.failures


def test_exceptions_mart_lists_exactly_the_bad_rows(builds):
    _, dirty, expected, _ = builds
    got = _rows(
        dirty,
        "select activity_ref, reason_code, reason_en, reason_zh, period from main.recon_exceptions",
    )
    assert {r[0]: r[1] for r in got} == expected
    for _ref, code, en, zh, period in got:
        assert period == "2022-06"
        assert zh and en
        if code == "unknown_enterprise":
            assert en.endswith("not in the register")
            assert "名录" in zh
        else:
            assert "peat" in en and "排放因子" in zh
    # none of them reached the journal
    refs = {r[0] for r in _rows(dirty, "select activity_ref from main.ledger_entries")}
    assert not refs & set(expected)


def _assert_same_rows(got, want, label):
    """Equal row by row; DOUBLE sums compared to 1e-12 relative / 1e-9 t absolute, because DuckDB's
    parallel SUM adds in no fixed order (777.5145220899999 vs 777.51452209 between two runs)."""
    assert len(got) == len(want), label
    for g, w in zip(got, want, strict=True):
        assert len(g) == len(w), (label, g, w)
        for x, y in zip(g, w, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9), (label, g, w)
            else:
                assert x == y, (label, g, w)


def test_other_figures_equal_a_build_without_the_bad_rows(builds):
    clean, dirty, _, _ = builds
    a, b = _figures(clean), _figures(dirty)
    for k in FIGURES:
        assert a[k], k
        _assert_same_rows(b[k], a[k], k)
    assert _rows(clean, "select count(*) from main.recon_exceptions") == [(0,)]
    assert all(r[0] for r in _rows(dirty, "select reconciles from main.recon_region_monthly"))


def test_headline_counts_the_exceptions(builds):
    _, dirty, _, _ = builds
    text = headline(dirty)
    assert "Reconciliation exceptions (对账异常): 6 activity rows" in text
    assert "unknown_enterprise: 5" in text and "missing_factor: 1" in text


def test_headline_names_both_years_of_the_ceads_comparison(builds, lf):
    """Issue 9, item 11: our year and the CEADs year are both named, with the ratio's years."""
    _, dirty, _, _ = builds
    text = headline(dirty)
    line = next(ln for ln in text.splitlines() if lf.CITY in ln and "CEADs" in ln)
    assert "our 2022" in line
    assert "latest CEADs year on or before 2022" in line or "no CEADs figure" in line
