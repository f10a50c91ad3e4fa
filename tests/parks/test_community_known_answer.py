"""Known-answer test of the zero-carbon community balance (零碳社区), worked by hand.

Community C1, 2026-10: households h1 (snapshot 2026-09, the latest earlier one) and h2 (2026-10);
h3 belongs to C2 and h4's only snapshot is later (2026-11), so it does not count.
  household electricity 250.5 + 149.5                  = 400 kWh
  net balance 400 + 600 public − 1200 PV − 100 green    = −300 kWh ≤ 0: passes
  participants: h1 only (h2 holds no 碳普惠 points)     = 1 of 2 = 50 % ≥ 50: passes
C2: 80 kWh + 0 public − 0 PV − 0 green = 80 kWh: fails; participants 0 of 1 = 0 %: fails.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from carbon.domain.parks import DATA_DIR
from carbon.pipeline.warehouse import build as ledgers

MODEL = "community_indicators_monthly"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    home = tmp_path_factory.mktemp("community_home")
    (home / "warehouse").mkdir()
    ok, res = ledgers.run_dbt(["compile", "--select", MODEL], home)
    assert ok, res
    target, _ = ledgers.dbt_dirs(home)
    (path,) = (target / "compiled").rglob(f"{MODEL}.sql")
    return path.read_text(encoding="utf-8")


def test_hand_worked_community(compiled, tmp_path):
    con = duckdb.connect(str(tmp_path / "carbon.duckdb"))
    for s in ("ref", "main", "intermediate", "staging"):
        con.execute(f"create schema if not exists {s}")
    rules = pd.read_csv(DATA_DIR / "community_rules.csv", dtype=str, keep_default_na=False)
    con.register("rules", rules)
    con.execute(
        "create table ref.community_rules as select * replace (cast(value as double) as value) from rules"
    )
    con.execute("""create table staging.stg_lake__community_energy as select * from (values
        ('C1', '2026-10', 600.0, 1200.0, 100.0), ('C2', '2026-10', 0.0, 0.0, 0.0))
        t(community_id, month, public_kwh, pv_kwh, green_purchase_kwh)""")
    con.execute("""create table staging.stg_lake__households as select * from (values
        ('h1', '320902', 'C1', 3, '2026-09'), ('h2', '320902', 'C1', 2, '2026-10'),
        ('h3', '320902', 'C2', 1, '2026-10'), ('h4', '320902', 'C1', 1, '2026-11'))
        t(household_key, region_code, community_id, members, snapshot_month)""")
    con.execute("""create table intermediate.int_elec__account_monthly as select * from (values
        ('household', 'h1', '2026-10', 250.5), ('household', 'h2', '2026-10', 149.5),
        ('household', 'h3', '2026-10', 80.0), ('household', 'h4', '2026-10', 999.0),
        ('enterprise', 'h1', '2026-10', 5000.0)) t(account_type, account_id, month, kwh)""")
    con.execute("""create table main.per_account_balance as select * from (values
        ('h1', 'household', 10.0), ('h2', 'household', 0.0), ('h3', 'person', 5.0))
        t(account_id, account_kind, points_earned)""")
    con.execute(f"create table main.{MODEL} as {compiled}")
    got = {
        r[0]: r[1:]
        for r in con.execute(
            f"select community_id, households, household_kwh, net_kwh, participants, "
            f"participant_share_pct, balance_passes, participation_passes, rule_version from main.{MODEL}"
        ).fetchall()
    }
    c1, c2 = got["C1"], got["C2"]
    assert c1[0] == 2 and abs(c1[1] - 400.0) <= 1e-9 and abs(c1[2] - (-300.0)) <= 1e-9
    assert c1[3] == 1 and abs(c1[4] - 50.0) <= 1e-9 and c1[5] is True and c1[6] is True
    assert c2[0] == 1 and abs(c2[2] - 80.0) <= 1e-9 and c2[3] == 0
    assert c2[5] is False and c2[6] is False
    assert c1[7] == c2[7] == "CARBON-COMMUNITY-2026-1"
