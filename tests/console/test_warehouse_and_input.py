"""Snapshot reads never block the build and never show a half-written one; bad input pages."""

from __future__ import annotations

import fcntl
import shutil

import duckdb

from carbon.console.warehouse import Warehouse


def test_console_never_blocks_a_writer_and_serves_last_complete_build(tmp_path, built_warehouse):
    (tmp_path / "warehouse").mkdir()
    live = tmp_path / "warehouse" / "carbon.duckdb"
    shutil.copyfile(built_warehouse, live)
    wh = Warehouse(tmp_path)
    cur = wh.cursor()
    n0 = cur.execute("select count(*) from ledger_entries").fetchone()[0]
    # while the console holds its connection, the build can open the live file for writing
    w = duckdb.connect(str(live))
    # a build in progress: lock held, rows being written
    with open(live.parent / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        w.execute("delete from ledger_entries where ledger = 'government'")
        w.execute("checkpoint")
        c2 = wh.cursor()  # served during the build: the last complete build
        assert c2.execute("select count(*) from ledger_entries").fetchone()[0] == n0
        w.close()
        assert wh.cursor().execute("select count(*) from ledger_entries").fetchone()[0] == n0
        fcntl.flock(fh, fcntl.LOCK_UN)
    wh.cursor()  # starts the copy of the finished build on a helper thread
    wh.wait()
    n1 = wh.cursor().execute("select count(*) from ledger_entries").fetchone()[0]
    assert n1 < n0  # the finished build is published on the next request
    assert len(list((tmp_path / "console" / "snapshots").glob("*.duckdb"))) == 1
    wh.close()


def test_no_warehouse_page_says_run_the_nightly_build(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from carbon.console import auth
    from carbon.console.app import create_app

    (tmp_path / "console").mkdir()
    import json

    (tmp_path / "console" / "users.json").write_text(
        json.dumps(
            {
                "users": [
                    {"username": "city", "role": "city", "password_hash": auth.hash_password("pw")}
                ]
            }
        )
    )
    c = TestClient(create_app(tmp_path))
    import re

    r = c.get("/login")
    c.post(
        "/login",
        data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', r.text).group(1),
            "username": "city",
            "password": "pw",
        },
    )
    r = c.get("/")
    assert r.status_code == 503 and "nightly" in r.text and "Traceback" not in r.text


def test_unknown_and_malformed_parameters(client_for):
    c = client_for("city")
    r = c.get("/district/999999")
    assert r.status_code == 404 and "999999" in r.text
    r = c.get("/enterprise/91320981AX7TL24U6Y")
    assert r.status_code == 404 and "91320981AX7TL24U6Y" in r.text
    r = c.get("/?period=2019-01")
    assert r.status_code == 404 and "2019-01" in r.text
    for url, why in [
        ("/district/32x", "six digits"),
        ("/enterprise/short", "18"),
        ("/?period=2026-13", "YYYY-MM"),
        ("/download/overview/top.pdf", "csv or xlsx"),
    ]:
        r = c.get(url)
        assert r.status_code == 400 and why in r.text, url


def test_downloads_have_chinese_beside_english_headers(client_for):
    import io

    import openpyxl

    c = client_for("city")
    r = c.get("/download/overview/districts.csv")
    head = r.content.decode("utf-8-sig").splitlines()[0]
    assert "region_code 区县代码" in head and "warning_level 预警等级" in head
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/download/overview/districts.xlsx").content))
    assert wb.active.cell(1, 1).value == "region_code 区县代码"
    assert wb.active.max_row == 10  # nine counties + header
