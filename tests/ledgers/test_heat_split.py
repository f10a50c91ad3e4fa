"""Purchased and exported heat shown apart (issue 9 item 11): dbt build for real on a hand-made lake.

射阳县 320924 has a CHP plant that buys 100 GJ and exports 150,000 GJ of heat in 2026-01, and a
dyeing works that buys 20,000 GJ; 亭湖区 320902 has a dyeing works that buys 5,000 GJ. Heat factor
0.11 tCO2/GJ (net purchased heat, 净购入热力 = 外购热力 − 输出热力, MEE guidelines / GB/T 32150).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from carbon.config import paths
from carbon.domain.codes import make_uscc
from carbon.pipeline.warehouse import build as ledgers
from carbon.pipeline.warehouse.headline import headline_text

pytestmark = pytest.mark.slow

SHEYANG, TINGHU, CITY = "320924", "320902", "320900"
CHP = make_uscc(SHEYANG, "CHPA0001")
DYE_SY = make_uscc(SHEYANG, "DYEA0001")
DYE_TH = make_uscc(TINGHU, "DYEB0001")
F = 0.11
MONTH = "2026-01"


@pytest.fixture(scope="module")
def built(tmp_path_factory, lf):
    home = tmp_path_factory.mktemp("heat-split")
    w = lf._writer(home)
    w(
        "regions",
        "year",
        "2026",
        pd.DataFrame(
            {
                "region_code": [CITY, SHEYANG, TINGHU],
                "name_zh": ["盐城市", "射阳县", "亭湖区"],
                "parent_code": ["320000", CITY, CITY],
                "level": ["city", "county", "county"],
                "population": [6_690_000, 770_000, 960_000],
                "gdp_10k_cny": [74_000_000.0, 7_300_000.0, 10_900_000.0],
            }
        ),
    )
    ents = [
        (CHP, "射阳示范热电有限公司", "4412", SHEYANG),
        (DYE_SY, "射阳示范印染有限公司", "1713", SHEYANG),
        (DYE_TH, "亭湖示范印染有限公司", "1713", TINGHU),
    ]
    w(
        "enterprises",
        "month",
        MONTH,
        pd.DataFrame(
            {
                "uscc": [e[0] for e in ents],
                "name": [e[1] for e in ents],
                "industry_code": [e[2] for e in ents],
                "region_code": [e[3] for e in ents],
                "is_key_emitter": [True, False, False],
                "is_datacenter": False,
                "in_ets": [True, False, False],
                "snapshot_month": MONTH,
            }
        ),
    )
    w(
        "fuel_consumption",
        "month",
        MONTH,
        pd.DataFrame(
            {"uscc": [CHP], "fuel_code": ["raw_coal"], "quantity": [10_000.0], "unit": ["t"]}
        ),
    )
    w(
        "heat_consumption",
        "month",
        MONTH,
        pd.DataFrame(
            {
                "uscc": [CHP, DYE_SY, DYE_TH],
                "gj_purchased": [100.0, 20_000.0, 5_000.0],
                "gj_exported": [150_000.0, 0.0, 0.0],
            }
        ),
    )
    r = ledgers.build(home)
    con = duckdb.connect(str(paths(home).warehouse), read_only=True)
    try:
        gov = {
            row[0]: row[1:]
            for row in con.execute(
                """select region_code, tco2e_scope2_heat_purchased, tco2e_scope2_heat_exported,
                          tco2e_scope2_heat
                   from main.gov_region_indicators where month = ?""",
                [MONTH],
            ).fetchall()
        }
        ent = {
            row[0]: row[1:]
            for row in con.execute(
                """select uscc, scope2_heat_purchased_tco2e, scope2_heat_exported_tco2e, scope2_heat,
                          tco2e_total, scope1_combustion
                   from main.ent_enterprise_emissions_monthly where month = ?""",
                [MONTH],
            ).fetchall()
        }
        long = con.execute(
            """select region_code, fuel_code, sum(tco2e) from main.gov_region_emissions_monthly
               where method = 'bottom_up' and scope = 'scope2_heat' group by all order by all"""
        ).fetchall()
        journal_heat = con.execute(
            """select account_id, tco2e from main.ledger_entries
               where ledger = 'enterprise' and scope = 'scope2_heat'"""
        ).fetchall()
        headline = headline_text(con)
    finally:
        con.close()
    return {
        "r": r,
        "gov": gov,
        "ent": ent,
        "long": long,
        "journal": dict(journal_heat),
        "h": headline,
    }


def test_build_passes_its_dbt_tests(built):
    r = built["r"]
    assert r.ok and not r.failures
    tests = [k for k in r.statuses if k.startswith(("test.", "unit_test."))]
    assert any("heat_purchased_and_exported_kept_apart" in t for t in tests)  # the dbt unit test
    assert all(r.statuses[t] == "pass" for t in tests)


def test_district_with_chp_shows_purchased_exported_and_net(built):
    purchased, exported, net = built["gov"][SHEYANG]
    assert purchased >= 0 and exported >= 0
    # full precision, not rounded (to 1e-9 t: the mart's sums of DOUBLEs add in no fixed order)
    assert net == pytest.approx(purchased - exported, abs=1e-9)
    assert purchased == pytest.approx((100 + 20_000) * F, abs=1e-9)
    assert exported == pytest.approx(150_000 * F, abs=1e-9)
    assert net < 0  # the CHP plant exports more than the county's reporters buy
    # a district without an exporter: purchased only
    p2, x2, n2 = built["gov"][TINGHU]
    assert (p2, x2) == (pytest.approx(5_000 * F, abs=1e-9), 0.0)
    assert n2 == pytest.approx(p2, abs=1e-9)
    # the city rolls its counties up, apart as well
    pc, xc, nc = built["gov"][CITY]
    assert pc == pytest.approx(purchased + p2, abs=1e-9)
    assert xc == pytest.approx(exported, abs=1e-9)
    assert nc == pytest.approx(pc - xc, abs=1e-9)


def test_enterprise_mart_shows_heat_apart_and_net_equals_the_journal(built):
    p, x, net, total, s1 = built["ent"][CHP]
    assert (p, x) == (pytest.approx(100 * F, abs=1e-12), pytest.approx(150_000 * F, abs=1e-9))
    assert net == pytest.approx(p - x, abs=1e-9)
    # the journal posts the net, as the guidelines count it
    assert net == pytest.approx(built["journal"][CHP], abs=1e-9)
    assert total == pytest.approx(s1 + net, abs=1e-6)
    p, x, net, *_ = built["ent"][DYE_SY]
    assert (p, x, net) == (pytest.approx(20_000 * F, abs=1e-9), 0.0, p)


def test_long_inventory_has_purchased_rows_and_deduction_rows(built):
    rows = {(r, f): t for r, f, t in built["long"]}
    assert set(rows) == {
        (SHEYANG, "heat_purchased"),
        (SHEYANG, "heat_exported"),
        (TINGHU, "heat_purchased"),
        (TINGHU, "heat_exported"),
    }
    assert rows[(SHEYANG, "heat_purchased")] == pytest.approx(20_100 * F, abs=1e-9)
    assert rows[(SHEYANG, "heat_exported")] == pytest.approx(-150_000 * F, abs=1e-9)


def test_headline_names_purchased_and_exported_heat_in_chinese(built):
    (line,) = [ln for ln in built["h"].splitlines() if ln.strip().startswith(SHEYANG)]
    assert "外购热力 2,211" in line and "输出热力 16,500" in line
    assert "净购入热力 -14,289" in line
    assert "net heat < 0" in line
    (line,) = [ln for ln in built["h"].splitlines() if ln.strip().startswith(TINGHU)]
    assert "外购热力 550" in line and "输出热力 0" in line and "net heat < 0" not in line
