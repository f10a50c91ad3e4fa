"""Real headless Debian chromium (Playwright): every page and role renders offline with no console
error, the figures equal the marts, the map shows the nine counties. Screenshots in the test's tmp dir
(or $CARBON_CONSOLE_SHOTS)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import duckdb
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(app):
    import uvicorn

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(5)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, server, role, logins):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1300, "height": 900})
    outside = []

    def block(route):
        if route.request.url.startswith(server):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    ctx.route("**/*", block)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    if role == "resident":
        page.goto(server + logins["resident"])
    else:
        page.goto(server + "/login")
        page.fill("input[name=username]", role)
        page.fill("input[name=password]", logins[role])
        page.click("button:has-text('Sign in')")
        page.wait_for_load_state("networkidle")
    return ctx, page, errors, outside


def _shot(page, name, tmp_path):
    d = Path(os.environ.get("CARBON_CONSOLE_SHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(d / f"{name}.png"), full_page=True)


def _cell(page, table, col, row=0):
    return page.locator(f"#t-{table} td[data-col={col}]").nth(row).inner_text()


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def test_city_overview_offline_map_and_figures(browser, server, logins, home, tmp_path):
    ctx, page, errors, outside = _page(browser, server, "city", logins)
    page.wait_for_function("window.mapReady !== undefined", timeout=15000)
    assert page.evaluate("window.mapReady") == 9
    regions = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('map')).getModel()"
        ".getSeriesByIndex(0).getData().count()"
    )
    assert regions == 9
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    month = con.execute("select max(month) from gov_region_indicators").fetchone()[0]
    ytd, budget = con.execute(
        "select tco2e_scope1_ytd, budget_tco2e from gov_region_indicators "
        "where region_code = '320900' and month = ?",
        [month],
    ).fetchone()
    levels = dict(
        con.execute(
            "select region_code, warning_level from gov_region_indicators "
            "where month = ? and region_code like '3209__' and region_code <> '320900'",
            [month],
        ).fetchall()
    )
    con.close()
    assert abs(_num(page.inner_text("#ytd")) - ytd) <= 0.5
    assert abs(_num(page.inner_text("#budget")) - budget) <= 0.5
    rows = page.locator("#t-districts tbody tr")
    assert rows.count() == 9
    for i in range(9):
        code = _cell(page, "districts", "region_code", i).split()[0]
        # the level shown as 绿 green / 黄 yellow / 红 red, not the bare code 1/2/3
        shown = _cell(page, "districts", "warning_level", i)
        assert shown == {1: "红 red", 2: "黄 yellow", 3: "绿 green"}[levels[code]], shown
    _shot(page, "city-overview", tmp_path)
    assert not errors, errors
    assert not outside, outside
    ctx.close()


@pytest.mark.parametrize(
    "role,path",
    [
        ("district", None),
        ("enterprise", None),
        ("city", "/alerts"),
        ("city", "/dispatch"),
        ("resident", "/personal"),
        ("bank", "consented"),
    ],
)
def test_every_page_and_role_renders(browser, server, logins, home, tmp_path, role, path):
    import csv
    import json

    ctx, page, errors, outside = _page(browser, server, role, logins)
    if path == "consented":
        with open(home / "console" / "bank_consents.csv") as fh:
            path = "/enterprise/" + next(csv.DictReader(fh))["uscc"]
    if path:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
    assert page.locator("main h2").count() == 1
    assert "403" not in page.inner_text("main h2")
    users = {
        u["username"]: u for u in json.loads((home / "console" / "users.json").read_text())["users"]
    }
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    if role == "district":
        code = users["district"]["region_code"]
        n = con.execute(
            "select count(*) from recon_region_monthly where region_code = ?", [code]
        ).fetchone()[0]
        assert page.locator("#t-recon tbody tr").count() == n
    if role in ("enterprise", "bank"):
        uscc = page.url.rsplit("/", 1)[1]
        total = con.execute(
            "select sum(tco2e_total) from ent_enterprise_emissions_monthly where uscc = ?", [uscc]
        ).fetchone()[0]
        shown = sum(
            _num(t) for t in page.locator("#t-monthly td[data-col=tco2e_total]").all_inner_texts()
        )
        assert abs(shown - total) <= 0.01 * max(1.0, abs(total)) + 12
        assert page.locator("#t-trace tbody tr").count() > 0
        assert page.locator("#t-trace td[data-col=factor_version]").first.inner_text()
    if path == "/personal":
        bal = con.execute(
            "select balance from per_account_balance order by balance desc, account_id limit 1"
        ).fetchone()[0]
        assert abs(_num(_cell(page, "balance", "balance")) - float(bal)) < 0.01
    con.close()
    _shot(page, f"{role}-{(path or 'home').strip('/').replace('/', '-')}", tmp_path)
    assert not errors, errors
    assert not outside, outside
    ctx.close()


def test_dispatch_schedule_chart_sums_to_the_planned_import(
    browser, server, logins, home, tmp_path
):
    """Each site's schedule chart renders (no console error), has a legend, price and carbon
    intensity on a second axis and the contract line, and its grid-import series (kW × step
    hours) sums to the plan's planned import in dispatch_site_daily."""
    import json

    ctx, page, errors, outside = _page(browser, server, "city", logins)
    page.goto(server + "/dispatch")
    page.wait_for_load_state("networkidle")
    charts = page.locator("div.sched")
    n = charts.count()
    assert n > 0
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    for i in range(n):
        el = charts.nth(i)
        cid, site, day = (el.get_attribute(a) for a in ("id", "data-site", "data-date"))
        steph = json.loads(el.get_attribute("data-steph"))
        opt = page.evaluate(
            f"(() => {{ const o = echarts.getInstanceByDom(document.getElementById('{cid}'))"
            ".getOption(); return {legend: o.legend[0].data || o.series.map(s => s.name),"
            " series: o.series.map(s => ({name: s.name, axis: s.yAxisIndex, data: s.data,"
            " mark: (s.markLine || {}).data})), axes: o.yAxis.length}; })()"
        )
        names = [s["name"] for s in opt["series"]]
        assert len(opt["legend"]) == len(names) >= 5
        assert all(re.search(r"[\u4e00-\u9fff]", s) and re.search(r"[A-Za-z]", s) for s in names)
        grid = next(s for s in opt["series"] if s["name"].startswith("电网购电"))
        price = next(s for s in opt["series"] if s["name"].startswith("电价"))
        ci = next(s for s in opt["series"] if s["name"].startswith("电网碳强度"))
        assert price["axis"] == 1 and ci["axis"] == 1 and grid["axis"] == 0 and opt["axes"] == 3
        assert any("contract" in json.dumps(m) for m in grid["mark"])
        shown_kwh = sum(kw * h for kw, h in zip(grid["data"], steph, strict=True))
        planned = con.execute(
            "select planned_import_kwh from dispatch_site_daily where site_id = ? and plan_date = ?",
            [site, day],
        ).fetchone()[0]
        assert abs(shown_kwh - planned) <= 1e-6 * max(1.0, planned), (site, day)
    con.close()
    _shot(page, "city-dispatch-schedule", tmp_path)
    assert not errors, errors
    assert not outside, outside
    ctx.close()
