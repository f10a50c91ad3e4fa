"""Screenshot fixes, checked on the served page against the marts."""

from __future__ import annotations

import json
import re

import duckdb


def _ceads_rows(html: str) -> list[list[str]]:
    body = re.search(r'<table id="t-ceads">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_ceads_table_sets_the_city_against_the_city_reference(client_for, home):
    html = client_for("city").get("/").text
    rows = _ceads_rows(html)
    assert rows, "CEADs rows shown"
    assert not any("320000" in r[0] for r in rows), "the province row is not compared with the city"
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    ref = con.execute(
        "select ceads_reference_mt, ratio_to_reference from gov_ceads_comparison "
        "where region_code = '320900' order by year desc limit 1"
    ).fetchone()
    prov = con.execute(
        "select ceads_reference_mt from gov_ceads_comparison where region_code = '320000' limit 1"
    ).fetchone()
    con.close()
    city = next(r for r in rows if "320900" in r[0])
    assert abs(float(city[4].replace(",", "")) - ref[0]) < 0.01
    assert abs(float(city[5]) - ref[1]) < 0.001
    if prov:  # the province only as labelled context, never as a ratio
        assert "Context only" in html and "not compared" in html


def test_trend_scope2_is_a_gap_before_metering_and_says_so(client_for, home):
    html = client_for("city").get("/").text
    opt = json.loads(
        re.search(r"getElementById\(\"trend\"\)\);var o=(\{.*?\});o.animation", html, re.S).group(1)
    )
    _s1, s2 = opt["series"]
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    first = con.execute(
        "select min(month) from gov_region_emissions_monthly where method = 'bottom_up' "
        "and scope = 'scope2_electricity'"
    ).fetchone()[0]
    by_month = dict(
        con.execute(
            "select month, tco2e_scope2_electricity from gov_region_indicators where region_code = '320900'"
        ).fetchall()
    )
    con.close()
    months = opt["xAxis"]["data"]
    for m, v in zip(months, s2["data"], strict=True):
        if m < first:
            assert v is None, m  # no meter readings: a gap, not 0
        else:
            assert abs(v - by_month[m]) < 1e-6
    if first > months[0]:
        assert (
            first in opt["title"]["subtext"]
            and "metered electricity begins" in opt["title"]["subtext"]
        )
