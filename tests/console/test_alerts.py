"""The alerts inbox is the monitoring lifecycle store that ``carbon alerts`` reads and writes: the
same rows, the same actions (recorded with the console user and +08:00), surviving a rebuild."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli_list(home: Path, *extra: str) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "carbon.cli", "alerts", "list", "--json", *extra],
        cwd=REPO,
        env={**os.environ, "CARBON_HOME": str(home)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def inbox(client, qs: str = "") -> dict[str, dict]:
    html = client.get("/alerts" + qs).text
    rows = {}
    for m in re.finditer(
        r'<tr data-alert="(AL-[0-9A-F]{10})" data-status="([a-z]+)"(.*?)</tr>', html, re.S
    ):
        rows[m.group(1)] = {"status": m.group(2), "html": m.group(3)}
    return rows


def test_inbox_equals_cli_list_and_ack_is_seen_by_cli_and_survives_rebuild(
    client_for, home, built_warehouse
):
    c = client_for("city")
    listed = cli_list(home)
    assert listed, "the demo nightly raises open alerts (test premise)"
    shown = inbox(c)
    assert {a["alert_id"]: a["status"] for a in listed} == {
        k: v["status"] for k, v in shown.items()
    }
    everything = cli_list(home, "--all")
    assert set(inbox(c, "?status=all")) == {a["alert_id"] for a in everything}
    # severity / rule filters equal the CLI's
    sev = listed[0]["severity"]
    assert set(inbox(c, f"?severity={sev}")) == {
        a["alert_id"] for a in cli_list(home, "--severity", str(sev))
    }
    rule = listed[0]["rule_id"]
    assert set(inbox(c, f"?rule={rule}")) == {a["alert_id"] for a in listed if a["rule_id"] == rule}
    # first / last seen shown in Asia/Shanghai with its offset
    one = listed[0]
    assert "+08:00" in shown[one["alert_id"]]["html"]

    target = next(a for a in listed if a["status"] == "open")["alert_id"]
    page = c.get("/alerts").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post(
        f"/alerts/{target}/ack",
        data={"csrf": token, "note": "已通知企业核查 enterprise asked to check"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = {a["alert_id"]: a for a in cli_list(home)}
    assert after[target]["status"] == "acknowledged"
    assert after[target]["acknowledged_by"].startswith("city")
    assert after[target]["acknowledged_at"].endswith("+08:00")
    assert after[target]["response"] == "已通知企业核查 enterprise asked to check"

    # a warehouse rebuild (the file replaced by a fresh build's) loses nothing: the store is
    # outside the warehouse; both the CLI and the console still show the acknowledgement
    wh = home / "warehouse" / "carbon.duckdb"
    wh.unlink()
    shutil.copyfile(built_warehouse, wh)
    assert target in {a["alert_id"] for a in cli_list(home, "--status", "acknowledged")}
    again = inbox(c)
    assert again[target]["status"] == "acknowledged"
    assert "city" in again[target]["html"]

    # resolve through the console: the CLI's default list no longer holds it, --all says resolved
    r = c.post(f"/alerts/{target}/resolve", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert target not in {a["alert_id"] for a in cli_list(home)}
    assert {a["alert_id"]: a["status"] for a in cli_list(home, "--all")}[target] == "resolved"


def test_alert_post_without_csrf_is_403_and_records_nothing(client_for, home):
    c = client_for("city")
    listed = cli_list(home)
    target = listed[0]["alert_id"]
    acts = home / "monitor" / "actions"
    before = sorted(acts.glob("*.parquet")) if acts.exists() else []
    assert c.post(f"/alerts/{target}/resolve", data={}).status_code == 403
    assert c.post(f"/alerts/{target}/resolve", data={"csrf": "x" * 32}).status_code == 403
    assert (sorted(acts.glob("*.parquet")) if acts.exists() else []) == before
    assert {a["alert_id"]: a["status"] for a in cli_list(home)}[target] == listed[0]["status"]
