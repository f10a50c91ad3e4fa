"""Day-ahead quantile forecasts (P10/P50/P90) of a site's IT load, PV and the grid's carbon
intensity. Pure functions on pandas/numpy: no lake, no files (``optimizers.forecast.io`` is the
edge).

A series is laid out as a **day matrix** ``Y[day, step]`` (local Asia/Shanghai days; a gap is
NaN). The forecast of day ``d`` uses only days before ``d`` (day-ahead: the last complete day is
``d − 1``), so the same feature rows serve training, the rolling-origin backtest and an issued
forecast without look-ahead.

Targets are put in a frame where one model serves every day:

- ``load`` (IT load): y / L, L = mean of the last 7 days (the level; trees cannot extrapolate a
  trend, a ratio can);
- ``pv``: the **clear-sky index** k = y / C, C = pvlib Ineichen clear-sky PV of the plant
  (``clearsky_envelope`` fits its size to the history); steps with C below 5 % of its peak are
  night: forecast 0;
- ``raw`` (carbon intensity): y itself.

Features: step of day, day of year, for load and carbon intensity day of week and the Chinese
calendar (``optimizers.forecast.calendar``: public holidays, days off, 调休 working weekends,
yesterday's flag; not for PV: the sun keeps no calendar, nor day of year: it memorised training
weather), and lags in the target's frame: the same step yesterday, a week ago and on the last day
of the same kind (working day / day off), yesterday's mean; for PV yesterday's and the day
before's daily clear-sky index and its 3-day mean. LightGBM's quantile objective fits one model per quantile, rows weighted by the scale back
to kW (so the loss minimised is the pinball loss in kW); the P10–P90 band is then
**conformally calibrated** (asymmetric CQR, Romano et al. 2019) on up to ``CAL_FOLDS``
rolling-origin folds of ``CAL_DAYS`` days inside the training window (``fit``); PV's P50 is blended
with persistence by a weight learned on the same folds; the three quantiles are sorted (never
crossing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carbon.config import TZ
from optimizers.forecast.calendar import day_flags

QUANTILES = (0.1, 0.5, 0.9)
QCOLS = ("p10", "p50", "p90")
FEATURE_VERSION = "f4"
NIGHT_FRACTION = 0.05  # clear-sky PV below 5 % of its peak: night, forecast 0
KINDS = ("load", "pv", "raw")
CAL_DAYS = 14  # days per CQR calibration fold
CAL_FOLDS = 3  # rolling-origin calibration folds inside the training window

LGBM_PARAMS = {
    "num_iterations": 160,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 30,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "verbosity": -1,
    "num_threads": 2,
    "seed": 0,
    "deterministic": True,
}


def model_version() -> str:
    """What produced a forecast: model, feature set and library version (stored per row)."""
    import lightgbm

    return f"lgbm-quantile-cqr/{FEATURE_VERSION} lightgbm {lightgbm.__version__}"


# ----------------------------------------------------------------------------- layout
def steps_per_day(freq: str) -> int:
    return round(pd.Timedelta(days=1) / pd.Timedelta(pd.tseries.frequencies.to_offset(freq)))


def local_index(s: pd.Series) -> pd.Series:
    idx = pd.DatetimeIndex(s.index)
    idx = idx.tz_localize(TZ) if idx.tz is None else idx.tz_convert(TZ)
    out = pd.Series(np.asarray(s, dtype=float), index=idx).sort_index()
    return out[~out.index.duplicated(keep="last")]


def day_matrix(
    s: pd.Series, freq: str, first_day=None, last_day=None
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """(days, Y): the series on whole local days from ``first_day`` to ``last_day`` (default:
    its own span), one row per day, NaN where a step has no value. A finer series is averaged
    onto ``freq``."""
    s = local_index(s)
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    if len(s) > 1 and s.index.to_series().diff().median() < step:
        s = s.resample(step, label="left", closed="left").mean()
    d0 = pd.Timestamp(first_day).tz_localize(TZ) if first_day is not None else None
    d1 = pd.Timestamp(last_day).tz_localize(TZ) if last_day is not None else None
    d0 = d0 if d0 is not None else s.index.min().normalize()
    d1 = d1 if d1 is not None else s.index.max().normalize()
    days = pd.date_range(d0, d1, freq="D")
    spd = steps_per_day(freq)
    full = pd.date_range(d0, d1 + pd.Timedelta(days=1), freq=freq, inclusive="left")
    y = s.reindex(full).to_numpy(dtype=float).reshape(len(days), spd)
    return days, y


def target_times(days: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(
        days[0], days[-1] + pd.Timedelta(days=1), freq=freq, inclusive="left", name="ts"
    )


def clearsky_unit(days: pd.DatetimeIndex, freq: str, lat: float, lon: float, **pv) -> np.ndarray:
    """Clear-sky AC PV of a 1 kWp plant (pvlib Ineichen + PVWatts, ``optimizers.inputs``) as a
    day matrix."""
    from optimizers.inputs import pv_clearsky_kw

    idx = target_times(days, freq)
    idx.freq = pd.tseries.frequencies.to_offset(freq)
    c = pv_clearsky_kw(idx, lat, lon, 1.0, **pv)
    return c.reshape(len(days), steps_per_day(freq))


def clearsky_envelope(y: np.ndarray, c_unit: np.ndarray, q: float = 0.98) -> float:
    """The plant's effective kWp: a high quantile of measured / clear-sky-per-kWp over daylight
    steps of the history (a clear-sky envelope fit; metadata kWp are often wrong)."""
    day = c_unit > NIGHT_FRACTION * np.nanmax(c_unit)
    ratio = y[day] / c_unit[day]
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size < 50:
        raise ValueError("too little daylight PV history to fit the clear-sky envelope")
    return float(np.quantile(ratio, q))


# ----------------------------------------------------------------------------- features
def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """Rows moved down by ``k`` days (row d holds day d − k), NaN at the top."""
    out = np.full_like(a, np.nan, dtype=float)
    if k < len(a):
        out[k:] = a[: len(a) - k]
    return out


def _nanmean_stack(arrs: list[np.ndarray]) -> np.ndarray:
    a = np.stack(arrs)
    n = np.sum(np.isfinite(a), axis=0)
    return np.where(n > 0, np.nansum(a, axis=0) / np.maximum(n, 1), np.nan)


def _nanmean_rows(a: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        n = np.sum(np.isfinite(a), axis=1)
        s = np.nansum(a, axis=1)
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


@dataclass
class Frame:
    """Feature rows (day × step flattened), the target in its frame and the scale back to the
    series' unit (y = target × scale)."""

    X: np.ndarray
    target: np.ndarray
    scale: np.ndarray
    day: np.ndarray  # row → day number
    mask: np.ndarray  # rows the model predicts (PV daylight); other rows are 0
    kind: str = "raw"
    names: list[str] = field(default_factory=list)
    persist: np.ndarray | None = None  # the same step yesterday, in the target's frame


