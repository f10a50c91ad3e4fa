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


def test_quarantined_days_are_delivered_not_missing():
    """A reading that arrived but went to quarantine is not a meter gap (issue 11, item 7): only
    the days with neither a lake row nor a quarantined row count towards ``meter_missing``."""
    dates, s = _series()
    gone = s.drop(dates[8:12])
    assert [f.kind for f in detect(dates, gone)] == ["missing"]
    assert detect(dates, gone, quarantined=frozenset(dates[8:12])) == []
    # quarantined days split the gap: the two days left (< min_days 3) are not reported either,
    # but a 3-day gap beside quarantined days still is
    assert detect(dates, gone, quarantined=frozenset(dates[9:11]), missing_days=3) == []
    gap = s.drop(dates[8:15])
    found = detect(dates, gap, quarantined=frozenset(dates[8:11]), missing_days=3)
    assert [(f.kind, f.start, f.end) for f in found] == [
        ("missing", dates[11].isoformat(), dates[14].isoformat())
    ]


class OneEmitter:
    """A lake with ONE key emitter (and another meter, so the lake has every date): its daily
    reads of ``_series()`` except ``absent`` days, plus quarantined rows written as ingest writes
    them (an account failing the check digit only as its pseudonym)."""

    def __init__(self, home, absent=()):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from carbon.domain.codes import make_uscc

        self.home = home
        self.uscc = make_uscc("320902", "MA000123")
        self.wrong = self.uscc[:-1] + ("1" if self.uscc[-1] != "1" else "2")
        self.dates, self.s = _series()
        ent = home / "lake" / "enterprises" / "month=2026-10"
        ent.mkdir(parents=True)
        pq.write_table(
            pa.table(
                {
                    "uscc": [self.uscc],
                    "name": ["盐城测试"],
                    "region_code": ["320902"],
                    "is_key_emitter": [True],
                    "is_datacenter": [False],
                }
            ),
            ent / "part-0.parquet",
        )
        other = make_uscc("320902", "MA000456")
        for d in self.dates:
            part = home / "lake" / "electricity_consumption" / f"date={d.isoformat()}"
            part.mkdir(parents=True)
            ids = [other] + ([] if d in absent else [self.uscc])
            kwh = [500.0] + ([] if d in absent else [float(self.s[d])])
            pq.write_table(
                pa.table(
                    {"account_type": ["organisation"] * len(ids), "account_id": ids, "kwh": kwh}
                ),
                part / "part-0.parquet",
            )

    def quarantine(self, d, account_id, check, kwh, column=None):
        import pyarrow as pa
        import pyarrow.parquet as pq

        q = self.home / "quarantine" / "electricity_consumption" / f"date={d.isoformat()}"
        q.mkdir(parents=True)
        cols = {
            "source_file": [f"meter_{d:%Y%m%d}.csv"],
            "row_number": [7],
            "check": [check],
            **({"column": [column]} if column else {}),
            "account_type": ["organisation"],
            "account_id": [account_id],
            "date": [d.isoformat()],
            "kwh": [kwh],
        }
        pq.write_table(pa.table(cols), q / "quarantine.parquet")

    def findings(self):
        from carbon.config import paths
        from carbon.monitor.checks import meter_findings, open_context
        from carbon.monitor.rules import load_rules

        rules = {r.check: r for r in load_rules().rules if r.check.startswith("meter_")}
        by = meter_findings(open_context(paths(self.home)), rules)["by_uscc"]
        return by.get(self.uscc, [])


def test_meter_findings_take_a_quarantined_read_with_a_bad_check_digit_as_delivered(tmp_path):
    """Through the lake and the quarantine as ingest writes them: a key emitter whose reads of
    three days are in quarantine (one with a wrong check digit, stored as its pseudonym; two with a
    bad kWh value) has no ``meter_missing`` finding; the same emitter without those quarantined
    rows has one."""
    from carbon.pipeline.ingest.pseudonym import keyed_hash

    gap = _series()[0][8:11]
    lake = OneEmitter(tmp_path, absent=gap)
    assert [f.kind for f in lake.findings()] == ["missing"]
    for d, acc, check in zip(
        gap,
        [keyed_hash(lake.wrong), lake.uscc, lake.uscc],
        ["uscc_check_digit", "range", "not_null"],
        strict=True,
    ):
        lake.quarantine(d, acc, check, "-1")
    assert [f.kind for f in lake.findings()] == []


def test_a_spike_beside_a_missing_day_does_not_bend_the_band_a_week_later():
    """Seed 46 at small scale (91320904TQNU8RET5B): a ×0.18 spike on 2026-10-06, the next day's
    read quarantined. Linear interpolation filled 10-07 half-way down to the spike, STL took it
    as data, and Wednesday's seasonal fell: a false spike on Wednesday 10-14 (ratio 1.82)."""
    kwh = [64241.3, 61717, 56877.3, 53456.2, 50516.6, 10094.3, None, 69945.6, 68033.2, 57030.4,
           49768.9, 71540.5, 70607.3, 70479.4, 65378.6, 69834.4, None, 55640.4, 69096.2, 72034.3,
           74146.1, 65864.4, 72469.9, None, 61197.4, 70848.4, 70376.3, 66449.4, 65867.1, 73902.4,
           57960.3]  # fmt: skip
    dates = [dt.date(2026, 10, 1) + dt.timedelta(days=k) for k in range(31)]
    s = pd.Series({d: v for d, v in zip(dates, kwh, strict=True) if v is not None})
    found = [(f.kind, f.start) for f in detect(dates, s, missing_days=3)]
    assert found == [("spike", "2026-10-06")]


def test_meter_findings_see_a_spike_whose_read_is_quarantined_for_its_check_digit(tmp_path):
    """A key emitter's ×3.5 day whose row also got a wrong check digit (quarantined, stored as
    its pseudonym) is a spike: the reading itself passed; a row that failed on ``kwh`` is not
    used."""
    from carbon.pipeline.ingest.pseudonym import keyed_hash

    dates, s = _series()
    spike_day, bad_day = dates[12], dates[20]
    lake = OneEmitter(tmp_path, absent=(spike_day, bad_day))
    lake.quarantine(
        spike_day, keyed_hash(lake.wrong), "uscc_check_digit", str(s[spike_day] * 3.5), "account_id"
    )
    lake.quarantine(bad_day, lake.uscc, "range", str(s[bad_day] * 9), "kwh")
    found = lake.findings()
    assert [(f.kind, f.start) for f in found] == [("spike", spike_day.isoformat())]
    assert found[0].evidence["quarantined_read_days"] == [spike_day.isoformat()]
    assert found[0].evidence["ratio"] > 3
