"""dispatch_forecasts in the lake (atomic, round trip) and ``forecast: model`` in a scenario:
the day-ahead problem takes PV and load from the P50, and falls back with a logged reason and
the KPI flag when the forecast is missing or has a gap."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from carbon.config import TZ
from optimizers import solve
from optimizers.forecast import io as fio
from optimizers.scenario import ScenarioError, build_problem, load_scenario, parse_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dispatch"))
from dispatch_helpers import small_raw

DAY = "2026-07-15"


def _forecast(site: str = "S1", drop: slice | None = None) -> pd.DataFrame:
    idx = pd.date_range(DAY, periods=96, freq="15min", tz=TZ)
    h = idx.hour + idx.minute / 60
    it = 900 + 100 * np.sin(h / 24 * 2 * np.pi)
    pv = np.clip(600 * np.sin((h - 6) / 12 * np.pi), 0, None)
    fc = {}
    for name, v in (("it_kw", it), ("pv_kw", pv)):
        f = pd.DataFrame({"p10": 0.9 * v, "p50": v, "p90": 1.1 * v}, index=idx)
        f.attrs["model_version"] = "test-model/1"
        if drop is not None and name == "pv_kw":
            f = f.drop(f.index[drop])
        fc[name] = f
    return fio.long_frame(
        site,
        DAY,
        fc,
        issued_at=pd.Timestamp("2026-07-14 09:30", tz=TZ),
        history_end=pd.Timestamp("2026-07-14 23:45", tz=TZ),
    )


def test_lake_round_trip(tmp_path):
    df = _forecast()
    paths = fio.write_forecasts(df, home=tmp_path)
    assert [p.parent.name for p in paths] == [f"forecast={DAY}__S1"]
    back = fio.read_forecasts("S1", [DAY], home=tmp_path)
    assert len(back) == 2 * 3 * 96
    assert set(back["quantile"]) == {"p10", "p50", "p90"}
    assert str(back["target_ts"].dt.tz) == TZ
    a = df.sort_values(["series", "quantile", "target_ts"]).reset_index(drop=True)
    b = back.sort_values(["series", "quantile", "target_ts"]).reset_index(drop=True)
    np.testing.assert_array_equal(a["value"].to_numpy(), b["value"].to_numpy())
    assert (b["target_ts"] == a["target_ts"]).all()
    assert set(b["model_version"]) == {"test-model/1"} and set(b["unit"]) == {"kW"}
    # re-issuing replaces the partition whole, no temporaries left behind
    fio.write_forecasts(df.assign(value=df["value"] + 1), home=tmp_path)
    again = fio.read_forecasts("S1", [DAY], home=tmp_path)
    assert len(again) == len(back)
    assert not [p for p in (tmp_path / "lake").rglob(".*")]


def _scenario(tmp_path, mode: str | None):
    raw = small_raw()
    raw["step"] = "15min"
    if mode is not None:
        raw["forecast"] = mode
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_scenario(p)


def test_forecast_model_changes_dispatch_inputs(tmp_path):
    fio.write_forecasts(_forecast(), home=tmp_path)
    perfect = build_problem(_scenario(tmp_path, None), DAY, home=tmp_path)
    model = build_problem(_scenario(tmp_path, "model"), DAY, home=tmp_path)
    fc = fio.read_forecasts("S1", [DAY], home=tmp_path)
    p50 = fc[fc["quantile"] == "p50"].set_index(["series", "target_ts"])["value"]
    s = model.sites[0]
    np.testing.assert_allclose(s.it_base_kw, p50["it_kw"].to_numpy())
    np.testing.assert_allclose(s.pv_kw, p50["pv_kw"].to_numpy())
    assert not np.allclose(perfect.sites[0].it_base_kw, s.it_base_kw)
    assert not s.forecast_fallback and not model.notes
    r = solve(model)
    assert r.ok and not bool(r.kpis["forecast_fallback"].iloc[0])


@pytest.mark.parametrize(
    ("drop", "words"), [(slice(40, 44), "gap"), (None, "no forecast in the lake")]
)
def test_gappy_or_missing_forecast_falls_back_with_flag(tmp_path, caplog, drop, words):
    if words != "no forecast in the lake":
        fio.write_forecasts(_forecast(drop=drop), home=tmp_path)
    perfect = build_problem(_scenario(tmp_path, "perfect"), DAY, home=tmp_path)
    with caplog.at_level(logging.WARNING, logger="optimizers.forecast"):
        model = build_problem(_scenario(tmp_path, "model"), DAY, home=tmp_path)
    s = model.sites[0]
    # PV falls back to what `perfect` uses (clear sky); reason logged and in the notes
    np.testing.assert_allclose(s.pv_kw, perfect.sites[0].pv_kw)
    assert s.forecast_fallback
    assert any("pv_kw" in n and words in n for n in model.notes)
    assert any(words in r.getMessage() for r in caplog.records)
    r = solve(model)
    assert r.ok and bool(r.kpis["forecast_fallback"].iloc[0])
    assert any(words in w for w in r.warnings)


def test_forecast_key_validated():
    raw = small_raw()
    raw["forecast"] = "crystal-ball"
    with pytest.raises(ScenarioError, match="forecast: must be perfect, model or risk_aware"):
        parse_scenario(yaml.safe_dump(raw))


def test_forecast_risk_aware_takes_p90_load_and_p10_pv(tmp_path, caplog):
    fio.write_forecasts(_forecast(), home=tmp_path)
    aware = build_problem(_scenario(tmp_path, "risk_aware"), DAY, home=tmp_path)
    fc = fio.read_forecasts("S1", [DAY], home=tmp_path).set_index(["series", "quantile"])
    s = aware.sites[0]
    np.testing.assert_allclose(s.it_base_kw, fc.loc[("it_kw", "p50"), "value"].to_numpy())
    np.testing.assert_allclose(s.it_adverse_kw, fc.loc[("it_kw", "p90"), "value"].to_numpy())
    np.testing.assert_allclose(s.pv_adverse_kw, fc.loc[("pv_kw", "p10"), "value"].to_numpy())
    assert s.forecast_mode == "risk_aware" and not s.forecast_fallback
    # no P10 of PV in the lake: no margin on PV, said in the notes, flagged
    rows = _forecast()
    rows = rows[~((rows["series"] == "pv_kw") & (rows["quantile"] == "p10"))]
    fio.write_forecasts(rows, home=tmp_path)
    with caplog.at_level(logging.WARNING, logger="optimizers.forecast"):
        gap = build_problem(_scenario(tmp_path, "risk_aware"), DAY, home=tmp_path)
    g = gap.sites[0]
    np.testing.assert_allclose(g.pv_adverse_kw, g.pv_kw)
    assert g.forecast_fallback
    assert any("no P10 forecast of pv_kw" in n for n in gap.notes)
    r = solve(gap)
    assert r.ok and r.kpis["forecast_mode"].iloc[0] == "risk_aware"