def build_frame(
    days: pd.DatetimeIndex, y: np.ndarray, kind: str, c: np.ndarray | None = None
) -> Frame:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    n, spd = y.shape
    flags = day_flags(days)
    off = flags["off"].to_numpy()
    cols: dict[str, np.ndarray] = {}

    def per_day(v: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(v, dtype=float)[:, None], spd, axis=1)

    cols["step"] = np.tile(np.arange(spd, dtype=float), (n, 1))
    if kind != "pv":  # the sun keeps no calendar: holiday splits on PV are spurious
        cols["dow"] = per_day(flags["dow"].to_numpy())
        cols["off"] = per_day(off)
        cols["holiday"] = per_day(flags["holiday"].to_numpy())
        cols["workday_weekend"] = per_day(flags["workday_weekend"].to_numpy())
        cols["off_yesterday"] = per_day(np.r_[np.nan, off[:-1].astype(float)])
    if kind != "pv":  # for PV, day of year only memorised the weather of training days (f4)
        cols["doy"] = per_day(days.dayofyear.to_numpy())
    mask = np.ones_like(y, dtype=bool)
    if kind == "pv":
        if c is None:
            raise ValueError("pv needs the clear-sky day matrix c")
        peak = np.nanmax(c)
        mask = c > NIGHT_FRACTION * peak
        scale = c
        with np.errstate(all="ignore"):
            frame = np.where(mask, y / c, np.nan)
            kd = np.nansum(np.where(mask, y, np.nan), axis=1) / np.nansum(
                np.where(mask, c, np.nan), axis=1
            )
        kd = np.where(np.isfinite(y).sum(axis=1) >= spd * 0.9, kd, np.nan)
        cols["cs_norm"] = c / peak
        cols["kd_1"] = per_day(_shift(kd[:, None], 1)[:, 0])
        cols["kd_2"] = per_day(_shift(kd[:, None], 2)[:, 0])
        k3 = _nanmean_stack([_shift(kd[:, None], i)[:, 0] for i in (1, 2, 3)])
        cols["kd_3mean"] = per_day(k3)
        persist = _shift(frame, 1)  # yesterday's index at the step: blend only, not a feature
    else:
        if kind == "load":
            lvl = _nanmean_stack([_nanmean_rows(_shift(y, i)) for i in range(1, 8)])
            scale = per_day(lvl)
        else:
            scale = np.ones_like(y)
        with np.errstate(all="ignore"):
            frame = y / scale
        cols["lag1"] = _shift(y, 1) / scale
        cols["lag7"] = _shift(y, 7) / scale
        cols["mean1"] = per_day(_nanmean_rows(_shift(y, 1))) / scale
        # the same step on the last earlier day of the same kind (working day / day off)
        same = np.full_like(y, np.nan, dtype=float)
        last = {True: None, False: None}
        for d in range(n):
            j = last[bool(off[d])]
            if j is not None:
                same[d] = y[j]
            last[bool(off[d])] = d
        cols["lag_same_kind"] = same / scale
    names = list(cols)
    X = np.stack([cols[k].ravel() for k in names], axis=1)
    return Frame(
        X=X,
        target=frame.ravel(),
        scale=np.asarray(scale, dtype=float).ravel(),
        day=np.repeat(np.arange(n), spd),
        mask=mask.ravel(),
        kind=kind,
        names=names,
        persist=(persist if kind == "pv" else cols["lag1"]).ravel(),
    )


