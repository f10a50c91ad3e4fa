"""The edges of the forecast module: read telemetry from the lake, write and read
``dispatch_forecasts``. Everything else in ``optimizers.forecast`` is pure.

Lake layout (docs/forecast.md)::

    <home>/lake/dispatch_forecasts/forecast=<target date>__<site_id>/part-0.parquet

one row per target step × series × quantile: ``site_id, target_date, target_ts`` (Asia/Shanghai),
``series`` (``it_kw`` / ``pv_kw``), ``quantile`` (``p10`` / ``p50`` / ``p90``), ``value``, ``unit``
(kW), ``model_version``, ``issued_at``, ``history_end`` (the last telemetry step the forecast saw).
Written atomically with ``carbon.pipeline.lake.write_partition`` (one partition per site and target day,
so mapped per-site tasks never share a file; re-issuing replaces it whole).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from carbon.config import TZ
from optimizers.forecast import model as fm

log = logging.getLogger("optimizers.forecast")

DATASET = "dispatch_forecasts"
KEY = "forecast"
SERIES = {"it_kw": ("load", "kW"), "pv_kw": ("pv", "kW")}


def schema():
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("site_id", pa.string(), nullable=False),
            pa.field("target_date", pa.date32(), nullable=False),
            pa.field("target_ts", pa.timestamp("us", tz=TZ), nullable=False),
            pa.field("series", pa.string(), nullable=False),
            pa.field("quantile", pa.string(), nullable=False),
            pa.field("value", pa.float64(), nullable=False),
            pa.field("unit", pa.string(), nullable=False),
            pa.field("model_version", pa.string(), nullable=False),
            pa.field("issued_at", pa.timestamp("us", tz=TZ), nullable=False),
            pa.field("history_end", pa.timestamp("us", tz=TZ)),
        ]
    )


def partition_value(target_date: date | str, site_id: str) -> str:
    return f"{target_date}__{site_id}"


def long_frame(
    site_id: str,
    target_date: date | str,
    forecasts: dict[str, pd.DataFrame],
    *,
    issued_at: pd.Timestamp,
    history_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Pure: ``{series: frame(p10, p50, p90) indexed by target ts}`` → rows of ``schema()``."""
    rows = []
    for series, f in forecasts.items():
        unit = SERIES.get(series, (None, "kW"))[1]
        version = f.attrs.get("model_version", fm.model_version())
        for q in fm.QCOLS:
            rows.append(
                pd.DataFrame(
                    {
                        "site_id": site_id,
                        "target_date": pd.Timestamp(str(target_date)).date(),
                        "target_ts": pd.DatetimeIndex(f.index).tz_convert(TZ),
                        "series": series,
                        "quantile": q,
                        "value": f[q].to_numpy(dtype=float),
                        "unit": unit,
                        "model_version": version,
                        "issued_at": issued_at,
                        "history_end": history_end,
                    }
                )
            )
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["series", "quantile", "target_ts"], kind="stable").reset_index(
        drop=True
    )


def write_forecasts(df: pd.DataFrame, home: str | Path | None = None) -> list[Path]:
    """Write ``long_frame`` rows, one atomic partition per site and target date."""
    from carbon.pipeline.lake import write_partition

    out = []
    for (site, d), part in df.groupby(["site_id", "target_date"], sort=True):
        out.append(
            write_partition(
                DATASET, KEY, partition_value(d, site), part, schema=schema(), home=home
            )
        )
    return out


def read_forecasts(
    site_id: str, days: list[str], home: str | Path | None = None, series: str | None = None
) -> pd.DataFrame:
    """Forecast rows of a site for the target days (``YYYY-MM-DD``), target_ts local."""
    import duckdb

    from carbon.pipeline.lake import glob_pattern, list_partitions

    if not list_partitions(DATASET, home):
        return pd.DataFrame(columns=schema().names)
    con = duckdb.connect()
    try:
        con.execute(f"set TimeZone = '{TZ}'")
        sql = (
            "select * exclude (forecast) from read_parquet(?, hive_partitioning=true, "
            "hive_types_autocast=false) where site_id = ? "
            "and cast(target_date as varchar) in (select unnest(?))"
        )
        params: list = [glob_pattern(DATASET, home), site_id, list(days)]
        if series is not None:
            sql += " and series = ?"
            params.append(series)
        df = con.execute(sql + " order by series, quantile, target_ts", params).df()
    finally:
        con.close()
    if not df.empty:
        df["target_ts"] = pd.DatetimeIndex(df["target_ts"]).tz_convert(TZ)
    return df


def p50_on_steps(
    rows: pd.DataFrame, series: str, index: pd.DatetimeIndex
) -> tuple[np.ndarray | None, str]:
    """The P50 of ``series`` on the plan steps, or (None, reason) when the forecast is missing,
    has a gap (a plan step with no finite forecast covering it) or a negative value. Pure."""
    return quantile_on_steps(rows, series, index, "p50")


