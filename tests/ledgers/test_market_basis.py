"""Market-based Scope 2 in the journal: green power deducted once, at the market factor."""

from __future__ import annotations

import duckdb
import pytest

from carbon.config import paths
from carbon.pipeline.warehouse import build as ledgers

pytestmark = pytest.mark.slow


def test_market_basis_journal_deducts_green_power_once(tmp_path, lf):
    lf.make_fixture_lake(tmp_path)
    r = ledgers.build(tmp_path, scope2_basis="market")
    assert r.ok
    con = duckdb.connect(str(paths(tmp_path).warehouse), read_only=True)
    try:
        rows = con.execute(
            "select entry_type, tco2e from main.ledger_entries where account_id = ? "
            "and scope = 'scope2_electricity' order by entry_type",
            [lf.USCC_DC],
        ).fetchall()
        total, basis = con.execute(
            "select tco2e_total - scope1_combustion - scope1_process - scope2_heat, scope2_basis "
            "from main.ent_enterprise_emissions_monthly where uscc = ?",
            [lf.USCC_DC],
        ).fetchone()
    finally:
        con.close()
    # 10 MWh at the national factor excl. traded non-fossil (2022: 0.5856), 4 MWh green taken out
    assert rows[0][0] == "emission" and rows[0][1] == pytest.approx(10 * 0.5856, abs=1e-12)
    assert rows[1][0] == "green_power_deduction"
    assert rows[1][1] == pytest.approx(-4 * 0.5856, abs=1e-12)
    assert len(rows) == 2
    assert basis == "market" and total == pytest.approx(6 * 0.5856, abs=1e-12)
