"""The quantile model on generated demo telemetry: a real fit (LightGBM), a held-out slice, real
baselines. Margins are well inside what the benchmark measures (docs/forecast.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.config import TZ
from carbon.demo.daily import LAT, LON
from carbon.demo.history import cn_off_days, demo_sites, telemetry_history
from optimizers.forecast import backtest, calendar
from optimizers.forecast import io as fio
from optimizers.forecast import model as fm

FAST = {"num_iterations": 60}


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return telemetry_history(demo_sites()[:1], "2026-07-01", "2026-10-31", seed=7)


def test_demo_history_has_calendar_and_weather(history):
    s = history.set_index("ts")
    assert str(s.index.tz) == TZ and len(s) == 123 * 96
    daily = s["it_kw"].resample("D").mean()
    off = cn_off_days(daily.index)
    # weekends and the National Day week are lower than working days
    assert daily[off].mean() < 0.95 * daily[~off].mean()
    # 2026-09-20 is a 调休 Sunday: a working day in the calendar
    assert not calendar.day_flags(["2026-09-20"])["off"].iloc[0]
    assert calendar.day_flags(["2026-10-01"])["holiday"].iloc[0]
    # PV days vary and persist: daily energy not constant, lag-1 correlation positive
    pv = s["pv_kw"].resample("D").sum()
    assert pv.std() / pv.mean() > 0.2
    assert pv.autocorr(1) > 0.2


def test_load_beats_persistence_and_quantiles_ordered(history):
    s = history.set_index("ts")["it_kw"]
    bt = backtest.run(
        s,
        "load",
        series="it_kw",
        unit="kW",
        test_days=14,
        refit_every=14,
        holt_winters=False,
        params=FAST,
    )
    sc = bt.scores
    model = sc.loc["model P50 (LightGBM quantile)"]
    assert model["mae"] < 0.8 * sc.loc["persistence", "mae"]
    f = bt.forecasts
    assert (f["p10"] <= f["p50"]).all() and (f["p50"] <= f["p90"]).all()
    assert 0.5 < model["coverage_p10_p90"] <= 1.0
    assert model["pinball"] < sc.loc["persistence", "pinball"]


def test_pv_clear_sky_frame(history):
    s = history.set_index("ts")["pv_kw"]
    bt = backtest.run(
        s,
        "pv",
        series="pv_kw",
        unit="kW",
        test_days=14,
        refit_every=14,
        lat=LAT,
        lon=LON,
        holt_winters=False,
        params=FAST,
    )
    f = bt.forecasts
    assert (f["p10"] <= f["p50"]).all() and (f["p50"] <= f["p90"]).all()
    night = f["clearsky"] == 0
    assert night.any() and (f.loc[night, "p90"] == 0).all()
    # never above clear sky by more than the 10 % the index allows
    assert (f["p90"] <= 1.1 * f["clearsky"] + 1e-9).all()
    sc = bt.scores
    assert sc.loc["model P50 (LightGBM quantile)", "mae"] < 0.7 * sc.loc["clearsky", "mae"]


def test_issue_day_ahead_and_stopped_feed(history):
    tele = history[history["ts"] < pd.Timestamp("2026-09-01", tz=TZ)]
    fc = fio.forecast_site(tele, "2026-09-01", lat=LAT, lon=LON, params=FAST)
    it = fc["it_kw"]
    assert len(it) == 96 and it.index[0] == pd.Timestamp("2026-09-01", tz=TZ)
    assert (it["p10"] <= it["p50"]).all() and (it["p50"] <= it["p90"]).all()
    assert fc["pv_kw"]["p50"].max() > 0
    # a feed that stopped two days before the target: no forecast, a reason naming it
    stale = history[history["ts"] < pd.Timestamp("2026-08-30", tz=TZ)]
    with pytest.raises(ValueError, match="feed stopped"):
        fio.forecast_site(stale, "2026-09-01", lat=LAT, lon=LON)


def test_pinball_of_model_is_finite_and_day_matrix_marks_gaps():
    idx = pd.date_range("2026-07-01", periods=96 * 3, freq="15min", tz=TZ)
    s = pd.Series(np.arange(len(idx), dtype=float), index=idx).drop(idx[100:110])
    _days, y = fm.day_matrix(s, "15min")
    assert y.shape == (3, 96) and np.isnan(y[1, 4:14]).all() and np.isfinite(y[0]).all()