# ----------------------------------------------------------------------------- model
@dataclass
class QuantileModel:
    """One LightGBM quantile regressor per quantile, and the CQR widening of the P10–P90 band."""

    kind: str
    models: dict = field(default_factory=dict)
    widen_lo: float = 0.0  # P10 moved down by this (target frame; negative: up)
    widen_hi: float = 0.0  # P90 moved up by this
    blend: float = 1.0  # P50 = blend × model + (1 − blend) × persistence (target frame)
    version: str = ""


def _fit_q(X: np.ndarray, t: np.ndarray, params: dict, w: np.ndarray | None = None) -> dict:
    """One booster per quantile. Rows are weighted by the scale back to kW (clear-sky PV, the
    load level), so the pinball loss minimised is the loss in kW, not in the ratio's frame."""
    import lightgbm as lgb

    out = {}
    for q in QUANTILES:
        ds = lgb.Dataset(X, t, weight=w, params={"verbosity": -1}, free_raw_data=True)
        out[q] = lgb.train({**params, "objective": "quantile", "alpha": q}, ds)
    return out


def _predict_q(models: dict, X: np.ndarray) -> np.ndarray:
    return np.stack([models[q].predict(X) for q in QUANTILES], axis=1)


def _cal_folds(train_days: np.ndarray, cal_days: int, cal_folds: int) -> list[np.ndarray]:
    """The calibration folds, newest first: fold j is the ``cal_days`` days ending ``j ×
    cal_days`` days before the end of the window. A fold is used only if at least 14 days lie
    before it (its model needs a history); fewer folds are used when the window is short."""
    out = []
    n = len(train_days)
    for j in range(max(0, cal_folds)):
        hi = n - j * cal_days
        lo = hi - cal_days
        if lo < 14:
            break
        out.append(train_days[lo:hi])
    return out