def quantile_on_steps(
    rows: pd.DataFrame, series: str, index: pd.DatetimeIndex, quantile: str
) -> tuple[np.ndarray | None, str]:
    """The ``quantile`` (``p10``, ``p50``, ``p90``) of ``series`` on the plan steps, or
    (None, reason) as :func:`p50_on_steps`. Pure."""
    if rows.empty:
        return None, "no forecast in the lake"
    r = rows[(rows["series"] == series) & (rows["quantile"] == quantile)]
    if r.empty:
        return None, f"no {quantile.upper()} forecast of {series}"
    s = pd.Series(r["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(r["target_ts"]))
    s = s[~s.index.duplicated(keep="last")].sort_index()
    if not np.isfinite(s.to_numpy()).all():
        bad = s.index[~np.isfinite(s.to_numpy())][0]
        return None, f"{series} forecast has a missing value at {bad.isoformat()}"
    if (s < 0).any():
        return None, f"{series} forecast has a negative value at {s.index[s < 0][0].isoformat()}"
    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(index.freq)
    fstep = s.index.to_series().diff().median() if len(s) > 1 else step
    # every forecast interval inside the plan window must be there: no forward fill across a gap
    need = pd.date_range(index[0], index[-1] + step, freq=fstep, inclusive="left")
    missing = need.difference(s.index)
    if len(missing):
        return None, (
            f"{series} forecast has a gap: {len(missing)} of {len(need)} steps without a value, "
            f"first {missing[0].isoformat()}"
        )
    from optimizers.inputs import to_step

    return to_step(s, index, name=f"{series} forecast"), ""


# ----------------------------------------------------------------------------- issuing
def read_history(
    site_id: str, target_date: date | str, days: int, home: str | Path | None = None
) -> pd.DataFrame:
    """``datacenter_telemetry`` of a site for the ``days`` days before the target date."""
    from optimizers.inputs import read_telemetry

    start = pd.Timestamp(str(target_date)) - pd.Timedelta(days=days)
    return read_telemetry(site_id, start.date(), days, home, history_days=0)


def forecast_site(
    tele: pd.DataFrame,
    target_date: date | str,
    *,
    lat: float,
    lon: float,
    freq: str = "15min",
    series: tuple[str, ...] = ("it_kw", "pv_kw"),
    params: dict | None = None,
) -> dict[str, pd.DataFrame]:
    """Pure: day-ahead P10/P50/P90 of ``series`` for ``target_date`` from telemetry rows (ts,
    it_kw, pv_kw). Raises ``ValueError`` when the feed stopped: its last day must be the day
    before the target (a forecast from a stale feed is never issued silently)."""
    target = pd.Timestamp(str(target_date)).tz_localize(TZ)
    ts = pd.DatetimeIndex(tele["ts"])
    ts = ts.tz_localize(TZ) if ts.tz is None else ts.tz_convert(TZ)
    hist = tele.loc[ts < target].assign(ts=ts[ts < target])
    if hist.empty:
        raise ValueError("no telemetry before the target day")
    last = hist["ts"].max()
    if last < target - pd.Timedelta(days=1):
        raise ValueError(
            f"telemetry feed stopped at {last.isoformat()}: nothing on {target.date() - pd.Timedelta(days=1)}, "
            "the day before the target"
        )
    out = {}
    last_day = (target - pd.Timedelta(days=1)).tz_localize(None).date()
    for col in series:
        kind = SERIES[col][0]
        s = pd.Series(hist[col].to_numpy(dtype=float), index=pd.DatetimeIndex(hist["ts"]))
        days, y = fm.day_matrix(s, freq, last_day=last_day)
        c = None
        if kind == "pv":
            days_ext = days.append(pd.DatetimeIndex([target]))
            cu = fm.clearsky_unit(days_ext, freq, lat, lon)
            c = cu * fm.clearsky_envelope(y, cu[:-1])
        out[col] = fm.issue(days, y, kind, freq, c, params=params)
    return out


def issue_site(
    site_id: str,
    target_date: date | str,
    *,
    lat: float,
    lon: float,
    home: str | Path | None = None,
    history_days: int = 120,
) -> tuple[list[Path], pd.DataFrame]:
    """Read the site's telemetry, forecast the target day, write ``dispatch_forecasts``."""
    tele = read_history(site_id, target_date, history_days, home)
    if tele.empty:
        raise ValueError(f"{site_id}: no datacenter_telemetry in the lake before {target_date}")
    fc = forecast_site(tele, target_date, lat=lat, lon=lon)
    df = long_frame(
        site_id,
        target_date,
        fc,
        issued_at=pd.Timestamp.now(TZ).floor("s"),
        history_end=pd.DatetimeIndex(tele["ts"]).max(),
    )
    return write_forecasts(df, home), df
