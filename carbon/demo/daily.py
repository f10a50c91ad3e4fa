"""Daily and sub-daily series: households, persons, meter reads, grid signals, data-centre telemetry.

Pure, vectorised numpy: each function takes the seed and the date and returns arrays/tables, so a
single day (e.g. the city-scale benchmark day) can be made without the rest of the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from carbon.config import TZ
from carbon.demo.plan import COUNTIES, COUNTY_STATS, PROVINCE, rng

LAT, LON = 33.35, 120.16  # Yancheng
# monthly mean air temperature, °C (Yancheng climate normals, rounded)
MONTH_TEMP = (1.5, 3.5, 8.0, 14.0, 19.5, 24.0, 27.5, 27.0, 23.0, 17.5, 10.5, 4.0)
# residential electricity by month relative to the mean (air-con in summer, heating in winter)
HOUSE_SEASON = (1.25, 1.15, 0.9, 0.8, 0.85, 1.0, 1.35, 1.4, 1.0, 0.82, 0.88, 1.15)
HOLIDAYS = {
    (1, 1),
    (5, 1),
    (5, 2),
    (5, 3),
    (10, 1),
    (10, 2),
    (10, 3),
    (10, 4),
    (10, 5),
    (10, 6),
    (10, 7),
}


def is_off_day(d: dt.date) -> bool:
    return d.weekday() >= 5 or (d.month, d.day) in HOLIDAYS


# ---------------------------------------------------------------- households
@dataclass(frozen=True)
class Households:
    household_no: np.ndarray  # int64, 13 digits (raw 户号)
    region_idx: np.ndarray  # index into COUNTIES
    community_id: np.ndarray  # int64, 12 digits (county + street + community)
    members: np.ndarray  # int64
    base_kwh_day: np.ndarray  # float64, mean daily kWh

    @property
    def n(self) -> int:
        return len(self.household_no)


def households(n: int, seed: int) -> Households:
    """The city's households: raw 13-digit grid account numbers (户号) and their attributes."""
    r = rng(seed, "households")
    mult = 7_919_274_331 + 10 * int(r.integers(0, 10_000))  # ends in 1: coprime with 10^10
    offset = int(r.integers(0, 10**10))
    idx = np.arange(n, dtype=np.int64)
    no = 3_200_000_000_000 + (idx * (mult % 10**10) + offset) % 10**10
    pop = np.array([COUNTY_STATS[c][0] for c in COUNTIES], float)
    region = r.choice(len(COUNTIES), size=n, p=pop / pop.sum())
    street = r.integers(1, 16, n)
    comm = r.integers(1, 21, n)
    county = np.asarray([int(c) for c in COUNTIES], dtype=np.int64)[region]
    community = county * 1_000_000 + street * 1000 + comm  # 12 digits: county+street+community
    members = r.choice(np.arange(1, 7), size=n, p=[0.2, 0.3, 0.25, 0.15, 0.07, 0.03])
    base = (900.0 + 550.0 * members) * r.lognormal(0.0, 0.35, n) / 365.0
    vacant = r.random(n) < 0.03
    base = np.where(vacant, base * 0.05, base)
    return Households(no, region, community, members.astype(np.int64), base)


def household_kwh(h: Households, day: dt.date, seed: int) -> np.ndarray:
    r = rng(seed, "household_kwh", day.toordinal())
    f = HOUSE_SEASON[day.month - 1] * (1.06 if is_off_day(day) else 1.0)
    return np.round(h.base_kwh_day * f * r.lognormal(-0.03, 0.25, h.n), 2)


# ---------------------------------------------------------------- persons
@dataclass(frozen=True)
class Persons:
    phone: np.ndarray  # str, 11 digits 1[3-9]…
    id_card: np.ndarray  # str, 18 chars (GB 11643 check digit)
    commuter: np.ndarray  # bool: bus user
    metro: np.ndarray
    cyclist: np.ndarray
    walker: np.ndarray
    ev_owner: np.ndarray

    @property
    def n(self) -> int:
        return len(self.phone)


# GB/T 2260 codes valid as a birth place (codes of the birth year: Yancheng's counties since 1983,
# the 盐城地区 counties 3223xx before; python-stdnum checks the code against the birth year)
_BIRTH_AREAS = COUNTIES
_BIRTH_AREAS_OLD = ("322321", "322322", "322323", "322324", "322325", "322326", "322327", "322328")


