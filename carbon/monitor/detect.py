"""Anomaly detection on daily meter series (异常检测): flatline, missing days, spikes, steps.

The expected band of a series comes from statsmodels' STL with robust fitting (LOESS with
bisquare robustness weights, Cleveland et al. 1990) on the log of daily consumption, after the
enterprise's own off-day effect is taken out:

1. off days are weekends and Chinese public holidays (the ``holidays`` package, country CN,
   which carries the State Council's yearly schedule); the effect is the median log difference
   between the enterprise's off days and work days, so a plant that idles at weekends and during
   the National Day week (国庆) is not flagged for it;
2. STL(period=7, robust=True) with a stiff trend (window spanning the whole series): a spike is a
   short run of residuals outside the band, a step is a long run on one side to the end of the
   window (the robust weights keep the fit on the majority level, so the shifted days stand out);
3. the band is ± z robust standard deviations (1.4826 × MAD of the residuals), and a finding also
   needs a relative size (``min_rel``) so tiny but steady series are not flagged.

Flatline (same read, or zero, ``min_days`` days running) and missing days (no read on a day the
lake has reads for) need no model.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Finding:
    kind: str  # flatline | missing | spike | step
    start: str
    end: str
    evidence: dict = field(default_factory=dict)


@cache
def _cn_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("CN", years=year).keys())


def is_off_day(d: dt.date) -> bool:
    """Weekend or Chinese public holiday (``holidays``, CN)."""
    return d.weekday() >= 5 or d in _cn_holidays(d.year)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    out, i, n = [], 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def missing_runs(
    dates: list[dt.date],
    values: pd.Series,
    min_days: int,
    quarantined: frozenset[dt.date] = frozenset(),
) -> list[Finding]:
    """Runs of ``min_days`` or more days without a reading. A day whose reading was delivered
    but quarantined (``quarantined``) is not missing: the sender did report, and the bad row is
    the data-quality rules' finding (``quarantine_rate``), not a meter gap."""
    present = np.array([d in values.index or d in quarantined for d in dates])
    out = []
    for i, j in _runs(~present):
        if j - i + 1 >= min_days:
            out.append(
                Finding("missing", dates[i].isoformat(), dates[j].isoformat(), {"days": j - i + 1})
            )
    return out


def _flatline(v: pd.Series, first: int, last: int, kwh: float, zero: bool) -> Finding:
    """A flatline finding over the reads ``first`` .. ``last`` (positions in ``v``), at ``kwh``."""
    days = last - first + 1
    evidence = {"days": days, "kwh": kwh, "zero": zero}
    return Finding("flatline", v.index[first].isoformat(), v.index[last].isoformat(), evidence)


def flatline_runs(values: pd.Series, min_days: int, tol: float = 0.05) -> list[Finding]:
    """Runs of identical (or zero) reads over the days that have a read."""
    v = values.sort_index()
    x = v.to_numpy(dtype=float)
    if len(x) < min_days:
        return []
    same = np.zeros(len(x), dtype=bool)
    same[1:] = np.abs(np.diff(x)) <= tol
    out = []
    for i, j in _runs(same):
        s = i - 1  # the run's first read is the one before the first repeat
        if j - s + 1 >= min_days:
            out.append(_flatline(v, s, j, float(x[s]), bool(abs(x[s]) <= tol)))
    zero = x <= tol
    for i, j in _runs(zero & ~same):
        if j - i + 1 >= min_days:
            out.append(_flatline(v, i, j, 0.0, True))
    return out


@dataclass(frozen=True)
class Band:
    dates: list[dt.date]
    observed: np.ndarray  # log kWh (NaN where no usable read)
    expected: np.ndarray  # log kWh from STL + off-day effect
    scale: float  # robust sd of the residuals (log units)
    level: np.ndarray  # observed less the weekly and off-day parts (log kWh)

    @property
    def resid(self) -> np.ndarray:
        return self.observed - self.expected


def stl_band(
    dates: list[dt.date], values: pd.Series, exclude: set[dt.date] | None = None
) -> Band | None:
    """The expected log-consumption band of a daily series (None when too short)."""
    from statsmodels.tsa.seasonal import STL

    exclude = exclude or set()
    n = len(dates)
    y = np.array(
        [
            math.log(values[d])
            if d in values.index and d not in exclude and values[d] > 0
            else np.nan
            for d in dates
        ]
    )
    ok = ~np.isnan(y)
    if ok.sum() < 14:
        return None
    off = np.array([is_off_day(d) for d in dates])
    effect = 0.0
    if (ok & off).sum() >= 3 and (ok & ~off).sum() >= 3:
        effect = float(np.median(y[ok & off]) - np.median(y[ok & ~off]))
    # Days without a usable read are filled from a centred 7-day rolling median of the
    # off-day-adjusted series, not by linear interpolation: interpolating next to a spike drags
    # the filled day towards it, STL takes the filled day as data, and the spike then bends that
    # weekday's seasonal component into a false spike a week later.
    adj = pd.Series(y - effect * off)
    fill = adj.rolling(7, center=True, min_periods=1).median()
    fill = fill.interpolate(limit_direction="both")
    adj = adj.fillna(fill).to_numpy()
    trend = n if n % 2 else n + 1
    res = STL(adj, period=7, robust=True, trend=max(trend, 9)).fit()
    expected = res.trend + res.seasonal + effect * off
    r = (y - expected)[ok]
    mad = float(np.median(np.abs(r - np.median(r))))
    scale = max(1.4826 * mad, 0.01)
    return Band(dates, y, expected, scale, y - res.seasonal - effect * off)


