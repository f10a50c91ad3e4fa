"""Readers of the dispatch inputs (I/O only, no physics): lake tables through DuckDB
(``carbon.pipeline.lake`` layout: ``grid_signals``, ``datacenter_telemetry``; the dispatch's own
``dispatch_plans`` / ``dispatch_replans`` / ``dispatch_job_plans`` for the intraday re-plan) and the CSV/Parquet series
files a scenario names.  Every reader returns time stamps as local interval starts
(Asia/Shanghai); putting them on the plan's steps is ``optimizers.series.to_step``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from carbon.config import TZ
from optimizers.series import _as_local


def _daily_rows(
    dataset: str, column: str, value: str, dates: list[str], home: str | Path | None
) -> pd.DataFrame:
    """The rows of a date-partitioned lake dataset with ``column = value`` on ``dates``
    (``YYYY-MM-DD``), ordered by ``ts``, ``ts`` in Asia/Shanghai; empty when there are none."""
    df = _lake_query(dataset, f"{column} = ? and date in (select unnest(?))", [value, dates], home)
    if not df.empty:
        df["ts"] = _as_local(df["ts"])
    return df


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
    return _daily_rows(
        "grid_signals", "province_code", province_code, _date_strings(start, days), home
    )


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
    return _daily_rows("datacenter_telemetry", "site_id", site_id, dates, home)


def read_telemetry_until(
    site_id: str, plan_date: date | str, now: pd.Timestamp, home: str | Path | None = None
) -> pd.DataFrame:
    """The ``datacenter_telemetry`` rows of one site measured by ``now`` (interval start
    ``ts <= now``) on the plan day and the day before (so a feed that stopped yesterday still
    shows its last row, and is judged stale rather than missing)."""
    df = read_telemetry(site_id, plan_date, 1, home, history_days=1)
    if df.empty:
        return df
    return df[df["ts"] <= now].reset_index(drop=True)


def read_plan_rows(
    dataset: str, plan_date: date | str, site_id: str, home: str | Path | None = None
) -> pd.DataFrame:
    """All rows of a dispatch dataset (``dispatch_plans``, ``dispatch_replans``,
    ``dispatch_job_plans``) for one plan date and site, with the partition value ``plan``."""
    import duckdb

    from carbon.pipeline.lake import glob_pattern, list_partitions

    if not list_partitions(dataset, home):
        return pd.DataFrame()
    con = duckdb.connect()
    try:
        con.execute(f"set TimeZone = '{TZ}'")
        df = con.execute(
            "select * from read_parquet(?, hive_partitioning=true, hive_types_autocast=false, "
            "union_by_name=true) where plan_date = ?::date and site_id = ? order by plan, ts",
            [glob_pattern(dataset, home), str(plan_date), site_id],
        ).df()
    finally:
        con.close()
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
