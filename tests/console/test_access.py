"""Who may see what (issue 12 §3): each check here fails if its server-side check is removed."""

from __future__ import annotations

import csv
import json
import re
from datetime import date

import duckdb
import pytest

from carbon.console import auth

OTHER_DISTRICT = "320981"


def _demo(home):
    cfg = json.loads((home / "console" / "users.json").read_text())
    return {u["username"]: u for u in cfg["users"]}


def _consents(home):
    with open(home / "console" / "bank_consents.csv") as fh:
        return list(csv.DictReader(fh))


def test_district_sees_own_district_only_pages_downloads(client_for, home):
    own = _demo(home)["district"]["region_code"]
    other = OTHER_DISTRICT if own != OTHER_DISTRICT else "320902"
    c = client_for("district")
    assert c.get(f"/district/{own}").status_code == 200
    assert c.get(f"/district/{other}").status_code == 403
    assert c.get(f"/download/district/recon.csv?key={other}").status_code == 403
    assert c.get(f"/download/district/recon.xlsx?key={other}").status_code == 403
    assert c.get("/download/overview/districts.csv").status_code == 403  # city-wide table
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    foreign = con.execute(
        "select uscc from ent_enterprise_emissions_monthly where region_code <> ? limit 1", [own]
    ).fetchone()[0]
    con.close()
    assert c.get(f"/enterprise/{foreign}").status_code == 403


def test_enterprise_changing_uscc_gets_403(client_for, home):
    users = _demo(home)
    own = users["enterprise"]["uscc"]
    other = _consents(home)[1]["uscc"]
    c = client_for("enterprise")
    assert c.get(f"/enterprise/{own}").status_code == 200
    assert c.get(f"/enterprise/{other}").status_code == 403
    assert c.get(f"/download/enterprise/trace.csv?key={other}").status_code == 403


def test_bank_only_while_consent_in_force(client_for, home):
    active, ended = _consents(home)
    assert ended["end_date"] < date.today().isoformat()
    c = client_for("bank")
    assert c.get(f"/enterprise/{active['uscc']}").status_code == 200
    assert c.get(f"/enterprise/{ended['uscc']}").status_code == 403
    assert c.get(f"/download/enterprise/monthly.xlsx?key={ended['uscc']}").status_code == 403
    d = auth.Directory(home)
    assert d.consent_in_force("demo-bank", ended["uscc"], date.fromisoformat(ended["end_date"]))
    assert not d.consent_in_force("demo-bank", active["uscc"], date(2000, 1, 1))  # before start


def test_resident_sees_own_account_by_token_only(client_for, app):
    r = client_for("resident").get("/personal")
    assert r.status_code == 200 and "balance" in r.text
    assert client_for("city").get("/personal").status_code == 403
    from fastapi.testclient import TestClient

    assert TestClient(app).get("/r/not-a-token").status_code == 404


SQL_META = [
    "' or '1'='1",
    "1; drop table ledger_entries; --",
    '" or 1=1 --',
    "%' --",
    "320902' union select 1 --",
]


@pytest.mark.parametrize("bad", SQL_META)
def test_sql_metacharacters_are_harmless(client_for, home, bad):
    from urllib.parse import quote

    c = client_for("city")
    for url in (
        f"/district/{quote(bad, safe='')}",
        f"/enterprise/{quote(bad, safe='')}",
        f"/?period={quote(bad)}",
        f"/download/district/recon.csv?key={quote(bad)}",
        f"/download/enterprise/trace.csv?key={quote(bad)}",
        f"/alerts?period={quote(bad)}",
    ):
        r = c.get(url)
        assert r.status_code in (400, 404), (url, r.status_code)
    r = c.get("/alerts")
    token = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)
    r = c.post(f"/alerts/{quote(bad, safe='')}/ack", data={"csrf": token})
    assert r.status_code in (400, 404)
    for qs in (f"status={quote(bad)}", f"severity={quote(bad)}", f"rule={quote(bad)}"):
        assert c.get(f"/alerts?{qs}").status_code == 400, qs
    con = duckdb.connect(str(home / "warehouse" / "carbon.duckdb"), read_only=True)
    assert con.execute("select count(*) from ledger_entries").fetchone()[0] > 0
    con.close()


def test_sql_is_bound_not_formatted():
    """No query text in the console is built from a request value."""
    from pathlib import Path

    src = (Path(auth.__file__).parent / "queries.py").read_text()
    assert not re.search(r"f\"[^\"]*(where|and)[^\"]*\{(?!IND_COLS)", src)
    assert ".format(" not in src and "% (" not in src


def _actions(home):
    d = home / "monitor" / "actions"
    return sorted(p.name for p in d.glob("*.parquet")) if d.exists() else []


