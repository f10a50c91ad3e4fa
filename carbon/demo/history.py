"""A long, realistic telemetry history of the demo data centres, for forecasting (issue 13 §1).

The nightly demo city (``carbon.demo.generate``) makes 31 days of telemetry whose days are
independent draws; that is enough for a day-ahead plan, not for training or back-testing a
forecast. ``telemetry_history`` makes months of 15-minute ``datacenter_telemetry`` rows (the
contract's columns) for the same sites, seeded and deterministic, with what a forecaster must
learn:

- **PV**: pvlib Ineichen clear sky at 盐城 × a stochastic **clear-sky index**: a daily weather
  state with day-to-day persistence (AR(1), φ = 0.65; wetter in the 梅雨 season, June–July),
  plus intra-day cloud variability that grows on broken-cloud days; plane-of-array irradiance,
  Faiman cell temperature and PVWatts as in the nightly demo.
- **IT load**: diurnal wave, a **weekly pattern** (weekends lower), **Chinese public holidays and
  调休 working weekends** from the ``holidays`` package (``holidays.China``), a slow growth trend,
  day-level AR(1) drift and 15-minute AR(1) noise.
- PUE from the temperature, wind and a simple battery state of charge, as in the nightly demo.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carbon.config import TZ
from carbon.demo.daily import LAT, LON, MONTH_TEMP, Site
from carbon.demo.plan import rng

STEPS_PER_DAY = 96


def cn_off_days(days: pd.DatetimeIndex | list[dt.date]) -> np.ndarray:
    """True for a Chinese day off: a public holiday (incl. substituted days off) or a weekend that
    is not a 调休 working day (``holidays.China``)."""
    import holidays

    ds = [pd.Timestamp(d).date() for d in days]
    cn = holidays.China(years=sorted({d.year for d in ds}))
    work = set(getattr(cn, "weekend_workdays", set()))
    return np.array([(d in cn) or (d.weekday() >= 5 and d not in work) for d in ds], dtype=bool)


def _ar1(r: np.random.Generator, n: int, phi: float, shape: tuple[int, ...] = ()) -> np.ndarray:
    """A stationary AR(1) with unit variance along the first axis."""
    eps = r.normal(0.0, 1.0, (n, *shape))
    out = np.empty_like(eps)
    out[0] = eps[0]
    s = np.sqrt(1 - phi**2)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + s * eps[i]
    return out


def weather(start: dt.date, end: dt.date, seed: int) -> dict[str, np.ndarray]:
    """Daily weather state of the city (shared by all sites): clear-sky index (days × 96) and air
    temperature (°C, days × 96), both seeded."""
    days = pd.date_range(str(start), str(end), freq="D")
    n = len(days)
    r = rng(seed, "history-weather", start.toordinal(), end.toordinal())
    z = _ar1(r, n, 0.65)
    wet = np.isin(days.month, [6, 7]).astype(float)  # 梅雨: more overcast days
    kd = 0.12 + 0.86 / (1 + np.exp(-(0.9 - 0.8 * wet + 1.6 * z)))  # daily clear-sky index
    # intra-day: broken-cloud variability, largest on middling days
    amp = 0.9 * kd * (1 - kd)
    intra = _ar1(r, STEPS_PER_DAY, 0.85, (n,)).T  # days × steps, smooth within a day
    k = np.clip(kd[:, None] * (1 + amp[:, None] * intra), 0.03, 1.05)
    hour = np.arange(STEPS_PER_DAY) / 4.0
    t_anom = 2.0 * _ar1(r, n, 0.7)
    month_t = np.array([MONTH_TEMP[m - 1] for m in days.month])
    temp = (
        month_t[:, None]
        + t_anom[:, None]
        + (2 + 4 * kd[:, None]) * np.sin((hour[None, :] - 9) / 24 * 2 * np.pi)
    )
    return {"days": days, "k": k, "kd": kd, "temp": temp}


def _sky(times: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Solar position and Ineichen clear sky at 盐城 at the middle of each 15-minute step."""
    import pvlib

    mid = times + pd.Timedelta(minutes=7.5)
    loc = pvlib.location.Location(LAT, LON, tz=TZ, altitude=3)
    sol = loc.get_solarposition(mid)
    cs = loc.get_clearsky(mid, model="ineichen", solar_position=sol)
    return {
        "zen": sol["apparent_zenith"].to_numpy(),
        "azi": sol["azimuth"].to_numpy(),
        "ghi": cs["ghi"].to_numpy(),
        "dni": cs["dni"].to_numpy(),
    }


