"""Notifications through Airflow's notifier machinery (通知): e-mail over SMTP and robot webhooks.

Targets come from configuration, never from code: ``<home>/config/notify.yaml`` (or the file named
by ``CARBON_NOTIFY_CONFIG``)::

    email:                       # SMTP (e.g. the bureau's relay)
      host: smtp.example.gov.cn
      port: 25
      sender: carbon-monitor@example.gov.cn
      to: [duty@example.gov.cn]
      starttls: false            # optional; user / password optional
    webhooks:                    # DingTalk (钉钉) or WeCom (企业微信) group robots
      - name: duty-dingtalk
        url: https://.../robot/send?access_token=...
    operator:                    # failures of the pipeline itself (on_failure_callback)
      email: [ops@example.gov.cn]
      webhooks: [duty-dingtalk]
    retries: 3                   # attempts per target after the first
    backoff_seconds: 2           # doubled after each failed attempt
    timeout_seconds: 10

The webhook body is ``{"msgtype": "text", "text": {"content": ...}}``, which both DingTalk and
WeCom robots accept (their "text" message type).

Both notifiers are :class:`airflow.sdk.BaseNotifier` subclasses, so a DAG can use them as
``on_failure_callback`` or ``on_success_callback`` like any provider notifier. An unreachable
target is retried with exponential backoff, then recorded as undelivered
(``<home>/monitor/notifications``); the next run sends what is still undelivered and says so.
"""

from __future__ import annotations

import json
import os
import smtplib
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import yaml
from airflow.sdk import BaseNotifier

from carbon.config import paths


class NotifyConfigError(ValueError):
    pass


def config_path(home=None) -> Path:
    env = os.environ.get("CARBON_NOTIFY_CONFIG")
    return Path(env) if env else paths(home).home / "config" / "notify.yaml"


def load_config(home=None) -> dict:
    f = config_path(home)
    if not f.exists():
        return {}
    doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
    known = {"email", "webhooks", "operator", "retries", "backoff_seconds", "timeout_seconds"}
    for k in doc:
        if k not in known:
            raise NotifyConfigError(f"{f}: field {k!r}: unknown (allowed: {sorted(known)})")
    for i, w in enumerate(doc.get("webhooks") or []):
        if not isinstance(w, dict) or not w.get("url") or not w.get("name"):
            raise NotifyConfigError(f"{f}: webhooks[{i}]: needs name and url")
    e = doc.get("email")
    if e is not None and (not e.get("host") or not e.get("to") or not e.get("sender")):
        raise NotifyConfigError(f"{f}: email: needs host, sender and to")
    return doc


def _retrying(send, retries: int, backoff: float) -> tuple[bool, int, str | None]:
    err = None
    for attempt in range(retries + 1):
        try:
            send()
            return True, attempt + 1, None
        except Exception as exc:  # network errors of any kind: retry, then record
            err = f"{type(exc).__name__}: {exc}"
            if attempt < retries:
                time.sleep(backoff * (2**attempt))
    return False, retries + 1, err


class EmailNotifier(BaseNotifier):
    """E-mail over SMTP (plain smtplib; host, port, TLS and login from the configuration)."""

    template_fields = ("subject", "body")

    def __init__(self, *, smtp: dict, to: list[str], subject: str, body: str, timeout: float = 10):
        super().__init__()
        self.smtp, self.to, self.subject, self.body, self.timeout = (
            smtp,
            list(to),
            subject,
            body,
            timeout,
        )

    def notify(self, context) -> None:
        msg = EmailMessage()
        msg["From"] = self.smtp["sender"]
        msg["To"] = ", ".join(self.to)
        msg["Subject"] = self.subject
        msg.set_content(self.body)
        with smtplib.SMTP(
            self.smtp["host"], int(self.smtp.get("port", 25)), timeout=self.timeout
        ) as s:
            if self.smtp.get("starttls"):
                s.starttls()
            if self.smtp.get("user"):
                s.login(self.smtp["user"], self.smtp.get("password", ""))
            s.send_message(msg)


