"""Rolling-origin backtest of the day-ahead forecasts against persistence, clear sky (PV) and a
statsmodels Holt-Winters baseline. Pure: it takes series, returns tables.

For each held-out day d (the last ``test_days`` days), the forecast is made from days < d only;
the model is refitted every ``refit_every`` days on all earlier days (expanding window) and its
features always come from days < d. Scores pool all held-out steps (``optimizers.forecast.metrics``);
PV coverage counts daylight steps only (at night 0 ≤ 0 ≤ 0 would count as covered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizers.forecast import metrics
from optimizers.forecast import model as fm


@dataclass
class Backtest:
    series: str
    kind: str
    unit: str
    scores: pd.DataFrame  # one row per method: mae, nmae, pinball, coverage
    forecasts: pd.DataFrame  # ts, actual, p10, p50, p90, persistence[, clearsky][, holt_winters]


def run(
    s: pd.Series,
    kind: str,
    *,
    series: str,
    unit: str,
    freq: str = "15min",
    test_days: int = 28,
    refit_every: int = 7,
    c_unit: np.ndarray | None = None,
    lat: float | None = None,
    lon: float | None = None,
    holt_winters: bool = True,
    params: dict | None = None,
    fit_kw: dict | None = None,
) -> Backtest:
    days, y = fm.day_matrix(s, freq)
    n = len(days)
    if n < test_days + 30:
        raise ValueError(f"{series}: {n} days of history, need at least {test_days + 30}")
    c = None
    if kind == "pv":
        if c_unit is None:
            c_unit = fm.clearsky_unit(days, freq, lat, lon)
        first_test = n - test_days
        kwp = fm.clearsky_envelope(y[:first_test], c_unit[:first_test])
        c = c_unit * kwp
    fr = fm.build_frame(days, y, kind, c)
    test = np.arange(n - test_days, n)
    preds = []
    model = None
    for i, d in enumerate(test):
        if model is None or i % refit_every == 0:
            model = fm.fit(fr, np.arange(0, d), params=params, **(fit_kw or {}))
        preds.append(fm.predict(model, fr, np.array([d])))
    p = np.vstack(preds)
    actual = y[test].ravel()
    out = pd.DataFrame(
        {
            "ts": fm.target_times(days[test], freq),
            "actual": actual,
            "p10": p[:, 0],
            "p50": p[:, 1],
            "p90": p[:, 2],
            "persistence": fm.persistence(y, test),
        }
    )
    if kind == "pv":
        out["clearsky"] = fm.clearsky(c, test)
    if holt_winters and kind != "pv":
        out["holt_winters"] = fm.holt_winters(y, test)
    rows = []
    day_mask = fr.mask[np.isin(fr.day, test)] if kind == "pv" else np.ones(len(out), bool)
    q = {0.1: out["p10"].to_numpy(), 0.5: out["p50"].to_numpy(), 0.9: out["p90"].to_numpy()}
    rows.append(
        {
            "method": "model P50 (LightGBM quantile)",
            "mae": metrics.mae(actual, q[0.5]),
            "nmae": metrics.nmae(actual, q[0.5]),
            "pinball": metrics.pinball(actual, q),
            "coverage_p10_p90": metrics.coverage(
                actual[day_mask], q[0.1][day_mask], q[0.9][day_mask]
            ),
        }
    )
    for col in ("persistence", "clearsky", "holt_winters"):
        if col in out:
            f = out[col].to_numpy()
            rows.append(
                {
                    "method": col,
                    "mae": metrics.mae(actual, f),
                    "nmae": metrics.nmae(actual, f),
                    "pinball": metrics.pinball(actual, f),
                    "coverage_p10_p90": float("nan"),
                }
            )
    scores = pd.DataFrame(rows).set_index("method")
    base = scores.loc["persistence", "nmae"]
    scores["nmae_vs_persistence"] = 1 - scores["nmae"] / base
    return Backtest(series, kind, unit, scores, out)