@cache
def _birth_areas(year: int) -> tuple[str, ...]:
    """Codes that python-stdnum accepts as a birth place for ``year``."""
    from stdnum.cn import ric

    out = []
    for a in (*_BIRTH_AREAS, *_BIRTH_AREAS_OLD):
        first17 = f"{a}{year}0101001"
        if ric.is_valid(first17 + ric.calc_check_digit(first17 + "0")):
            out.append(a)
    return tuple(out) or ("320902",)


def persons(n: int, seed: int) -> Persons:
    from stdnum.cn import ric

    r = rng(seed, "persons")
    idx = np.arange(n, dtype=np.int64)
    mult, offset = 600_000_007, int(r.integers(0, 10**9))  # 600000007 is coprime with 10^9
    tail = (idx * mult + offset) % 10**9
    second = r.integers(3, 10, n)
    phone = np.char.add(np.char.add("1", second.astype("U1")), np.char.zfill(tail.astype("U9"), 9))
    births = dt.date(1955, 1, 1).toordinal() + r.integers(0, 365 * 52, n)
    picks = r.integers(0, 1000, n)
    seqs = r.integers(1, 1000, n)
    ids = []
    for b, k, s in zip(births.tolist(), picks.tolist(), seqs.tolist(), strict=True):
        born = dt.date.fromordinal(b)
        areas = _birth_areas(born.year)
        first17 = f"{areas[k % len(areas)]}{born:%Y%m%d}{s:03d}"
        ids.append(first17 + ric.calc_check_digit(first17 + "0"))  # expects 18 chars
    return Persons(
        phone=phone,
        id_card=np.asarray(ids),
        commuter=r.random(n) < 0.35,
        metro=r.random(n) < 0.08,
        cyclist=r.random(n) < 0.25,
        walker=r.random(n) < 0.6,
        ev_owner=r.random(n) < 0.10,
    )


ACTIVITY_COLUMNS = (
    "user_id",
    "date",
    "behaviour_code",
    "quantity",
    "unit",
    "platform",
    "record_id",
)
PLATFORM_FILES = {
    "transit": "csv",
    "bikeshare": "csv",
    "walking": "csv",
    "charging": "parquet",
    "city_app": "csv",
}


def _events(r, mask, lam):
    counts = np.where(mask, r.poisson(lam, len(mask)), 0)
    return np.repeat(np.arange(len(mask)), counts)


def low_carbon_day(p: Persons, day: dt.date, seed: int) -> dict[str, pd.DataFrame]:
    """One day of low-carbon activity records, per platform (raw user ids)."""
    r = rng(seed, "low_carbon", day.toordinal())
    off = is_off_day(day)
    parts: dict[str, list[tuple]] = {k: [] for k in PLATFORM_FILES}
    who = _events(r, p.commuter, 0.5 if off else 1.3)
    parts["transit"].append((p.phone[who], "bus", np.round(r.uniform(2, 14, len(who)), 1), "km"))
    who = _events(r, p.metro, 0.4 if off else 1.0)
    parts["transit"].append((p.phone[who], "metro", np.round(r.uniform(3, 18, len(who)), 1), "km"))
    who = _events(r, p.cyclist, 0.6 if off else 0.9)
    parts["bikeshare"].append(
        (p.phone[who], "cycling", np.round(r.uniform(0.8, 6, len(who)), 2), "km")
    )
    who = np.flatnonzero(p.walker & (r.random(p.n) < 0.8))
    steps = r.lognormal(np.log(7000), 0.45, len(who))
    parts["walking"].append((p.phone[who], "walking", np.round(steps * 0.0007, 2), "km"))
    who = np.flatnonzero(p.ev_owner & (r.random(p.n) < 0.15))
    parts["charging"].append(
        (p.id_card[who], "ev_charging", np.round(r.uniform(8, 60, len(who)), 1), "kWh")
    )
    out: dict[str, pd.DataFrame] = {}
    for platform, chunks in parts.items():
        if not chunks:
            continue
        df = pd.DataFrame(
            {
                "user_id": np.concatenate([c[0] for c in chunks]).astype(str),
                "behaviour_code": np.concatenate([np.full(len(c[0]), c[1]) for c in chunks]),
                "quantity": np.concatenate([c[2] for c in chunks]).astype(float),
                "unit": np.concatenate([np.full(len(c[0]), c[3]) for c in chunks]),
            }
        )
        out[platform] = df
    # the city carbon app re-reports some bus trips and bike rides: same person, date,
    # behaviour and quantity on a second platform (double counting the ledger must drop)
    dup = []
    for platform in ("transit", "bikeshare"):
        src = out[platform]
        pick = src[(src["behaviour_code"] != "metro") & (r.random(len(src)) < 0.03)]
        dup.append(pick)
    app = pd.concat(dup, ignore_index=True)
    if len(app) == 0 and len(out["bikeshare"]) > 0:
        app = out["bikeshare"].iloc[:1].copy()
    out["city_app"] = app.reset_index(drop=True)
    stamp = day.strftime("%Y%m%d")
    prefix = {
        "transit": "TR",
        "bikeshare": "BK",
        "walking": "WK",
        "charging": "CH",
        "city_app": "APP",
    }
    for platform, df in out.items():
        n = len(df)
        df.insert(1, "date", day)
        df["platform"] = platform
        df["record_id"] = [f"{prefix[platform]}{stamp}{k:07d}" for k in range(1, n + 1)]
        out[platform] = df[list(ACTIVITY_COLUMNS)]
    return out


