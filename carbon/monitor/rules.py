"""Alert rules as data (预警规则): load and validate ``carbon/monitor/rules.yaml``.

Every rule names a ``check`` (an evaluator in :mod:`carbon.monitor.checks`), a ``subject`` kind,
a ``severity`` (1 red 红, 2 orange 橙, 3 yellow 黄), an evaluation window and the check's
``threshold`` parameters. A bad file fails at load with :class:`RuleError`, whose message names
the file, the rule and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")

SUBJECTS = {
    "region": "行政区划",
    "enterprise": "企业",
    "sender": "报送方",
    "site": "调度站点",
}
SEVERITIES = {1: ("red", "红色"), 2: ("orange", "橙色"), 3: ("yellow", "黄色")}


@dataclass(frozen=True)
class Param:
    kind: type  # float or int
    lo: float | None = None
    hi: float | None = None
    required: bool = True


# the threshold fields each check accepts (name -> Param)
CHECK_PARAMS: dict[str, tuple[str, dict[str, Param]]] = {
    "budget_projection": (
        "region",
        {"min_ratio": Param(float, 0.0), "max_ratio": Param(float, 0.0, required=False)},
    ),
    "intensity_target": (
        "region",
        {"target_tco2e_per_10k_cny": Param(float, 0.0), "min_ratio": Param(float, 0.0)},
    ),
    "meter_flatline": ("enterprise", {"min_days": Param(int, 2, 31)}),
    "meter_missing": ("enterprise", {"min_days": Param(int, 1, 31)}),
    "meter_spike": (
        "enterprise",
        {"z": Param(float, 1.0), "min_rel": Param(float, 0.0), "max_days": Param(int, 1, 5)},
    ),
    "meter_step": (
        "enterprise",
        {"z": Param(float, 1.0), "min_rel": Param(float, 0.0), "min_days": Param(int, 2, 31)},
    ),
    "fuel_deviation": ("enterprise", {"min_rel": Param(float, 0.0), "months": Param(int, 3, 36)}),
    "grade_worsening": ("enterprise", {"min_levels": Param(int, 1, 4)}),
    "output_without_energy": ("enterprise", {"min_output_10k_cny": Param(float, 0.0)}),
    "quarantine_rate": ("sender", {"max_rate": Param(float, 0.0, 1.0), "min_rows": Param(int, 0)}),
    "delivery_missing": (
        "sender",
        {"daily_deadline_days": Param(int, 0, 31), "monthly_deadline_days": Param(int, 0, 62)},
    ),
    "schema_drift": ("sender", {"min_files": Param(int, 1)}),
    "plan_failed": ("site", {}),
    "green_share_low": ("site", {"tolerance": Param(float, 0.0, 1.0)}),
    "pue_high": ("site", {"tolerance": Param(float, 0.0, 1.0)}),
}

RULE_FIELDS = {
    "id",
    "name_en",
    "name_zh",
    "check",
    "subject",
    "severity",
    "window_days",
    "threshold",
}
SETTINGS = {"escalate_after_hours": Param(float, 0.0), "notify_min_severity": Param(int, 1, 3)}


class RuleError(ValueError):
    """A rule file that cannot be used; the message names file, rule and field."""


@dataclass(frozen=True)
class Rule:
    id: str
    name_en: str
    name_zh: str
    check: str
    subject: str
    severity: int
    window_days: int
    threshold: dict = field(default_factory=dict)

    @property
    def colour(self) -> str:
        en, zh = SEVERITIES[self.severity]
        return f"{en} {zh}"


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    escalate_after_hours: float = 12.0
    notify_min_severity: int = 3
    source: str = ""

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def _number(v, p: Param, where: str) -> float | int:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise RuleError(f"{where}: expected a number, got {v!r}")
    if p.kind is int and (isinstance(v, float) and not v.is_integer()):
        raise RuleError(f"{where}: expected a whole number, got {v!r}")
    if isinstance(v, float) and not math.isfinite(v):
        raise RuleError(f"{where}: expected a finite number, got {v!r}")
    if p.lo is not None and v < p.lo:
        raise RuleError(f"{where}: {v!r} is below the minimum {p.lo}")
    if p.hi is not None and v > p.hi:
        raise RuleError(f"{where}: {v!r} is above the maximum {p.hi}")
    return p.kind(v)


def _rule(raw, i: int, f: str) -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"{f}: rule #{i + 1}: expected a mapping, got {type(raw).__name__}")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid.strip():
        raise RuleError(f"{f}: rule #{i + 1}: field 'id': missing or not text")
    at = f"{f}: rule {rid!r}"
    for k in raw:
        if k not in RULE_FIELDS:
            raise RuleError(f"{at}: field {k!r}: unknown field (allowed: {sorted(RULE_FIELDS)})")
    for k in RULE_FIELDS:
        if k not in raw:
            raise RuleError(f"{at}: field {k!r}: missing")
    for k in ("name_en", "name_zh"):
        if not isinstance(raw[k], str) or not raw[k].strip():
            raise RuleError(f"{at}: field {k!r}: expected non-empty text")
    check = raw["check"]
    if check not in CHECK_PARAMS:
        raise RuleError(
            f"{at}: field 'check': unknown check {check!r} (known: {sorted(CHECK_PARAMS)})"
        )
    subject = raw["subject"]
    if subject not in SUBJECTS:
        raise RuleError(
            f"{at}: field 'subject': unknown subject {subject!r} (known: {sorted(SUBJECTS)})"
        )
    want, params = CHECK_PARAMS[check]
    if subject != want:
        raise RuleError(
            f"{at}: field 'subject': check {check!r} evaluates {want!r}, not {subject!r}"
        )
    sev = raw["severity"]
    if sev not in SEVERITIES or isinstance(sev, bool):
        raise RuleError(
            f"{at}: field 'severity': expected 1 (red), 2 (orange) or 3 (yellow), got {sev!r}"
        )
    window = _number(raw["window_days"], Param(int, 1, 3660), f"{at}: field 'window_days'")
    th = raw["threshold"] if raw["threshold"] is not None else {}
    if not isinstance(th, dict):
        raise RuleError(f"{at}: field 'threshold': expected a mapping, got {th!r}")
    out = {}
    for k, v in th.items():
        if k not in params:
            raise RuleError(
                f"{at}: field 'threshold.{k}': unknown threshold for check {check!r} "
                f"(allowed: {sorted(params)})"
            )
        out[k] = _number(v, params[k], f"{at}: field 'threshold.{k}'")
    for k, p in params.items():
        if p.required and k not in out:
            raise RuleError(f"{at}: field 'threshold.{k}': missing")
    if "max_ratio" in out and out["max_ratio"] <= out["min_ratio"]:
        raise RuleError(f"{at}: field 'threshold.max_ratio': must be above min_ratio")
    return Rule(rid, raw["name_en"], raw["name_zh"], check, subject, int(sev), int(window), out)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and validate a rule file (default: the repository's ``carbon/monitor/rules.yaml``)."""
    f = Path(path) if path else RULES_FILE
    try:
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(f"{f}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleError(f"{f}: field 'rules': expected a list of rules")
    for k in doc:
        if k not in ("rules", "settings"):
            raise RuleError(f"{f}: field {k!r}: unknown top-level field")
    settings = doc.get("settings") or {}
    s = {}
    for k, v in settings.items():
        if k not in SETTINGS:
            raise RuleError(f"{f}: settings: field {k!r}: unknown setting")
        s[k] = _number(v, SETTINGS[k], f"{f}: settings: field {k!r}")
    rules = [_rule(r, i, str(f)) for i, r in enumerate(doc["rules"])]
    seen: set[str] = set()
    for r in rules:
        if r.id in seen:
            raise RuleError(f"{f}: rule {r.id!r}: field 'id': duplicate rule id")
        seen.add(r.id)
    return RuleSet(tuple(rules), source=str(f), **s)
