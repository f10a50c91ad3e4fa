"""The Chinese calendar of a forecast: public holidays, substituted days off and 调休 working
weekends from the ``holidays`` package (``holidays.China``, maintained from the State Council's
yearly notice)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def day_flags(days) -> pd.DataFrame:
    """Per local day: ``dow`` (0 = Monday), ``holiday`` (a public holiday or substituted day off),
    ``workday_weekend`` (a 调休 Saturday/Sunday worked), ``off`` (a day off)."""
    import holidays

    idx = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    ds = [t.date() for t in idx]
    years = sorted({d.year for d in ds} | {d.year + 1 for d in ds} | {d.year - 1 for d in ds})
    cn = holidays.China(years=years)
    work = set(getattr(cn, "weekend_workdays", set()))
    hol = np.array([d in cn for d in ds], dtype=bool)
    ww = np.array([d.weekday() >= 5 and d in work for d in ds], dtype=bool)
    dow = idx.dayofweek.to_numpy()
    off = hol | ((dow >= 5) & ~ww)
    return pd.DataFrame({"dow": dow, "holiday": hol, "workday_weekend": ww, "off": off}, index=idx)