def band_findings(
    band: Band, z: float, min_rel: float, max_spike_days: int, min_step_days: int, step_rel: float
) -> list[Finding]:
    """Spikes (short runs outside the band) and steps (a long one-sided run to the end)."""
    r = band.resid
    obs = ~np.isnan(r)
    out = []
    step_from = None
    for sign in (1, -1):
        big = obs & (sign * np.nan_to_num(r) > z * band.scale)
        spike_big = big & (np.abs(np.expm1(np.nan_to_num(r))) >= min_rel)
        step_big = big & (np.abs(np.expm1(np.nan_to_num(r))) >= step_rel)
        # runs over observed days only (a missing day does not break a run)
        idx = np.flatnonzero(obs)
        for mask, kind in ((step_big, "step"), (spike_big, "spike")):
            flags = mask[idx]
            for i, j in _runs(flags):
                a, b = idx[i], idx[j]
                days = j - i + 1
                to_end = j == len(idx) - 1
                if kind == "step":
                    continue  # steps: the level test above
                if step_from is not None and band.dates[a].isoformat() >= step_from:
                    continue
                if kind == "spike" and (
                    days > max_spike_days or (to_end and days >= min_step_days)
                ):
                    continue
                exp_kwh = float(np.exp(band.expected[a]))
                obs_kwh = float(np.exp(band.observed[a]))
                out.append(
                    Finding(
                        kind,
                        band.dates[a].isoformat(),
                        band.dates[b].isoformat(),
                        {
                            "days": int(days),
                            "kwh": round(obs_kwh, 1),
                            "expected_kwh": round(exp_kwh, 1),
                            "band_low_kwh": round(exp_kwh * math.exp(-z * band.scale), 1),
                            "band_high_kwh": round(exp_kwh * math.exp(z * band.scale), 1),
                            "ratio": round(obs_kwh / exp_kwh, 3),
                            "z": round(float(r[a] / band.scale), 1),
                        },
                    )
                )
    return out


def _step(band: Band, z: float, rel: float, min_days: int) -> Finding | None:
    """A level shift to the end of the window: the split that maximises the gap between the
    medians of the de-seasoned level before and after it, if the gap is beyond the band
    (z robust sd), at least ``rel`` in size, and the days after it lie on its far side."""
    lv = band.level
    idx = np.flatnonzero(~np.isnan(lv))
    if len(idx) < 2 * min_days:
        return None
    # noise of the level from its day-to-day differences (a single step moves one difference)
    d = np.diff(lv[idx])
    noise = max(1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2), 0.01)
    best, m = None, len(idx)
    for i in range(min_days, m - min_days + 1):
        before, after = lv[idx[:i]], lv[idx[i:]]
        mb, ma = float(np.median(before)), float(np.median(after))
        cost = float(np.abs(before - mb).sum() + np.abs(after - ma).sum())  # robust segmentation
        if best is None or cost < best[2]:
            best = (i, ma - mb, cost)
    i, gap, _ = best
    if abs(gap) <= z * noise or abs(math.expm1(gap)) < rel:
        return None
    before_med = float(np.median(lv[idx[:i]]))
    after = lv[idx[i:]]
    if np.mean(np.sign(gap) * (after - before_med) > abs(gap) / 2) < 0.8:
        return None
    a = idx[i]
    base = math.exp(before_med)
    return Finding(
        "step",
        band.dates[a].isoformat(),
        band.dates[idx[-1]].isoformat(),
        {
            "days": int(len(idx) - i),
            "kwh_level_before": round(base, 1),
            "kwh_level_after": round(math.exp(before_med + gap), 1),
            "ratio": round(math.exp(gap), 3),
            "z": round(abs(gap) / noise, 1),
        },
    )


def detect(
    dates: list[dt.date],
    values: pd.Series,
    *,
    flat_days: int = 3,
    missing_days: int = 2,
    z: float = 6.0,
    spike_rel: float = 0.5,
    max_spike_days: int = 2,
    step_rel: float = 0.2,
    min_step_days: int = 4,
    quarantined: frozenset[dt.date] = frozenset(),
) -> list[Finding]:
    """All findings of one daily series (``values`` indexed by date, kWh; ``quarantined``: the
    days whose reading of this meter is in quarantine)."""
    values = values[~values.index.duplicated()]
    found = missing_runs(dates, values, missing_days, quarantined) + flatline_runs(
        values, flat_days
    )
    flat_days_set = {
        d for f in found if f.kind == "flatline" for d in pd.date_range(f.start, f.end).date
    }
    band = stl_band(dates, values, exclude=flat_days_set)
    if band is not None:
        step = _step(band, z, step_rel, min_step_days)
        if step is not None:
            # the band for spikes is fitted with the shift taken out, so the step's edge does
            # not bend the trend into false spikes before it
            found.append(step)
            after = values.index >= dt.date.fromisoformat(step.start)
            values = values.where(~after, values / step.evidence["ratio"])
            band = stl_band(dates, values, exclude=flat_days_set)
        found += [
            f
            for f in band_findings(band, z, spike_rel, max_spike_days, min_step_days, step_rel)
            if f.kind == "spike"
        ]
    return sorted(found, key=lambda f: (f.start, f.kind))
