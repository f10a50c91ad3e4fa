"""One evaluation run: every rule's check over the data home, then the lifecycle's stores."""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from carbon.config import paths
from carbon.monitor import lifecycle as lc
from carbon.monitor.checks import CHECKS, open_context
from carbon.monitor.rules import RuleSet, load_rules


@dataclass
class RunResult:
    run_id: str
    run_at: str
    alerts: pd.DataFrame
    new: list[str] = field(default_factory=list)  # alert ids first seen in this run
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        a = self.alerts
        active = a[a["status"].isin(["open", "acknowledged"])] if len(a) else a
        return {
            "run_id": self.run_id,
            "active": len(active),
            "new": len(self.new),
            "escalated": int(a["escalated"].sum()) if len(a) else 0,
            "by_rule": active.groupby("rule_id").size().to_dict() if len(active) else {},
            "notes": self.notes,
        }


def evaluate(
    home: str | Path | None = None, rules: RuleSet | None = None, run_at=None
) -> RunResult:
    p = paths(home)
    rs = rules or load_rules()
    at = run_at or lc.now_local()
    run_at_s = at.isoformat()
    run_id = at.strftime("%Y%m%dT%H%M%S%f")
    settings = lc.Settings(rs.escalate_after_hours)
    before = lc.alert_table(p.home, settings, now=at)
    active = before[before["status"].isin(["open", "acknowledged"])] if len(before) else before
    ongoing = {(r.rule_id, r.subject_type, r.subject_id): r.episode for r in active.itertuples()}
    known = set(before["alert_id"]) if len(before) else set()
    ctx = open_context(p)
    ctx.meter_rules = {r.check: r for r in rs.rules if r.check.startswith("meter_")}  # type: ignore[attr-defined]
    obs, seen = [], set()
    for rule in rs.rules:
        try:
            hits = CHECKS[rule.check](rule, ctx)
        except Exception as exc:  # one broken check never stops the others
            ctx.notes.append(f"rule {rule.id}: check failed: {exc!r}")
            traceback.print_exc()
            continue
        for h in hits:
            episode = (
                h.episode
                or ongoing.get((rule.id, rule.subject, h.subject_id))
                or at.isoformat(timespec="seconds")
            )
            aid = lc.alert_id(rule.id, rule.subject, h.subject_id, episode)
            if aid in seen:
                continue
            seen.add(aid)
            obs.append(
                {
                    "run_id": run_id,
                    "run_at": run_at_s,
                    "alert_id": aid,
                    "rule_id": rule.id,
                    "rule_name_en": rule.name_en,
                    "rule_name_zh": rule.name_zh,
                    "severity": rule.severity,
                    "window_days": rule.window_days,
                    "subject_type": rule.subject,
                    "subject_id": h.subject_id,
                    "subject_name": h.subject_name or None,
                    "region_code": h.region_code,
                    "period": h.period,
                    "period_end": h.period_end,
                    "episode": episode,
                    "evidence": json.dumps(
                        h.evidence, ensure_ascii=False, sort_keys=True, default=str
                    ),
                    "records": h.records,
                }
            )
    lc.record_run(p.home, run_id, run_at_s, obs, ctx.notes)
    table = lc.alert_table(p.home, settings, now=at)
    lc.write_snapshot(p.home, table)
    return RunResult(run_id, run_at_s, table, sorted(seen - known), ctx.notes)