def _pv_kw(sky: dict, k: np.ndarray, temp: np.ndarray, kwp: float) -> np.ndarray:
    """AC PV (kW) on 25° south: clear-sky GHI × index, DNI × index², PVWatts (as the nightly
    demo's ``daily._pv_kw``)."""
    import pvlib

    zen = sky["zen"]
    ghi = sky["ghi"] * k
    dni = sky["dni"] * k**2
    dhi = np.clip(ghi - dni * np.cos(np.radians(zen)), 0, None)
    poa = pvlib.irradiance.get_total_irradiance(25, 180, zen, sky["azi"], dni, ghi, dhi)[
        "poa_global"
    ]
    poa = np.nan_to_num(np.asarray(poa, dtype=float))
    t_cell = pvlib.temperature.faiman(poa, temp, 2.0)
    dc = pvlib.pvsystem.pvwatts_dc(poa, t_cell, kwp, -0.0037)
    return np.clip(np.asarray(dc) * 0.96, 0, kwp)


def telemetry_history(
    sites: list[Site], start: dt.date | str, end: dt.date | str, seed: int = 42
) -> pd.DataFrame:
    """15-minute telemetry of ``sites`` for every local day from ``start`` to ``end`` (both
    included), in the ``datacenter_telemetry`` columns (ts Asia/Shanghai aware)."""
    start = dt.date.fromisoformat(str(start))
    end = dt.date.fromisoformat(str(end))
    w = weather(start, end, seed)
    days = w["days"]
    n = len(days)
    times = pd.date_range(str(start), periods=n * STEPS_PER_DAY, freq="15min", tz=TZ, name="ts")
    hour = np.tile(np.arange(STEPS_PER_DAY) / 4.0, n)
    off = np.repeat(cn_off_days(days), STEPS_PER_DAY)
    dow = np.repeat(days.dayofweek.to_numpy(), STEPS_PER_DAY)
    k = w["k"].ravel()
    temp = w["temp"].ravel()
    t_idx = np.repeat(np.arange(n), STEPS_PER_DAY)
    sky = _sky(times)
    frames = []
    for s in sites:
        r = rng(seed, "history-telemetry", s.site_id, start.toordinal(), end.toordinal())
        diurnal = 0.72 + 0.08 * np.sin((hour - 10) / 24 * 2 * np.pi)
        # weekly and holiday pattern: office/edge workloads drop, batch keeps running
        weekly = np.where(dow == 6, 0.90, np.where(dow == 5, 0.93, 1.0))
        cal = np.where(off & (dow < 5), 0.86, weekly)  # a weekday holiday is deeper
        cal = np.where(~off & (dow >= 5), 1.0, cal)  # 调休 working weekend: a normal day
        # a weekday-only daytime bump (office hours) on top
        office = np.where(~off & (hour >= 9) & (hour < 18), 0.04, 0.0)
        trend = 1 + 0.0004 * t_idx
        drift = 1 + 0.02 * np.repeat(_ar1(r, n, 0.8), STEPS_PER_DAY)
        noise = 1 + 0.012 * _ar1(r, n * STEPS_PER_DAY, 0.9)
        it = s.it_kw * (diurnal + office) * cal * trend * drift * noise
        pv = _pv_kw(sky, k, temp, s.pv_kwp)
        pue = np.clip(
            1.2 + 0.006 * np.clip(temp - 8, 0, None) + r.normal(0, 0.01, len(it)), 1.2, 1.4
        )
        v = (
            6.5
            * np.exp(0.35 * np.repeat(_ar1(r, n, 0.6), STEPS_PER_DAY))
            * r.lognormal(0, 0.1, len(it))
        )
        wind = s.wind_kw * np.clip(((v - 3) / 9) ** 3, 0, 1)
        soc = np.clip(0.5 + 0.3 * np.sin((hour - 14) / 24 * 2 * np.pi) + 0.1 * (k - 0.6), 0.1, 0.95)
        frames.append(
            pd.DataFrame(
                {
                    "site_id": s.site_id,
                    "uscc": s.uscc,
                    "ts": times,
                    "it_kw": np.round(it, 1),
                    "facility_kw": np.round(it * pue, 1),
                    "pv_kw": np.round(pv, 1),
                    "wind_kw": np.round(wind, 1),
                    "battery_soc": np.round(soc, 4),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def demo_sites(seed: int = 42, scale: str = "tiny") -> list[Site]:
    """The data-centre sites of the demo city (the same ids, USCCs and sizes as its telemetry)."""
    from carbon.demo.generate import sites_of
    from carbon.demo.plan import build_plan

    return sites_of(build_plan(scale, seed), seed)
