"""Time-series inputs: pvlib PV shape, resampling, persistence, lake readers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from dispatch_helpers import small_raw

from carbon.pipeline.lake import write_partition
from optimizers import inputs
from optimizers.scenario import build_problem, parse_scenario

TZ = "Asia/Shanghai"
YANCHENG = (33.38, 120.16)


def test_pvlib_pv_zero_at_night_peak_near_solar_noon():
    idx = inputs.step_index("2026-06-21", 1, "15min")
    pv = inputs.pv_clearsky_kw(idx, *YANCHENG, kwp=1000.0)
    assert pv.shape == (96,)
    hours = idx.hour + idx.minute / 60
    night = (hours < 4.5) | (hours >= 19.75)
    assert np.all(pv[night] == 0)
    # solar noon at 120.16°E on 21 June ≈ 11:58 local; step means peak within ±45 min
    peak_h = hours[pv.argmax()] + 0.125
    assert 11.25 <= peak_h <= 12.75
    # AC clipped at kwp / dc_ac_ratio, and a clear June day yields ~5–8 kWh/kWp
    assert pv.max() <= 1000 / 1.2 + 1e-6
    kwh_per_kwp = pv.sum() * 0.25 / 1000
    assert 4.5 < kwh_per_kwp < 8.5
    # deterministic
    assert np.array_equal(pv, inputs.pv_clearsky_kw(idx, *YANCHENG, kwp=1000.0))
    # winter days are shorter and weaker
    winter = inputs.pv_clearsky_kw(inputs.step_index("2026-12-21", 1, "15min"), *YANCHENG, 1000.0)
    assert winter.sum() < pv.sum() and winter[:28].sum() == 0


def test_to_step_forward_fills_hourly_and_averages_finer():
    hourly = pd.Series(
        np.arange(24, dtype=float),
        index=pd.date_range("2026-07-15", periods=24, freq="1h", tz=TZ),
    )
    q = inputs.step_index("2026-07-15", 1, "15min")
    out = inputs.to_step(hourly, q, name="price")
    assert out[:4].tolist() == [0, 0, 0, 0] and out[41] == 10 and out[-1] == 23
    fine = pd.Series(
        np.arange(96, dtype=float),
        index=pd.date_range("2026-07-15", periods=96, freq="15min", tz=TZ),
    )
    h = inputs.to_step(fine, inputs.step_index("2026-07-15", 1, "1h"), name="it")
    assert h[0] == pytest.approx(1.5) and h[23] == pytest.approx(93.5)
    with pytest.raises(ValueError, match="data end"):
        inputs.to_step(hourly[:20], q, name="price")
    with pytest.raises(ValueError, match="no data at or before"):
        inputs.to_step(hourly[3:], q, name="price")


def test_tou_and_persistence():
    idx = inputs.step_index("2026-07-15", 1, "1h")
    periods = {"v": {"hours": [[0, 8]], "price": 0.3}, "p": {"hours": [[8, 24]], "price": 1.0}}
    assert inputs.tou_profile(idx, periods).tolist() == [0.3] * 8 + [1.0] * 16
    with pytest.raises(ValueError, match="already covered"):
        inputs.hourly_table(
            {"a": {"hours": [[0, 24]], "price": 1}, "b": {"hours": [[3, 4]], "price": 2}}, "price"
        )
    hist = pd.Series(
        np.tile(np.arange(96.0), 2),
        index=pd.date_range("2026-07-13", periods=192, freq="15min", tz=TZ),
    )
    fc = inputs.persistence(hist, inputs.step_index("2026-07-15", 1, "15min"), name="it")
    assert fc.tolist() == list(np.arange(96.0))


def _grid_rows(day: str, price: float) -> pd.DataFrame:
    ts = pd.date_range(day, periods=24, freq="1h", tz=TZ)
    return pd.DataFrame(
        {
            "province_code": "320000",
            "ts": ts,
            "price_cny_per_kwh": price + 0.01 * np.arange(24),
            "carbon_intensity_kg_per_kwh": 0.5 + 0.001 * np.arange(24),
        }
    )


def test_lake_grid_signals_and_telemetry_persistence(tmp_path):
    home = tmp_path / "home"
    write_partition("grid_signals", "date", "2026-07-15", _grid_rows("2026-07-15", 0.4), home=home)
    other = _grid_rows("2026-07-15", 9.0).assign(province_code="330000")
    write_partition(
        "grid_signals",
        "date",
        "2026-07-14",
        other.assign(ts=other.ts - pd.Timedelta(days=1)),
        home=home,
    )
    ts = pd.date_range("2026-07-14", periods=96, freq="15min", tz=TZ)
    tele = pd.DataFrame(
        {
            "site_id": "S1",
            "uscc": "91320902JRCN9QAQ9Y",
            "ts": ts,
            "it_kw": 900.0 + np.arange(96),
            "facility_kw": 1200.0,
            "pv_kw": 0.0,
            "wind_kw": 0.0,
            "battery_soc": 0.5,
        }
    )
    write_partition("datacenter_telemetry", "date", "2026-07-14", tele, home=home)

    df = inputs.read_grid_signals("320000", "2026-07-15", 1, home)
    assert len(df) == 24 and str(df["ts"].dt.tz) == TZ and df["ts"].iloc[0].hour == 0

    raw = small_raw()
    raw["tariffs"]["js"]["source"] = "auto"
    raw["sites"][0]["it_load"] = {"source": "auto", "base_kw": 1}
    p = build_problem(parse_scenario(yaml.safe_dump(raw)), home=home)
    site = p.sites[0]
    # hourly steps: lake price, not the TOU table
    assert site.price_cny_per_kwh[10] == pytest.approx(0.5)
    assert site.carbon_kg_per_kwh[23] == pytest.approx(0.523)
    # no telemetry on the plan date: D-1 persistence, averaged to hours
    assert site.it_base_kw[0] == pytest.approx(901.5)
    assert site.it_base_kw[23] == pytest.approx(900 + 93.5)

    # 15-minute plan: hourly price forward filled
    raw["step"] = "15min"
    p15 = build_problem(parse_scenario(yaml.safe_dump(raw)), home=home)
    assert p15.sites[0].price_cny_per_kwh[40:44].tolist() == pytest.approx([0.5] * 4)
    # another date without grid signals falls back to TOU (source auto)
    p2 = build_problem(parse_scenario(yaml.safe_dump(raw)), "2026-07-16", home=home)
    assert p2.sites[0].price_cny_per_kwh[0] == pytest.approx(0.27)
