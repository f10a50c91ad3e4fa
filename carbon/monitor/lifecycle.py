"""Alerts and their lifecycle (应急): episodes, stable ids, auto-resolve, escalation, actions.

Stores live under ``<home>/monitor/``, outside the warehouse, so ``--full-refresh`` (or deleting
the warehouse) never loses them; every file is written once, atomically, and never rewritten
(append-only):

- ``runs/run_<id>.parquet``: one row per evaluation run (when, how many hits, notes);
- ``observations/run_<id>.parquet``: every alert that fired in that run, with its evidence;
- ``actions/<time>_<uuid>.parquet``: an acknowledgement or resolution (who, when, response);
- ``notifications/<time>_<uuid>.parquet``: a delivery attempt (alert, target, delivered, error).

``mon_alerts.parquet`` beside them is the current state (rewritten after each run and action),
which the dbt mart ``mon_alerts`` publishes to the warehouse.

An alert is one (rule, subject, episode): ``alert_id`` hashes the three, so it is the same every
night the condition keeps firing. A check that ties its finding to the data names the episode
(an anomaly's first day, a report's month); for the others an episode lasts from the night the
condition first fires to the night it clears. Status:

- ``resolved``: the duty officer resolved it, or the condition no longer fires (``resolved_by``
  ``auto``, ``resolved_at`` the first run that did not see it);
- ``expired``: no longer seen and its period fell out of the rule's evaluation window (it could
  not be re-checked);
- ``acknowledged``: seen in the last run and acknowledged;
- ``open``: otherwise. An open red alert older than ``escalate_after_hours`` is ``escalated``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from carbon.config import TZ, paths

STATUS_ZH = {"open": "未处理", "acknowledged": "已确认", "resolved": "已解除", "expired": "已过期"}
SUBJECT_ZH = {"region": "行政区划", "enterprise": "企业", "sender": "报送方", "site": "调度站点"}

COLUMNS = [
    "alert_id",
    "rule_id",
    "rule_name_en",
    "rule_name_zh",
    "severity",
    "subject_type",
    "subject_id",
    "subject_name",
    "region_code",
    "period",
    "period_end",
    "episode",
    "first_seen",
    "last_seen",
    "status",
    "status_zh",
    "acknowledged_by",
    "acknowledged_at",
    "resolved_by",
    "resolved_at",
    "response",
    "escalated",
    "escalated_at",
    "evidence",
    "records",
]

#: the columns of an alert that the run's observation carries as they are (everything up to
#: ``episode``, plus the evidence); the rest (first/last seen, status, acknowledgement,
#: resolution, escalation) are derived from the runs and the actions in ``alert_table``
DERIVED = tuple(COLUMNS[COLUMNS.index("first_seen") : COLUMNS.index("escalated_at") + 1])
OBSERVED = tuple(c for c in COLUMNS if c not in DERIVED)


def store(home: str | Path | None = None) -> Path:
    return paths(home).home / "monitor"


def now_local() -> dt.datetime:
    import zoneinfo

    return dt.datetime.now(zoneinfo.ZoneInfo(TZ)).replace(microsecond=0)


def alert_id(rule_id: str, subject_type: str, subject_id: str, episode: str) -> str:
    h = hashlib.sha1(f"{rule_id}|{subject_type}|{subject_id}|{episode}".encode()).hexdigest()
    return f"AL-{h[:10].upper()}"


def _write(folder: Path, name: str, rows: list[dict]) -> Path:
    from carbon.pipeline.lake import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    table = pa.Table.from_pylist(rows) if rows else pa.table({"empty": pa.array([], pa.bool_())})
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp)
    return target


def _read(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    frames = [pq.read_table(f).to_pandas() for f in files]
    frames = [f for f in frames if len(f) and "empty" not in f.columns]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def runs(home=None) -> pd.DataFrame:
    return _read(store(home) / "runs")


def observations(home=None) -> pd.DataFrame:
    return _read(store(home) / "observations")


def actions(home=None) -> pd.DataFrame:
    return _read(store(home) / "actions")


def notifications(home=None) -> pd.DataFrame:
    return _read(store(home) / "notifications")


def record_run(home, run_id: str, run_at: str, obs: list[dict], notes: list[str]) -> None:
    s = store(home)
    _write(s / "observations", f"run_{run_id}.parquet", obs)
    _write(
        s / "runs",
        f"run_{run_id}.parquet",
        [{"run_id": run_id, "run_at": run_at, "n_alerts": len(obs), "notes": json.dumps(notes)}],
    )


def record_action(home, alert: str, action: str, by: str, note: str, at: str | None = None) -> dict:
    if action not in ("acknowledge", "resolve"):
        raise ValueError(f"unknown action {action!r}")
    table = alert_table(home)
    if table.empty or alert not in set(table["alert_id"]):
        raise KeyError(f"no alert {alert!r}")
    at = at or now_local().isoformat()
    row = {
        "action_id": uuid.uuid4().hex,
        "alert_id": alert,
        "action": action,
        "by": by,
        "at": at,
        "note": note,
    }
    _write(store(home) / "actions", f"{at.replace(':', '')}_{row['action_id'][:8]}.parquet", [row])
    write_snapshot(home)
    return row


def record_notification(home, rows: list[dict]) -> None:
    if rows:
        at = now_local().isoformat().replace(":", "")
        _write(store(home) / "notifications", f"{at}_{uuid.uuid4().hex[:8]}.parquet", rows)


@dataclass(frozen=True)
class Settings:
    escalate_after_hours: float = 12.0


def alert_table(
    home=None, settings: Settings | None = None, now: dt.datetime | None = None
) -> pd.DataFrame:
    """The current state of every alert (the rows of ``mon_alerts``)."""
    if settings is None:
        from carbon.monitor.rules import load_rules

        settings = Settings(load_rules().escalate_after_hours)
    obs, rn, act = observations(home), runs(home), actions(home)
    if obs.empty:
        return pd.DataFrame(columns=COLUMNS)
    rn = rn.sort_values("run_at")
    run_order = list(rn["run_id"])
    latest = run_order[-1]
    latest_at = pd.Timestamp(rn["run_at"].iloc[-1])
    now_ts = pd.Timestamp(now) if now is not None else pd.Timestamp(now_local())
    obs = obs.sort_values("run_at")
    rows = []
    for aid, g in obs.groupby("alert_id", sort=False):
        last = g.iloc[-1]
        r = {k: last[k] for k in OBSERVED}
        r["first_seen"] = g["run_at"].iloc[0]
        r["last_seen"] = last["run_at"]
        seen_latest = last["run_id"] == latest
        a = act[act["alert_id"] == aid].sort_values("at") if not act.empty else pd.DataFrame()
        ack = a[a["action"] == "acknowledge"] if len(a) else a
        res = a[a["action"] == "resolve"] if len(a) else a
        r.update(acknowledged_by=None, acknowledged_at=None, resolved_by=None, resolved_at=None)
        r["response"] = a["note"].iloc[-1] if len(a) else None
        if len(ack):
            r["acknowledged_by"], r["acknowledged_at"] = ack["by"].iloc[-1], ack["at"].iloc[-1]
        if len(res):
            status = "resolved"
            r["resolved_by"], r["resolved_at"] = res["by"].iloc[-1], res["at"].iloc[-1]
        elif not seen_latest:
            window_start = (
                (latest_at - pd.Timedelta(days=int(last["window_days"]))).date().isoformat()
            )
            if str(last["period_end"]) < window_start:
                status = "expired"
            else:
                status = "resolved"
                nxt = run_order[run_order.index(last["run_id"]) + 1]
                r["resolved_by"] = "auto"
                r["resolved_at"] = rn.loc[rn["run_id"] == nxt, "run_at"].iloc[0]
        elif len(ack):
            status = "acknowledged"
        else:
            status = "open"
        r["status"], r["status_zh"] = status, STATUS_ZH[status]
        due = pd.Timestamp(r["first_seen"]) + pd.Timedelta(hours=settings.escalate_after_hours)
        r["escalated"] = bool(int(r["severity"]) == 1 and status == "open" and now_ts >= due)
        r["escalated_at"] = due.isoformat() if r["escalated"] else None
        rows.append(r)
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["severity"] = df["severity"].astype(int)
    return df.sort_values(["severity", "rule_id", "subject_id", "period"]).reset_index(drop=True)


def write_snapshot(home=None, table: pd.DataFrame | None = None) -> Path:
    from carbon.pipeline.lake import atomic_path

    df = alert_table(home) if table is None else table
    target = store(home) / "mon_alerts.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema(
        [
            (c, pa.int32() if c == "severity" else pa.bool_() if c == "escalated" else pa.string())
            for c in COLUMNS
        ]
    )
    data = {
        c: [
            None if pd.isna(v) else (v if c in ("severity", "escalated") else str(v)) for v in df[c]
        ]
        for c in COLUMNS
    }
    with atomic_path(target) as tmp:
        pq.write_table(pa.table(data, schema=schema), tmp)
    return target