def _blend_weight(p50: np.ndarray, persist: np.ndarray, t: np.ndarray, w: np.ndarray) -> float:
    """The weight a in [0, 1] of the model's P50 in a·P50 + (1 − a)·persistence that minimises
    the weighted MAE (kW when ``w`` is the scale) on calibration rows; 1 where persistence is
    missing. A grid of 21 weights (the loss is convex in a, a grid is exact enough)."""
    ok = np.isfinite(persist) & np.isfinite(t)
    if ok.sum() < 50:
        return 1.0
    grid = np.linspace(0.0, 1.0, 21)
    loss = [np.sum(w[ok] * np.abs(a * p50[ok] + (1 - a) * persist[ok] - t[ok])) for a in grid]
    return float(grid[int(np.argmin(loss))])


def fit(
    fr: Frame,
    train_days: np.ndarray,
    *,
    cal_days: int = CAL_DAYS,
    cal_folds: int = CAL_FOLDS,
    blend: bool | None = None,
    asymmetric: bool = True,
    params: dict | None = None,
) -> QuantileModel:
    """Fit on the rows of ``train_days`` (day numbers) with a finite target, then refit on all
    of them. Calibration (CQR) is **rolling-origin inside the training window**, like the
    backtest itself: for each of up to ``cal_folds`` folds of ``cal_days`` days (newest first,
    ``_cal_folds``), a model is fitted on the days before the fold only and scored on it; the
    scores of all folds are pooled, so the band is calibrated on working days, weekends and
    holidays alike, not on the last two weeks alone. The upper and lower edges are calibrated
    separately (asymmetric CQR, each to 90 %), because PV errors are skewed.

    ``blend`` (default: PV only) also learns, on the same pooled folds, the weight of the model's
    P50 against persistence in the target's frame (``_blend_weight``)."""
    params = {**LGBM_PARAMS, **(params or {})}
    train_days = np.asarray(sorted(train_days))
    ok = np.isin(fr.day, train_days) & fr.mask & np.isfinite(fr.target) & np.isfinite(fr.scale)
    if ok.sum() < 200:
        raise ValueError(f"too little history to fit a forecast ({int(ok.sum())} usable steps)")
    if cal_days < 0 or cal_folds < 0:
        raise ValueError(f"cal_days and cal_folds must be >= 0, got {cal_days}, {cal_folds}")
    blend = fr.kind == "pv" if blend is None else blend
    if blend and fr.persist is None:
        raise ValueError("blend needs the frame's persistence column (build_frame gives it)")
    lo_w = hi_w = 0.0
    alpha = 1.0
    folds = _cal_folds(train_days, cal_days, cal_folds) if cal_days else []
    if folds:
        e_lo, e_hi, p50s, pers, ts, ws = [], [], [], [], [], []
        for f in folds:
            cal = np.isin(fr.day, f) & ok
            fit_rows = ok & (fr.day < f[0])
            if fit_rows.sum() < 200 or not cal.any():
                continue
            m0 = _fit_q(fr.X[fit_rows], fr.target[fit_rows], params, fr.scale[fit_rows])
            p = _predict_q(m0, fr.X[cal])
            t = fr.target[cal]
            e_lo.append(p[:, 0] - t)
            e_hi.append(t - p[:, 2])
            p50s.append(p[:, 1])
            ts.append(t)
            ws.append(fr.scale[cal])
            if blend:
                pers.append(fr.persist[cal])
        if e_lo:
            lo, hi = np.concatenate(e_lo), np.concatenate(e_hi)
            if asymmetric:
                level = min(1.0, 0.9 * (1 + 1 / len(lo)))
                lo_w = float(np.quantile(lo, level))
                hi_w = float(np.quantile(hi, level))
            else:
                level = min(1.0, 0.8 * (1 + 1 / len(lo)))
                lo_w = hi_w = float(np.quantile(np.maximum(lo, hi), level))
            if blend:
                alpha = _blend_weight(
                    np.concatenate(p50s),
                    np.concatenate(pers),
                    np.concatenate(ts),
                    np.concatenate(ws),
                )
    models = _fit_q(fr.X[ok], fr.target[ok], params, fr.scale[ok])
    return QuantileModel(fr.kind, models, lo_w, hi_w, alpha, model_version())


