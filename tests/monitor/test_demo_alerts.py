"""Done means: on the tiny demo city, the alerts are the injected problems (with evidence) and the
conditions the demo really holds, nothing else; an acknowledgement survives a full refresh."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from carbon.demo import generate
from carbon.domain.datasets import DATASETS
from carbon.monitor import lifecycle as lc
from carbon.monitor.engine import evaluate
from carbon.pipeline.ingest import pipeline
from carbon.pipeline.warehouse import build as ledgers

KIND_RULE = {
    "flatline": "meter_flatline",
    "spike": "meter_spike",
    "step": "meter_step",
    "missing": "meter_missing",
}


@pytest.mark.slow
def test_demo_alerts_are_the_injected_anomalies_and_survive_full_refresh(tmp_path, monkeypatch):
    monkeypatch.setenv("CARBON_HOME", str(tmp_path))
    generate(tmp_path, scale="tiny", seed=42)
    for ds in DATASETS:
        pipeline.ingest_dataset(ds, tmp_path, secret=b"test")
    ledgers.build(tmp_path)
    r = evaluate(tmp_path)
    a = r.alerts
    meter = a[a["rule_id"].str.startswith("meter_")]
    truth = pd.read_csv(tmp_path / "demo_manifest" / "anomalies.csv", dtype=str)
    assert len(truth) == 8
    got = {(x.rule_id, x.subject_id) for x in meter.itertuples()}
    assert got == {(KIND_RULE[t.kind], t.account_id) for t in truth.itertuples()}
    for x in meter.itertuples():
        ev = json.loads(x.evidence)
        t = truth[(truth["account_id"] == x.subject_id)].iloc[0]
        assert ev["start"] <= t.end and t.start <= ev["end"]
    # nothing else: only the rules whose condition the demo data holds (no storm)
    others = set(a.loc[~a["rule_id"].str.startswith("meter_"), "rule_id"])
    # (budget bands: since the demo firms are held to their industry bounds, a county's projection
    # can fall in the orange band, 1.0-1.05 × budget; each budget alert's evidence must show its band)
    assert others <= {
        "budget_projection_red",
        "budget_projection_orange",
        "intensity_target_risk",
        "dispatch_pue_high",
    }
    for x in a[a["rule_id"].str.startswith("budget_projection_")].itertuples():
        q = json.loads(x.evidence)["projection_to_budget"]
        assert q > 1.05 if x.rule_id == "budget_projection_red" else 1.0 < q <= 1.05
    assert len(a) <= 8 + 9 + 9 + 2
    # a second night: same alerts, nothing new
    assert evaluate(tmp_path).new == []
    aid = meter["alert_id"].iloc[0]
    lc.record_action(tmp_path, aid, "acknowledge", "duty", "checked")
    ledgers.build(tmp_path, full_refresh=True)
    t = lc.alert_table(tmp_path)
    assert t.loc[t["alert_id"] == aid, "status"].iloc[0] == "acknowledged"
