"""Alert rules as data: the repository's file loads; bad files fail naming file, rule and field."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import yaml

from carbon.monitor.detect import detect, is_off_day
from carbon.monitor.rules import RULES_FILE, RuleError, load_rules


def test_repository_rules_load_with_every_family():
    rs = load_rules()
    checks = {r.check for r in rs.rules}
    for family in (
        {"budget_projection", "intensity_target"},
        {
            "meter_flatline",
            "meter_missing",
            "meter_spike",
            "meter_step",
            "fuel_deviation",
            "grade_worsening",
            "output_without_energy",
        },
        {"quarantine_rate", "delivery_missing", "schema_drift"},
        {"plan_failed", "green_share_low", "pue_high"},
    ):
        assert family <= checks
    assert all(r.name_zh and r.name_en and r.severity in (1, 2, 3) for r in rs.rules)


def _bad(tmp_path, mutate):
    doc = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    mutate(doc["rules"][3])
    f = tmp_path / "rules.yaml"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError) as e:
        load_rules(f)
    return str(e.value), f


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.update(colour="red"), "'colour'"),
        (lambda r: r.update(subject="planet"), "'subject'"),
        (lambda r: r.update(severity=5), "'severity'"),
        (lambda r: r["threshold"].update(min_days=-3), "'threshold.min_days'"),
        (lambda r: r["threshold"].update(min_days="three"), "'threshold.min_days'"),
        (lambda r: r["threshold"].update(days_flat=3), "'threshold.days_flat'"),
        (lambda r: r.update(check="crystal_ball"), "'check'"),
        (lambda r: r.pop("window_days"), "'window_days'"),
    ],
)
def test_bad_rule_fails_naming_file_rule_and_field(tmp_path, mutate, field):
    msg, f = _bad(tmp_path, mutate)
    assert str(f) in msg and "'meter_flatline'" in msg and field in msg


def test_chinese_holidays_are_off_days():
    assert is_off_day(dt.date(2026, 10, 5))  # 国庆, a Monday
    assert not is_off_day(dt.date(2026, 10, 9))  # a Friday
    assert is_off_day(dt.date(2026, 10, 11))  # a Sunday


def _series(seed=1):
    import numpy as np

    r = np.random.default_rng(seed)
    dates = [dt.date(2026, 10, 1) + dt.timedelta(days=k) for k in range(31)]
    v = [1000.0 * (0.8 if is_off_day(d) else 1.0) * r.lognormal(0, 0.06) for d in dates]
    return dates, pd.Series([round(x, 1) for x in v], index=dates)


def test_normal_series_has_no_finding():
    for seed in range(20):
        dates, s = _series(seed)
        assert detect(dates, s) == [], seed


def test_each_anomaly_kind_is_found():
    dates, s = _series()
    flat = s.copy()
    flat.iloc[10:16] = flat.iloc[10]
    spike = s.copy()
    spike.iloc[12] *= 3.5
    step = s.copy()
    step.iloc[24:] *= 0.5
    gone = s.drop(dates[8:11])
    for series, kind, start in (
        (flat, "flatline", dates[10]),
        (spike, "spike", dates[12]),
        (step, "step", dates[24]),
        (gone, "missing", dates[8]),
    ):
        found = detect(dates, series)
        assert [f.kind for f in found] == [kind], (kind, found)
        assert abs((dt.date.fromisoformat(found[0].start) - start).days) <= 2
