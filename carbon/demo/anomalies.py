"""Labelled anomalies in key emitters' daily meter series (for the monitoring benchmark).

``carbon demo-data`` injects four kinds into the electricity meter reads of key emitters
(重点排放单位, not data centres), each into its own enterprise, and writes the truth to
``<home>/demo_manifest/anomalies.csv``:

- ``flatline``: the meter repeats one read for 5-7 days (a stuck meter);
- ``spike``: one day's consumption ×2.5-4 or ×0.15-0.3;
- ``step``: from a day on, to the end of the window, consumption ×1.6-2 or ×0.4-0.55;
- ``missing``: 3-5 consecutive days without a read.

Deterministic in the seed; the same enterprises and days at every run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from carbon.demo.plan import rng

KINDS = ("flatline", "spike", "step", "missing")
PER_KIND = {"tiny": 2, "small": 5, "city": 0}
MIN_DAYS = 21  # a shorter daily window gets no anomalies (too short for a seasonal band)
COLUMNS = ("anomaly_id", "kind", "dataset", "account_id", "region_code", "start", "end", "factor")


@dataclass(frozen=True)
class Anomaly:
    anomaly_id: str
    kind: str
    dataset: str
    account_id: str
    region_code: str
    start: str
    end: str
    factor: float


def plan_anomalies(
    register: pd.DataFrame, key: pd.Series, days: list[dt.date], seed: int, scale: str
) -> list[Anomaly]:
    n = len(days)
    per = PER_KIND.get(scale, 0)
    if n < MIN_DAYS or per == 0:
        return []
    r = rng(seed, "anomalies")
    cand = register[key.to_numpy() & ~register["is_datacenter"].to_numpy()]
    cand = cand.sort_values("uscc")
    k = min(len(cand), per * len(KINDS))
    idx = r.choice(len(cand), size=k, replace=False)
    out = []
    for j, i in enumerate(idx):
        kind = KINDS[j % len(KINDS)]
        row = cand.iloc[int(i)]
        if kind == "flatline":
            s = int(r.integers(6, n - 9))
            e, f = s + int(r.integers(4, 7)), 1.0
        elif kind == "spike":
            s = int(r.integers(5, n - 1))
            e = s
            f = float(r.uniform(2.5, 4.0) if r.random() < 0.6 else r.uniform(0.15, 0.3))
        elif kind == "step":
            s = int(r.integers(n - 11, n - 5))
            e = n - 1
            f = float(r.uniform(1.6, 2.0) if r.random() < 0.5 else r.uniform(0.4, 0.55))
        else:
            s = int(r.integers(5, n - 6))
            e, f = s + int(r.integers(2, 5)), 0.0
        out.append(
            Anomaly(
                f"A{j + 1:03d}",
                kind,
                "electricity_consumption",
                str(row["uscc"]),
                str(row["region_code"]),
                days[s].isoformat(),
                days[e].isoformat(),
                round(f, 3),
            )
        )
    return out


class Injector:
    """Applies the anomalies to each day's enterprise meter frame, in date order."""

    def __init__(self, anomalies: list[Anomaly]):
        self.anomalies = anomalies
        self._held: dict[str, tuple[float, float]] = {}

    def apply(self, ent: pd.DataFrame, day: dt.date) -> pd.DataFrame:
        iso = day.isoformat()
        drop = []
        ent = ent.copy()
        for a in self.anomalies:
            if not (a.start <= iso <= a.end):
                continue
            m = (ent["account_id"] == a.account_id).to_numpy()
            if not m.any():
                continue
            if a.kind == "missing":
                drop.append(m)
            elif a.kind == "flatline":
                if a.anomaly_id not in self._held:
                    k = float(ent.loc[m, "kwh"].iloc[0])
                    g = float(ent.loc[m, "green_kwh"].iloc[0])
                    self._held[a.anomaly_id] = (k, g)
                k, g = self._held[a.anomaly_id]
                ent.loc[m, "kwh"] = k
                ent.loc[m, "green_kwh"] = g
            else:
                ent.loc[m, "kwh"] = np.round(ent.loc[m, "kwh"] * a.factor, 1)
                ent.loc[m, "green_kwh"] = np.round(ent.loc[m, "green_kwh"] * a.factor, 1)
        if drop:
            ent = ent[~np.logical_or.reduce(drop)].reset_index(drop=True)
        return ent


def truth_frame(anomalies: list[Anomaly]) -> pd.DataFrame:
    return pd.DataFrame([asdict(a) for a in anomalies], columns=list(COLUMNS))
