"""Alert lifecycle and notifications with a real SMTP server (aiosmtpd) and a real HTTP server."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import typing
import zoneinfo

import pytest
import yaml

from carbon.monitor import lifecycle as lc
from carbon.monitor.engine import evaluate
from carbon.monitor.notify import send_alerts

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def _report(home, ds, day, rows_in, bad):
    f = home / "reports" / ds / f"{ds}_{day}.csv.json"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(
        json.dumps(
            {
                "dataset": ds,
                "file": f.name[:-5],
                "file_period": day,
                "status": "loaded",
                "rows_in": rows_in,
                "rows_ok": rows_in - bad,
                "rows_quarantined": bad,
            }
        )
    )


def _home(tmp_path, bad_rate):
    for k in range(1, 11):
        day = f"2026-10-{k:02d}"
        _report(tmp_path, "grid_signals", day, 1000, 0)
        _report(tmp_path, "low_carbon_activity", day, 1000, int(1000 * bad_rate))
    return tmp_path


def _at(h):
    return dt.datetime(2026, 11, 1, h, 0, tzinfo=TZ)


def test_one_alert_per_episode_auto_resolve_ack_and_escalation(tmp_path):
    home = _home(tmp_path, 0.2)
    r1 = evaluate(home, run_at=_at(1))
    a = r1.alerts
    assert list(a["rule_id"]) == ["quarantine_rate"] and list(a["subject_id"]) == [
        "low_carbon_activity"
    ]
    aid = a["alert_id"].iloc[0]
    assert r1.new == [aid] and a["status"].iloc[0] == "open"
    r2 = evaluate(home, run_at=_at(2))  # keeps firing: the same alert, nothing new
    assert list(r2.alerts["alert_id"]) == [aid] and r2.new == []
    assert r2.alerts["first_seen"].iloc[0] == _at(1).isoformat()
    lc.record_action(
        home, aid, "acknowledge", "值班员 张三", "called the platform", at=_at(3).isoformat()
    )
    t = lc.alert_table(home)
    assert t["status"].iloc[0] == "acknowledged" and t["acknowledged_by"].iloc[0] == "值班员 张三"
    # the condition clears: auto-resolved with the date of the run that no longer saw it
    _home(tmp_path, 0.0)
    r3 = evaluate(home, run_at=_at(4))
    row = r3.alerts.iloc[0]
    assert row["status"] == "resolved" and row["resolved_by"] == "auto"
    assert row["resolved_at"] == _at(4).isoformat()
    # it fires again: a new episode, a new alert id
    _home(tmp_path, 0.2)
    r4 = evaluate(home, run_at=_at(5))
    assert len(r4.new) == 1 and r4.new[0] != aid
    # deleting the warehouse (full refresh) does not touch the stores
    assert (home / "monitor" / "actions").exists()


def test_alert_columns_come_from_the_observation_or_the_lifecycle(tmp_path):
    """Every column of ``COLUMNS`` is either carried from the last observation (as it was
    recorded) or derived by the lifecycle; none is listed twice or lost."""
    assert set(lc.OBSERVED) | set(lc.DERIVED) == set(lc.COLUMNS)
    assert not set(lc.OBSERVED) & set(lc.DERIVED)
    home = _home(tmp_path, 0.2)
    t = evaluate(home, run_at=_at(1)).alerts
    assert list(t.columns) == lc.COLUMNS
    obs = lc.observations(home).iloc[-1]
    for c in lc.OBSERVED:
        assert str(t[c].iloc[0]) == str(obs[c]), c


def test_red_alert_escalates_when_unacknowledged(tmp_path):
    from carbon.monitor.rules import RuleSet, load_rules

    rs = load_rules()
    red = [
        r.__class__(**{**r.__dict__, "severity": 1}) for r in rs.rules if r.id == "quarantine_rate"
    ]
    rules = RuleSet(tuple(red), escalate_after_hours=6)
    home = _home(tmp_path, 0.2)
    assert not evaluate(home, rules, run_at=_at(1)).alerts["escalated"].iloc[0]
    assert evaluate(home, rules, run_at=_at(8)).alerts["escalated"].iloc[0]


class _Hook(http.server.BaseHTTPRequestHandler):
    got: typing.ClassVar[list] = []

    def do_POST(self):
        n = int(self.headers["Content-Length"])
        _Hook.got.append(json.loads(self.rfile.read(n)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    def log_message(self, *a):
        pass


@pytest.fixture
def servers():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Box(Sink):
        def __init__(self):
            self.mail = []

        async def handle_DATA(self, server, session, envelope):
            import email
            from email import policy

            m = email.message_from_bytes(envelope.content, policy=policy.default)
            self.mail.append(f"{m['Subject']}\n{m.get_content()}")
            return "250 OK"

    import socket

    box = Box()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    _Hook.got = []
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    th = threading.Thread(target=web.serve_forever, daemon=True)
    th.start()
    try:
        yield box, port, web.server_address[1]
    finally:
        smtp.stop()
        web.shutdown()
        web.server_close()


def _config(home, smtp_port, web_port, retries=1):
    f = home / "config" / "notify.yaml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(
        yaml.safe_dump(
            {
                "email": {
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "sender": "monitor@example.org",
                    "to": ["duty@example.org"],
                },
                "webhooks": [
                    {
                        "name": "duty-robot",
                        "url": f"http://127.0.0.1:{web_port}/robot/send?access_token=t",
                    }
                ],
                "retries": retries,
                "backoff_seconds": 0.05,
                "timeout_seconds": 2,
            }
        )
    )


def test_exactly_the_new_alerts_arrive_and_a_rerun_sends_nothing(tmp_path, servers):
    box, smtp_port, web_port = servers
    home = _home(tmp_path, 0.2)
    _report(home, "grid_signals", "2026-10-05", 1000, 900)  # a second sender over the threshold
    _config(home, smtp_port, web_port)
    r = evaluate(home, run_at=_at(1))
    assert len(r.new) == 2
    out = send_alerts(home, r.alerts)
    assert out["sent"] == 4 and out["undelivered"] == 0
    assert len(box.mail) == 2 and len(_Hook.got) == 2
    assert sorted(m["msgtype"] for m in _Hook.got) == ["text", "text"]
    for aid in r.new:
        assert sum(aid in m for m in box.mail) == 1
        assert sum(aid in m["text"]["content"] for m in _Hook.got) == 1
    r2 = evaluate(home, run_at=_at(2))
    assert send_alerts(home, r2.alerts)["sent"] == 0
    assert len(box.mail) == 2 and len(_Hook.got) == 2


def test_unreachable_target_is_recorded_and_sent_next_run(tmp_path, servers):
    import socket

    box, smtp_port, web_port = servers
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    home = _home(tmp_path, 0.2)
    _config(home, dead, web_port)
    r = evaluate(home, run_at=_at(1))
    out = send_alerts(home, r.alerts)  # does not raise
    assert out["undelivered"] == 1 and out["sent"] == 1
    n = lc.notifications(home)
    bad = n[~n["delivered"]]
    assert len(bad) == 1 and bad["attempts"].iloc[0] == 2 and "email" in bad["target"].iloc[0]
    _config(home, smtp_port, web_port)  # the relay is back
    out2 = send_alerts(home, evaluate(home, run_at=_at(2)).alerts)
    assert out2 == {"sent": 1, "undelivered": 0, "previously_undelivered": 1, "targets": 2}
    assert len(box.mail) == 1 and len(_Hook.got) == 1


def test_failed_task_notifies_the_operator(tmp_path, servers, monkeypatch):
    from types import SimpleNamespace

    from carbon.monitor.notify import on_failure

    box, smtp_port, web_port = servers
    _config(tmp_path, smtp_port, web_port)
    f = tmp_path / "config" / "notify.yaml"
    cfg = yaml.safe_load(f.read_text())
    cfg["operator"] = {"email": ["ops@example.org"], "webhooks": ["duty-robot"]}
    f.write_text(yaml.safe_dump(cfg))
    monkeypatch.setenv("CARBON_HOME", str(tmp_path))
    ti = SimpleNamespace(dag_id="build_ledgers", task_id="build")
    on_failure.notify(
        {"ti": ti, "dag_run": SimpleNamespace(run_id="r1"), "exception": RuntimeError("dbt failed")}
    )
    assert len(box.mail) == 1 and "build_ledgers" in box.mail[0] and "dbt failed" in box.mail[0]
    assert len(_Hook.got) == 1 and "流水线故障" in _Hook.got[0]["text"]["content"]
