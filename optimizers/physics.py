"""Physics of the dispatch inputs (no I/O): PV output from pvlib clear-sky irradiance and
PVWatts (:func:`pv_clearsky_kw`), weather-driven PUE (:func:`pue_from_temperature`) and a daily
temperature wave (:func:`diurnal_temperature_c`).  The readers are in ``optimizers.readers``, as
pvlib keeps its ``iotools`` apart from the models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carbon.config import TZ
from optimizers.series import hours_of_day


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