# ---------------------------------------------------------------- grid signals
PEAK_HOURS = frozenset([8, 9, 10, 17, 18, 19, 20, 21])
VALLEY_HOURS = frozenset(range(0, 8))
CRITICAL_HOURS = frozenset([14, 19])  # 14–15 and 19–20 in summer (Jul–Aug) and winter (Dec–Jan)
CRITICAL_MONTHS = frozenset([1, 7, 8, 12])
PRICE = {"peak": 1.0543, "flat": 0.6324, "valley": 0.2697}  # CNY/kWh, Jiangsu 1–10 kV industry


def tou_price(day: dt.date, hour: int) -> float:
    """Jiangsu-style time-of-use price (CNY/kWh): peak 08–11 & 17–22, valley 00–08, else flat."""
    if hour in VALLEY_HOURS:
        base = PRICE["valley"]
    elif hour in PEAK_HOURS:
        base = PRICE["peak"]
    else:
        base = PRICE["flat"]
    if day.month in CRITICAL_MONTHS and hour in CRITICAL_HOURS:
        base = max(base, PRICE["peak"]) * 1.2
    return base


def grid_day(day: dt.date, seed: int) -> pd.DataFrame:
    r = rng(seed, "grid", day.toordinal())
    hours = np.arange(24)
    solar = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)  # 06–18 daylight shape
    night_wind = 0.5 * (1 + np.cos((hours - 3) / 24 * 2 * np.pi))
    evening = np.exp(-0.5 * ((hours - 19.5) / 1.5) ** 2)
    level = 0.58 + r.normal(0, 0.015)
    ci = level - 0.09 * solar * r.uniform(0.5, 1.0) - 0.04 * night_wind + 0.05 * evening
    ci = np.round(ci + r.normal(0, 0.005, 24), 4)
    ts = [f"{day.isoformat()}T{h:02d}:00:00+08:00" for h in hours]
    return pd.DataFrame(
        {
            "province_code": PROVINCE,
            "ts": ts,
            "price_cny_per_kwh": [round(tou_price(day, int(h)), 4) for h in hours],
            "carbon_intensity_kg_per_kwh": ci,
        }
    )


# ---------------------------------------------------------------- data-centre telemetry
@dataclass(frozen=True)
class Site:
    site_id: str
    uscc: str
    it_kw: float
    pv_kwp: float
    wind_kw: float
    battery_kwh: float


_SKY: dict[dt.date, tuple[np.ndarray, ...]] = {}


def precompute_sky(days: list[dt.date]) -> None:
    """Solar position and clear-sky irradiance (pvlib, Ineichen) for many days in one call."""
    import pvlib

    todo = sorted(d for d in set(days) if d not in _SKY)
    if not todo:
        return
    idx = [pd.date_range(pd.Timestamp(d), periods=96, freq="15min", tz=TZ) for d in todo]
    times = idx[0].append(idx[1:]) if len(idx) > 1 else idx[0]
    loc = pvlib.location.Location(LAT, LON, tz=TZ, altitude=3)
    sol = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, model="ineichen", solar_position=sol)
    cols = [
        sol["apparent_zenith"].to_numpy(),
        sol["azimuth"].to_numpy(),
        cs["ghi"].to_numpy(),
        cs["dni"].to_numpy(),
    ]
    for k, d in enumerate(todo):
        _SKY[d] = tuple(c[k * 96 : (k + 1) * 96] for c in cols)


