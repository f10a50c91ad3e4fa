"""The province night under real Airflow (``run_dag``: SQLite + LocalExecutor) and real dbt
(issue 15 §3): three tiny city homes from ``carbon.province.demo``; Nanjing's warehouse is held
locked by another writer, so its night fails. Yancheng and Suqian build their ledgers; the
roll-up covers exactly those two, its totals equal the sums of the two cities' own marts, and
Nanjing (and every city without a home) is missing with its reason, never a zero."""

from __future__ import annotations

import json

import duckdb
import pytest

from carbon.config import paths
from carbon.orchestration.dagrun import run_dag
from carbon.pipeline.warehouse.build import warehouse_lock
from carbon.province import city_home
from carbon.province.demo import generate_province
from carbon.province.rollup import DB_NAME, province_reference

CITIES = ("320900", "321300", "320100")  # Yancheng, Suqian, Nanjing (made to fail)
FAILING = "320100"


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    home = tmp_path_factory.mktemp("jiangsu")
    generate_province(home, "tiny", cities=CITIES, start="2026-09", daily_days=2, anomalies=False)
    with warehouse_lock(city_home(home, FAILING)):  # another writer holds Nanjing's warehouse
        res = run_dag("province_nightly", home, conf={"province_home": str(home)})
    return home, res


def _city_marts(home, code):
    with duckdb.connect(str(paths(city_home(home, code)).warehouse), read_only=True) as c:
        monthly = c.execute("select sum(tco2e) from gov_region_emissions_monthly").fetchone()[0]
        by_method = dict(
            c.execute(
                "select method, sum(tco2e) from gov_region_emissions_monthly group by 1"
            ).fetchall()
        )
        year = dict(
            c.execute(
                f"select year, top_down_mt from gov_ceads_comparison where region_code = '{code}'"
            ).fetchall()
        )
        regions = {
            r[0]
            for r in c.execute("select region_code from gov_region_emissions_monthly").fetchall()
        }
    return monthly, by_method, year, regions


def test_one_failed_city_stops_no_other_and_is_missing_with_its_reason(night):
    home, res = night
    states = res.task_states
    assert states.get("roll_up") == "success", (states, res.output[-3000:])
    failed = [t for t, s in states.items() if t.startswith("city_night") and s == "failed"]
    ok = [t for t, s in states.items() if t.startswith("city_night") and s == "success"]
    assert len(failed) == 1 and len(ok) == 2, states
    with duckdb.connect(str(home / "province" / DB_NAME), read_only=True) as c:
        st = {r[0]: r[1:] for r in c.execute("select * from province_city_status").fetchall()}
    assert len(st) == 13
    assert {k for k, v in st.items() if v[2] == "in"} == {"320900", "321300"}
    status, reason = st[FAILING][2], st[FAILING][3]
    assert status == "missing" and "LockHeld" in reason, reason
    assert st["320200"][2] == "missing" and "no city home" in st["320200"][3]
    night_file = json.loads((city_home(home, FAILING) / "province_night.json").read_text())
    assert night_file["status"] == "failed"


def test_rollup_totals_are_the_sums_of_the_cities_own_marts(night):
    home, _res = night
    with duckdb.connect(str(home / "province" / DB_NAME), read_only=True) as c:
        by_city = dict(
            c.execute(
                "select city_code, sum(tco2e) from province_emissions_monthly group by 1"
            ).fetchall()
        )
        by_method = dict(
            c.execute(
                "select method, sum(tco2e) from province_emissions_monthly group by 1"
            ).fetchall()
        )
        vs = c.execute("select * from province_vs_ceads order by year").df()
        comments = c.execute(
            "select count(*) from duckdb_columns() where table_name like 'province_%' and comment like '%|%'"
        ).fetchone()[0]
    assert set(by_city) == {"320900", "321300"}  # the failed city is no zero row
    want_method: dict[str, float] = {}
    want_year: dict[int, float] = {}
    for code in ("320900", "321300"):
        total, methods, years, regions = _city_marts(home, code)
        assert by_city[code] == pytest.approx(total, rel=1e-12)
        # the city's rows are its own: Suqian's marts hold Suqian codes only
        assert all(r == code or r.startswith(code[:4]) for r in regions), (code, regions)
        for m, v in methods.items():
            want_method[m] = want_method.get(m, 0.0) + v
        for y, v in years.items():
            want_year[y] = want_year.get(y, 0.0) + v
    assert by_method == pytest.approx(want_method, rel=1e-12)
    assert len(vs) == len(want_year) >= 1
    for row in vs.itertuples():
        assert row.top_down_scope1_mt == pytest.approx(want_year[row.year], rel=1e-12)
        assert row.cities_covered == 2 and row.cities_total == 13
        assert FAILING in row.missing_cities.split(",")
        assert row.ceads_reference_year == 2019
        assert row.ceads_reference_mt == pytest.approx(province_reference(2019))
        assert row.ratio_to_reference == pytest.approx(
            row.top_down_scope1_mt / row.ceads_reference_mt
        )
    assert comments >= 20  # every column bilingual