class RobotWebhookNotifier(BaseNotifier):
    """A DingTalk / WeCom group-robot webhook: POST {"msgtype": "text", "text": {"content": ...}}."""

    template_fields = ("content",)

    def __init__(self, *, url: str, content: str, timeout: float = 10):
        super().__init__()
        self.url, self.content, self.timeout = url, content, timeout

    def notify(self, context) -> None:
        body = json.dumps(
            {"msgtype": "text", "text": {"content": self.content}}, ensure_ascii=False
        )
        req = urllib.request.Request(
            self.url,
            data=body.encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            if r.status >= 300:
                raise OSError(f"HTTP {r.status}")
            payload = r.read()
        try:  # robots answer 200 with an error code in the body
            code = json.loads(payload or b"{}").get("errcode", 0)
        except ValueError:
            code = 0
        if code:
            raise OSError(f"robot answered errcode {code}: {payload[:200]!r}")


def _text(alert, event: str) -> str:
    head = "ESCALATED 升级" if event == "escalated" else "NEW 新预警"
    sev = {1: "red 红色", 2: "orange 橙色", 3: "yellow 黄色"}[int(alert["severity"])]
    return (
        f"[{head}] {alert['alert_id']} severity {sev}\n"
        f"{alert['rule_name_en']} | {alert['rule_name_zh']}\n"
        f"subject 对象: {alert['subject_type']} {alert['subject_id']}"
        + (f" {alert['subject_name']}" if alert.get("subject_name") else "")
        + f"\nregion 区县: {alert.get('region_code') or '-'}  period 期间: {alert['period']}\n"
        f"evidence 证据: {alert['evidence']}\nrecords 记录: {alert['records']}"
    )


def targets(cfg: dict) -> list[tuple[str, object]]:
    out = []
    if cfg.get("email"):
        out.append(("email:" + ",".join(cfg["email"]["to"]), cfg["email"]))
    for w in cfg.get("webhooks") or []:
        out.append((f"webhook:{w['name']}", w))
    return out


def send_alerts(home, table, min_severity: int = 3) -> dict:
    """Send every new (not yet delivered) and newly escalated alert to every target, once."""
    from carbon.monitor import lifecycle as lc

    cfg = load_config(home)
    tg = targets(cfg)
    if not tg or table.empty:
        return {"sent": 0, "undelivered": 0, "previously_undelivered": 0, "targets": len(tg)}
    past = lc.notifications(home)
    delivered = set()
    failed_before = set()
    if not past.empty:
        for r in past.itertuples():
            (delivered if r.delivered else failed_before).add((r.alert_id, r.event, r.target))
    retries, backoff = int(cfg.get("retries", 3)), float(cfg.get("backoff_seconds", 2))
    timeout = float(cfg.get("timeout_seconds", 10))
    active = table[
        table["status"].isin(["open", "acknowledged"]) & (table["severity"] <= min_severity)
    ]
    rows, sent, undelivered, retried = [], 0, 0, 0
    for name, t in tg:
        dead = False  # a target that failed every retry is not retried for each alert this run
        for a in active.to_dict("records"):
            for event in ("new", "escalated"):
                if event == "escalated" and not a["escalated"]:
                    continue
                key = (a["alert_id"], event, name)
                if key in delivered:
                    continue
                retried += key in failed_before
                text = _text(a, event)
                if name.startswith("email:"):
                    n = EmailNotifier(
                        smtp=t,
                        to=t["to"],
                        timeout=timeout,
                        subject=f"[carbon monitor {event}] {a['alert_id']} {a['rule_name_zh']} {a['subject_id']}",
                        body=text,
                    )
                else:
                    n = RobotWebhookNotifier(url=t["url"], content=text, timeout=timeout)
                if dead:
                    ok, attempts, err = False, 0, "target unreachable earlier in this run"
                else:
                    ok, attempts, err = _retrying(lambda n=n: n.notify({}), retries, backoff)
                    dead = not ok
                rows.append(
                    {
                        "alert_id": a["alert_id"],
                        "event": event,
                        "target": name,
                        "delivered": ok,
                        "attempts": attempts,
                        "error": err,
                        "at": lc.now_local().isoformat(),
                    }
                )
                sent += ok
                undelivered += not ok
    lc.record_notification(home, rows)
    return {
        "sent": sent,
        "undelivered": undelivered,
        "previously_undelivered": retried,
        "targets": len(tg),
    }


class OperatorNotifier(BaseNotifier):
    """``on_failure_callback`` for the project's DAGs: tells the operator a task failed."""

    def notify(self, context) -> None:
        try:
            cfg = load_config()
        except Exception as exc:
            self.log.warning("notify.yaml unusable: %s", exc)
            return
        op = cfg.get("operator") or {}
        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        text = (
            f"[PIPELINE FAILURE 流水线故障] DAG {dag_id} task {task_id} failed 任务失败\n"
            f"run 运行: {getattr(context.get('dag_run'), 'run_id', '?')}\n"
            f"error 错误: {context.get('exception')!r}"[:3000]
        )
        retries, backoff = int(cfg.get("retries", 3)), float(cfg.get("backoff_seconds", 2))
        if op.get("email") and cfg.get("email"):
            n = EmailNotifier(
                smtp=cfg["email"],
                to=op["email"],
                subject=f"[carbon pipeline] {dag_id}.{task_id} failed",
                body=text,
            )
            ok, _, err = _retrying(lambda: n.notify(context), retries, backoff)
            if not ok:
                self.log.error("operator e-mail undelivered: %s", err)
        hooks = {w["name"]: w for w in cfg.get("webhooks") or []}
        for name in op.get("webhooks") or []:
            if name in hooks:
                n = RobotWebhookNotifier(url=hooks[name]["url"], content=text)
                ok, _, err = _retrying(lambda n=n: n.notify(context), retries, backoff)
                if not ok:
                    self.log.error("operator webhook %s undelivered: %s", name, err)


on_failure = OperatorNotifier()