def predict(model: QuantileModel, fr: Frame, days: np.ndarray) -> np.ndarray:
    """P10/P50/P90 (rows of ``days``, in the series' unit), sorted, ≥ 0; PV night rows 0."""
    rows = np.isin(fr.day, days)
    out = np.zeros((int(rows.sum()), 3))
    m = fr.mask[rows]
    p = _predict_q(model.models, fr.X[rows][m])
    p[:, 0] -= model.widen_lo
    p[:, 2] += model.widen_hi
    if model.blend < 1.0:
        if fr.persist is None:
            raise ValueError("the model blends with persistence: the frame has none")
        per = fr.persist[rows][m]
        p[:, 1] = np.where(
            np.isfinite(per), model.blend * p[:, 1] + (1 - model.blend) * per, p[:, 1]
        )
    p = np.sort(p, axis=1)
    if fr.kind == "pv":
        p = np.clip(p, 0.0, 1.1)
    out[m] = p * fr.scale[rows][m][:, None]
    return np.clip(out, 0.0, None)


# ----------------------------------------------------------------------------- baselines
def persistence(y: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Day-ahead persistence: each step of day d is the same step of day d − 1 (what the
    dispatcher used before: ``optimizers.inputs.persistence``)."""
    return np.concatenate([y[d - 1] for d in days])


def clearsky(c: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Clear-sky PV (the dispatcher's default ``pvlib`` PV: an upper bound)."""
    return np.concatenate([c[d] for d in days])


def holt_winters(y: np.ndarray, days: np.ndarray, window: int = 14) -> np.ndarray:
    """statsmodels Holt-Winters (no trend, additive daily season) on the hourly means of the last
    ``window`` days before each target day; the next day's hourly forecast is held over the
    day's sub-hourly steps. (Hourly, because a 96-step season makes each fit take ~20 s.)"""
    import warnings

    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    spd = y.shape[1]
    per_h = max(1, spd // 24)
    out = []
    for d in days:
        hist = y[max(0, d - window) : d]
        hourly = hist.reshape(hist.shape[0], -1, per_h).mean(axis=2).ravel()
        hourly = pd.Series(hourly).interpolate(limit_direction="both").to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ExponentialSmoothing(
                hourly, trend=None, seasonal="add", seasonal_periods=spd // per_h
            ).fit()
        out.append(np.repeat(res.forecast(spd // per_h), per_h))
    return np.concatenate(out)


def issue(
    days: pd.DatetimeIndex,
    y: np.ndarray,
    kind: str,
    freq: str,
    c: np.ndarray | None = None,
    **fit_kw,
) -> pd.DataFrame:
    """The day-ahead forecast of the day after the last day of ``y`` (all of ``y`` is history):
    a frame indexed by the target steps with columns p10, p50, p90. For PV, ``c`` (clear-sky
    day matrix) has one more row than ``y``: the target day."""
    spd = y.shape[1]
    if kind == "pv" and (c is None or c.shape[0] != y.shape[0] + 1):
        raise ValueError("pv: the clear-sky matrix must cover the history and the target day")
    days_ext = days.append(pd.DatetimeIndex([days[-1] + pd.Timedelta(days=1)]))
    y_ext = np.vstack([y, np.full((1, spd), np.nan)])
    fr = build_frame(days_ext, y_ext, kind, c)
    n = len(days)
    model = fit(fr, np.arange(n), **fit_kw)
    p = predict(model, fr, np.array([n]))
    idx = target_times(days_ext[-1:], freq)
    df = pd.DataFrame(p, index=idx, columns=list(QCOLS))
    df.attrs["model_version"] = model.version
    return df
