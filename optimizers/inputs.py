"""Time-series inputs of a dispatch plan: prices, carbon intensity, IT load, PV, wind, PUE.

Two layers, kept apart:

* **Pure functions** (no I/O) turn tables into arrays on the plan's step index: ``step_index``,
  ``to_step`` (hourly → 15 min by forward fill, 15 min → hourly by mean), ``tou_profile``,
  ``pv_clearsky_kw`` (pvlib), ``pue_from_temperature``, ``diurnal_temperature_c``.
* **Readers** (``read_grid_signals``, ``read_telemetry``, ``read_series_file``) fetch tables from
  the lake (``carbon.pipeline.lake`` layout, DuckDB) or from CSV/Parquet files that a scenario names.

Resampling rule (documented in docs/dispatch.md): every series is first put on its own time
stamps (interval *start*, Asia/Shanghai), then re-indexed to the plan's steps. A coarser series
(hourly prices on 15-minute steps) is **forward filled**: the 10:15 step carries the 10:00 price,
which is how a time-of-use or hourly market price applies. A finer series (15-minute telemetry on
hourly steps) is **averaged** over the hour, which keeps energy (kWh) the same.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from carbon.config import TZ

STEP_ALIASES = {
    "15min": "15min",
    "15m": "15min",
    "15 min": "15min",
    "0.25h": "15min",
    "1h": "1h",
    "60min": "1h",
    "1 h": "1h",
    "hourly": "1h",
}
HORIZON_DAYS = {"1d": 1, "7d": 7, "30d": 30, "365d": 365}


# ----------------------------------------------------------------------------- pure logic
def parse_step(step: str) -> str:
    """Normalise a step spelling to a pandas frequency ("15min" or "1h")."""
    key = str(step).strip().lower()
    if key not in STEP_ALIASES:
        raise ValueError(f"step {step!r} not supported: use 15min or 1h")
    return STEP_ALIASES[key]


def parse_horizon(horizon: str | int) -> int:
    """Horizon in days from "1d", "7d", "30d", "365d" (or any "<n>d", or an int of days)."""
    if isinstance(horizon, int) and not isinstance(horizon, bool):
        days = horizon
    else:
        text = str(horizon).strip().lower()
        if not text.endswith("d") or not text[:-1].isdigit():
            raise ValueError(f"horizon {horizon!r} not understood: use e.g. 1d, 7d, 30d, 365d")
        days = int(text[:-1])
    if days < 1:
        raise ValueError(f"horizon must be at least one day, got {horizon!r}")
    return days


def step_hours(freq: str) -> float:
    """Hours of a step frequency ("15min" → 0.25, "1h" or "h" → 1.0)."""
    return pd.Timedelta(pd.tseries.frequencies.to_offset(freq)).total_seconds() / 3600.0


def step_index(plan_date: date | str, days: int, freq: str) -> pd.DatetimeIndex:
    """Interval starts of the plan: ``days`` local days from 00:00 Asia/Shanghai."""
    start = pd.Timestamp(str(plan_date)).tz_localize(TZ)
    end = start + pd.Timedelta(days=days)
    return pd.date_range(start, end, freq=freq, inclusive="left", name="ts")


def _as_local(ts: pd.Series | pd.DatetimeIndex) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(ts)
    if idx.tz is None:
        return idx.tz_localize(TZ)
    return idx.tz_convert(TZ)


def to_step(series: pd.Series, index: pd.DatetimeIndex, *, name: str = "value") -> np.ndarray:
    """Put a time series (indexed by interval starts) on the plan steps.

    Coarser input is forward filled, finer input is averaged per step. Raises ``ValueError``
    naming the first step with no data (no silent zeros).
    """
    s = pd.Series(np.asarray(series, dtype=float), index=_as_local(series.index)).sort_index()
    s = s[~s.index.duplicated(keep="last")]
    if s.empty:
        raise ValueError(f"{name}: no data")
    freq = pd.tseries.frequencies.to_offset(index.freq or pd.infer_freq(index))
    step = pd.Timedelta(freq)
    src_step = pd.Series(s.index).diff().median() if len(s) > 1 else step
    if pd.notna(src_step) and src_step < step:
        # finer input: mean over each plan step (labels = step start)
        s = s.resample(step, origin=index[0], label="left", closed="left").mean()
    out = s.reindex(s.index.union(index)).ffill().reindex(index)
    if out.isna().any():
        first = out.index[out.isna()][0]
        raise ValueError(f"{name}: no data at or before {first.isoformat()}")
    # a forward fill must not reach beyond one source interval after the last sample
    last_valid = s.index.max() + max(src_step if pd.notna(src_step) else step, step)
    if index[-1] >= last_valid:
        raise ValueError(
            f"{name}: data end at {s.index.max().isoformat()}, plan needs {index[-1].isoformat()}"
        )
    return out.to_numpy(dtype=float)


def hours_of_day(index: pd.DatetimeIndex) -> np.ndarray:
    local = index.tz_convert(TZ)
    return np.asarray(local.hour + local.minute / 60.0, dtype=float)


def tou_profile(index: pd.DatetimeIndex, periods: dict[str, dict]) -> np.ndarray:
    """Time-of-use price per step from ``{name: {"hours": [[start, end], ...], "price": x}}``.

    Hours are local clock hours, end exclusive (``[0, 8]`` = 00:00–08:00). Every hour of the day
    must be covered exactly once.
    """
    by_hour = hourly_table(periods, "price")
    return by_hour[index.tz_convert(TZ).hour.to_numpy()]


def hourly_table(periods: dict[str, dict], field: str) -> np.ndarray:
    """24 values, one per clock hour, from named periods with ``hours`` ranges."""
    table = np.full(24, np.nan)
    for name, spec in periods.items():
        for start, end in spec["hours"]:
            for h in range(int(start), int(end)):
                if not np.isnan(table[h]):
                    raise ValueError(f"tariff period {name!r}: hour {h} already covered")
                table[h] = float(spec[field])
    missing = [h for h in range(24) if np.isnan(table[h])]
    if missing:
        raise ValueError(f"tariff periods leave hours {missing} uncovered")
    return table


def hourly_profile(index: pd.DatetimeIndex, values: list[float] | np.ndarray) -> np.ndarray:
    """Repeat a 24-value clock-hour profile over the plan steps."""
    arr = np.asarray(values, dtype=float)
    if arr.shape != (24,):
        raise ValueError(f"an hourly profile needs 24 values, got {arr.size}")
    return arr[index.tz_convert(TZ).hour.to_numpy()]


def diurnal_temperature_c(
    index: pd.DatetimeIndex, mean_c: float, amplitude_c: float, peak_hour: float = 15.0
) -> np.ndarray:
    """A deterministic daily temperature wave: coolest before dawn, warmest mid-afternoon."""
    h = hours_of_day(index)
    return mean_c + amplitude_c * np.cos(2 * np.pi * (h - peak_hour) / 24.0)


def pue_from_temperature(
    temp_c: np.ndarray, base: float, ref_c: float, per_deg_c: float, floor: float = 1.05
) -> np.ndarray:
    """Weather-driven PUE: ``base`` at ``ref_c`` and ``per_deg_c`` more per °C above it.

    Below ``ref_c`` free cooling keeps PUE at ``base`` (never below ``floor``).
    """
    pue = base + per_deg_c * np.maximum(np.asarray(temp_c, dtype=float) - ref_c, 0.0)
    return np.maximum(pue, floor)


def pv_clearsky_kw(
    index: pd.DatetimeIndex,
    lat: float,
    lon: float,
    kwp: float,
    *,
    tilt: float = 25.0,
    azimuth: float = 180.0,
    gamma_pdc: float = -0.0035,
    system_loss: float = 0.14,
    inverter_eff: float = 0.96,
    dc_ac_ratio: float = 1.2,
    temp_air_c: np.ndarray | float = 25.0,
    wind_speed: float = 1.0,
    altitude: float = 5.0,
) -> np.ndarray:
    """AC PV power (kW, mean over each step) from pvlib clear-sky irradiance and PVWatts.

    Ineichen clear-sky GHI/DNI/DHI at the site → plane-of-array irradiance (isotropic sky) →
    SAPM cell temperature → PVWatts DC (``kwp`` at 1000 W/m², ``gamma_pdc`` per °C) less
    ``system_loss`` → PVWatts inverter (AC rating ``kwp / dc_ac_ratio``). Evaluated at the middle
    of each step so a 15-minute or hourly value is the step's mean. Deterministic: no weather
    data, the clear sky is an upper bound a forecast may scale down.
    """
    import pvlib

    if kwp <= 0:
        return np.zeros(len(index))
    step = pd.Timedelta(index.freq or pd.infer_freq(index))
    mid = index + step / 2
    loc = pvlib.location.Location(lat, lon, tz=TZ, altitude=altitude)
    solpos = loc.get_solarposition(mid)
    cs = loc.get_clearsky(mid, model="ineichen", solar_position=solpos)
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt=tilt,
        surface_azimuth=azimuth,
        solar_zenith=solpos["apparent_zenith"],
        solar_azimuth=solpos["azimuth"],
        dni=cs["dni"],
        ghi=cs["ghi"],
        dhi=cs["dhi"],
        model="isotropic",
    )
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    t_cell = pvlib.temperature.sapm_cell(poa["poa_global"], temp_air_c, wind_speed, **params)
    pdc = pvlib.pvsystem.pvwatts_dc(poa["poa_global"], t_cell, pdc0=kwp, gamma_pdc=gamma_pdc) * (
        1.0 - system_loss
    )
    pac = pvlib.inverter.pvwatts(
        pdc, pdc0=kwp / dc_ac_ratio / inverter_eff, eta_inv_nom=inverter_eff
    )
    out = np.clip(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0, None)
    return out


def persistence(series: pd.Series, index: pd.DatetimeIndex, *, name: str) -> np.ndarray:
    """Day-ahead persistence forecast: repeat the last local day of ``series`` on every day of
    ``index`` (then ``to_step``: averaged or forward filled to the plan step).

    Used when the lake has no telemetry for the plan date (the plan is made the day before).
    """
    s = pd.Series(np.asarray(series, dtype=float), index=_as_local(series.index)).sort_index()
    if s.empty:
        raise ValueError(f"{name}: no history for a persistence forecast")
    last_day = s.index.max().normalize()
    day = s[s.index >= last_day]
    pieces = []
    for target in pd.DatetimeIndex(index.normalize().unique()):
        piece = day.copy()
        piece.index = piece.index + (target - last_day)
        pieces.append(piece)
    return to_step(pd.concat(pieces), index, name=name)


# ----------------------------------------------------------------------------- readers
def _lake_query(dataset: str, where: str, params: list, home: str | Path | None) -> pd.DataFrame:
    import duckdb

    from carbon.pipeline.lake import glob_pattern, list_partitions

    if not list_partitions(dataset, home):
        return pd.DataFrame()
    con = duckdb.connect()
    try:
        con.execute(f"set TimeZone = '{TZ}'")
        sql = (
            "select * exclude (date) from read_parquet(?, hive_partitioning=true, "
            f"hive_types_autocast=false) where {where} order by ts"
        )
        return con.execute(sql, [glob_pattern(dataset, home), *params]).df()
    finally:
        con.close()


def _date_strings(start: date | str, days: int, before: int = 0) -> list[str]:
    d0 = pd.Timestamp(str(start)) - pd.Timedelta(days=before)
    return [str((d0 + pd.Timedelta(days=i)).date()) for i in range(days + before)]


def read_grid_signals(
    province_code: str, start: date | str, days: int, home: str | Path | None = None
) -> pd.DataFrame:
    """Hourly ``grid_signals`` rows of one province for the plan days (ts in Asia/Shanghai)."""
    dates = _date_strings(start, days)
    df = _lake_query(
        "grid_signals",
        "province_code = ? and date in (select unnest(?))",
        [province_code, dates],
        home,
    )
    if not df.empty:
        df["ts"] = _as_local(df["ts"])
    return df


def read_telemetry(
    site_id: str,
    start: date | str,
    days: int,
    home: str | Path | None = None,
    history_days: int = 7,
) -> pd.DataFrame:
    """15-minute ``datacenter_telemetry`` rows of one site, for the plan days and up to
    ``history_days`` before them (for a persistence forecast)."""
    dates = _date_strings(start, days, before=history_days)
    df = _lake_query(
        "datacenter_telemetry",
        "site_id = ? and date in (select unnest(?))",
        [site_id, dates],
        home,
    )
    if not df.empty:
        df["ts"] = _as_local(df["ts"])
    return df


def read_series_file(path: str | Path, column: str, ts_column: str = "ts") -> pd.Series:
    """One column of a CSV or Parquet file as a series indexed by local interval starts."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        df = pd.read_parquet(p, columns=[ts_column, column])
    elif p.suffix.lower() == ".csv":
        df = pd.read_csv(p, usecols=[ts_column, column])
    else:
        raise ValueError(f"{p}: only .csv and .parquet series files are read")
    ts = pd.to_datetime(df[ts_column])
    return pd.Series(df[column].to_numpy(dtype=float), index=_as_local(ts), name=column)


def lake_series(df: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(df[column].to_numpy(dtype=float), index=_as_local(df["ts"]), name=column)
