"""Forecast scores: MAE, nMAE, pinball loss, interval coverage. Pure numpy; NaN pairs are skipped.

- ``mae``: mean |y − ŷ| (the series' unit, e.g. kW).
- ``nmae``: MAE / mean |y| over the same steps (dimensionless; the same normaliser for every
  method, so "25 % better nMAE" is "25 % lower MAE").
- ``pinball``: mean over quantiles q of mean(max(q·(y − ŷ_q), (q − 1)·(y − ŷ_q))). A point
  forecast scores as a degenerate distribution (the same value at every quantile), so its
  pinball at q = 0.5 is MAE / 2.
- ``coverage``: share of steps with ŷ_lo ≤ y ≤ ŷ_hi.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _pair(y, f) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    f = np.broadcast_to(np.asarray(f, dtype=float), y.shape)
    ok = np.isfinite(y) & np.isfinite(f)
    return y[ok], f[ok]


def mae(y, f) -> float:
    y, f = _pair(y, f)
    return float(np.mean(np.abs(y - f))) if y.size else float("nan")


def nmae(y, f) -> float:
    y2, f2 = _pair(y, f)
    if not y2.size:
        return float("nan")
    scale = float(np.mean(np.abs(y2)))
    return float(np.mean(np.abs(y2 - f2))) / scale if scale > 0 else float("nan")


def pinball_q(y, f, q: float) -> float:
    """Pinball (quantile) loss of the ``q`` quantile forecast ``f``."""
    if not 0 < q < 1:
        raise ValueError(f"quantile must be in (0, 1), got {q}")
    y, f = _pair(y, f)
    if not y.size:
        return float("nan")
    d = y - f
    return float(np.mean(np.maximum(q * d, (q - 1) * d)))


def pinball(y, quantiles: Mapping[float, np.ndarray] | np.ndarray, qs=(0.1, 0.5, 0.9)) -> float:
    """Mean pinball loss over ``qs``. ``quantiles`` maps q → forecast, or is one point forecast
    (scored as the same value at every quantile)."""
    if not isinstance(quantiles, Mapping):
        quantiles = dict.fromkeys(qs, quantiles)
    return float(np.mean([pinball_q(y, quantiles[q], q) for q in qs]))


def coverage(y, lo, hi) -> float:
    y = np.asarray(y, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    ok = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return float("nan")
    return float(np.mean((lo[ok] <= y[ok]) & (y[ok] <= hi[ok])))