def test_post_without_csrf_fails(client_for, home):
    c = client_for("city")
    page = c.get("/alerts").text
    alert = re.search(r'action="/alerts/(AL-[0-9A-F]{10})/ack"', page).group(1)
    before = _actions(home)
    assert c.post(f"/alerts/{alert}/ack", data={}).status_code == 403
    assert c.post(f"/alerts/{alert}/ack", data={"csrf": "forged"}).status_code == 403
    assert _actions(home) == before  # nothing recorded
    from fastapi.testclient import TestClient

    anon = TestClient(c.app)
    assert anon.post("/login", data={"username": "city", "password": "x"}).status_code == 403


def _foreign_alert(home, own: str):
    from carbon.monitor import lifecycle as lc

    t = lc.alert_table(home)
    t = t[t["status"].isin(["open", "acknowledged"])]
    mine = t[t["region_code"] == own]
    other = t[(t["region_code"] != own) & t["region_code"].notna()]
    return mine, other


def test_district_alerts_scoped_both_ways(client_for, home):
    """A district bureau sees (and may act on) the alerts of its own district only, and sees all of
    them; a POST on another district's alert is 403 and records nothing."""
    own = _demo(home)["district"]["region_code"]
    mine, other = _foreign_alert(home, own)
    assert len(other), "the demo raises alerts in other districts (test premise)"
    c = client_for("district")
    page = c.get("/alerts?status=all").text
    shown = set(re.findall(r'data-alert="(AL-[0-9A-F]{10})"', page))
    from carbon.monitor import lifecycle as lc

    t = lc.alert_table(home)
    assert shown == set(t.loc[t["region_code"] == own, "alert_id"])
    assert not shown & set(other["alert_id"])
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    before = _actions(home)
    r = c.post(f"/alerts/{other['alert_id'].iloc[0]}/resolve", data={"csrf": token})
    assert r.status_code == 403
    assert _actions(home) == before
    if len(mine):
        r = c.post(
            f"/alerts/{mine['alert_id'].iloc[0]}/ack",
            data={"csrf": token, "note": "区局核查 checked"},
            follow_redirects=False,
        )
        assert r.status_code == 303


def test_enterprise_sees_only_its_own_alerts(client_for, home):
    uscc = _demo(home)["enterprise"]["uscc"]
    from carbon.monitor import lifecycle as lc

    t = lc.alert_table(home)
    c = client_for("enterprise")
    page = c.get("/alerts?status=all")
    assert page.status_code == 200
    shown = set(re.findall(r'data-alert="(AL-[0-9A-F]{10})"', page.text))
    want = set(t.loc[(t["subject_type"] == "enterprise") & (t["subject_id"] == uscc), "alert_id"])
    assert shown == want
    foreign = t[~t["alert_id"].isin(want)]
    if len(foreign):
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = c.post(f"/alerts/{foreign['alert_id'].iloc[0]}/ack", data={"csrf": token})
        assert r.status_code == 403


def test_session_cookie_signed_httponly_samesite(app, logins):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.get("/login")
    r = c.post(
        "/login",
        data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', r.text).group(1),
            "username": "city",
            "password": logins["city"],
        },
        follow_redirects=False,
    )
    sc = r.headers["set-cookie"].lower()
    assert "httponly" in sc and "samesite=strict" in sc
    good = c.cookies["carbon_session"]
    assert c.get("/", follow_redirects=False).status_code == 200
    forged = TestClient(
        app,
        cookies={
            "carbon_session": good[:-6] + ("A" * 6 if not good.endswith("A" * 6) else "B" * 6)
        },
    )
    assert (
        forged.get("/", follow_redirects=False).status_code == 303
    )  # bad signature: back to login
    users = json.loads((c.app.state.directory.home / "console" / "users.json").read_text())
    assert all(u["password_hash"].startswith("$argon2id$") for u in users["users"])


ID_CARD = re.compile(
    r"(?<![0-9A-Z.])[1-8]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX](?![0-9A-Z])"
)
PHONE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?![\d.])")


def test_no_page_or_download_contains_a_raw_identifier(client_for, home):
    users = _demo(home)
    pages = {
        "city": [
            "/",
            "/alerts",
            "/dispatch",
            f"/district/{users['district']['region_code']}",
            f"/enterprise/{users['enterprise']['uscc']}",
            "/download/overview/top.csv",
            f"/download/enterprise/trace.csv?key={users['enterprise']['uscc']}",
        ],
        "resident": [
            "/personal",
            "/download/personal/credits.csv",
            "/download/personal/balance.csv",
        ],
    }
    seen = 0
    for role, urls in pages.items():
        c = client_for(role)
        for u in urls:
            r = c.get(u)
            assert r.status_code == 200, u
            text = r.content.decode("utf-8-sig")
            assert not ID_CARD.search(text), u
            assert not PHONE.search(text), u
            seen += 1
    assert seen == 10