def _pv_kw(
    day: dt.date, sites_kwp: list[float], cloud: np.ndarray, temp: np.ndarray
) -> list[np.ndarray]:
    """AC PV output (kW) per site: pvlib clear-sky (Ineichen) × cloudiness, PVWatts on 25° south."""
    import pvlib

    precompute_sky([day])
    zen, azi, ghi_cs, dni_cs = _SKY[day]
    ghi = ghi_cs * cloud
    dni = dni_cs * cloud**2
    dhi = np.clip(ghi - dni * np.cos(np.radians(zen)), 0, None)
    poa = pvlib.irradiance.get_total_irradiance(25, 180, zen, azi, dni, ghi, dhi)["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float))
    t_cell = pvlib.temperature.faiman(poa, temp, 2.0)
    out = []
    for kwp in sites_kwp:
        dc = pvlib.pvsystem.pvwatts_dc(poa, t_cell, kwp, -0.0037)
        out.append(np.clip(np.asarray(dc) * 0.96, 0, kwp))
    return out


def telemetry_day(
    sites: list[Site], day: dt.date, seed: int
) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """15-min telemetry per site for one day, and each site's grid import (kWh) for the meter."""
    r = rng(seed, "weather", day.toordinal())
    steps = np.arange(96)
    hour = steps / 4.0
    clear = r.uniform(0.35, 1.0)
    cloud = np.clip(clear * (1 - 0.25 * np.abs(np.sin(steps / 7.0 + r.uniform(0, 6)))), 0.1, 1.0)
    temp = MONTH_TEMP[day.month - 1] + r.normal(0, 2) + 4 * np.sin((hour - 9) / 24 * 2 * np.pi)
    v = (
        r.uniform(3.5, 9.5)
        * (1 + 0.25 * np.cos((hour - 2) / 24 * 2 * np.pi))
        * r.lognormal(0, 0.1, 96)
    )
    wind_pu = np.clip(((v - 3) / 9) ** 3, 0, 1) * (v < 25)
    pv = _pv_kw(day, [s.pv_kwp for s in sites], cloud, temp)
    ts = [t.isoformat() for t in pd.date_range(pd.Timestamp(day), periods=96, freq="15min", tz=TZ)]
    out, imports = {}, {}
    for k, s in enumerate(sites):
        rs = rng(seed, "telemetry", s.site_id, day.toordinal())
        it = s.it_kw * (
            0.72 + 0.08 * np.sin((hour - 10) / 24 * 2 * np.pi) + rs.normal(0, 0.015, 96)
        )
        pue = np.clip(1.2 + 0.006 * np.clip(temp - 8, 0, None) + rs.normal(0, 0.01, 96), 1.2, 1.4)
        fac = it * pue
        wind = s.wind_kw * wind_pu
        soc = np.empty(96)
        cur, p_max = 0.5, s.battery_kwh / 2
        grid = np.empty(96)
        for i in range(96):
            soc[i] = cur
            h = int(hour[i])
            surplus = pv[k][i] + wind[i] - fac[i]
            if surplus > 0:
                p = min(surplus, p_max, (0.95 - cur) * s.battery_kwh * 4)
            elif h in VALLEY_HOURS:
                p = min(p_max / 2, (0.95 - cur) * s.battery_kwh * 4)
            elif h in PEAK_HOURS:
                p = -min(p_max / 2, (cur - 0.15) * s.battery_kwh * 4)
            else:
                p = 0.0
            p = max(p, -(cur - 0.1) * s.battery_kwh * 4)
            cur = float(
                np.clip(cur + p * 0.25 * (0.95 if p > 0 else 1 / 0.95) / s.battery_kwh, 0, 1)
            )
            grid[i] = fac[i] - pv[k][i] - wind[i] + p
        out[s.site_id] = pd.DataFrame(
            {
                "site_id": s.site_id,
                "uscc": s.uscc,
                "ts": ts,
                "it_kw": np.round(it, 1),
                "facility_kw": np.round(fac, 1),
                "pv_kw": np.round(pv[k], 1),
                "wind_kw": np.round(wind, 1),
                "battery_soc": np.round(soc, 4),
            }
        )
        imports[s.site_id] = float(np.clip(grid, 0, None).sum() * 0.25)
    return out, imports


def to_table(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
