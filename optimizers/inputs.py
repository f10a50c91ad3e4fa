"""Time-series inputs of a dispatch plan: prices, carbon intensity, IT load, PV, wind, PUE.

One name space over three modules kept apart (pvlib's ``iotools`` pattern: readers apart from
the physics):

* ``optimizers.series``: the time grid and resampling, no I/O (``step_index``, ``to_step``,
  ``tou_profile``, ``hourly_profile``, ``persistence``);
* ``optimizers.physics``: pvlib clear-sky PV (``pv_clearsky_kw``), ``pue_from_temperature``,
  ``diurnal_temperature_c``, no I/O;
* ``optimizers.readers``: the lake (DuckDB) and CSV/Parquet readers (``read_grid_signals``,
  ``read_telemetry``, ``read_series_file``, ``lake_series``), no physics.
"""

from __future__ import annotations

from optimizers.physics import diurnal_temperature_c, pue_from_temperature, pv_clearsky_kw
from optimizers.readers import lake_series, read_grid_signals, read_series_file, read_telemetry
from optimizers.series import (
    HORIZON_DAYS,
    STEP_ALIASES,
    _as_local,
    hourly_profile,
    hourly_table,
    hours_of_day,
    parse_horizon,
    parse_step,
    persistence,
    step_hours,
    step_index,
    to_step,
    tou_profile,
)

__all__ = [
    "HORIZON_DAYS",
    "STEP_ALIASES",
    "_as_local",
    "diurnal_temperature_c",
    "hourly_profile",
    "hourly_table",
    "hours_of_day",
    "lake_series",
    "parse_horizon",
    "parse_step",
    "persistence",
    "pue_from_temperature",
    "pv_clearsky_kw",
    "read_grid_signals",
    "read_series_file",
    "read_telemetry",
    "step_hours",
    "step_index",
    "to_step",
    "tou_profile",
]
