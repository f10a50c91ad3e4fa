"""Dispatch scenarios: a YAML file a dispatcher edits → a validated ``Scenario`` → ``Problem``.

``load_scenario(path)`` parses and validates the YAML (every error names the key path and the
problem, e.g. ``sites[1].battery.power_kw: must be > 0, got -5``). ``build_problem(scenario,
plan_date, horizon, home)`` reads the time series (lake, files or pvlib; see ``optimizers.inputs``)
and returns the optimiser's ``Problem``. The file format is documented in docs/dispatch.md and in
``scenarios/yancheng_dc.yaml``.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from carbon.config import TZ
from carbon.domain.codes import is_valid_uscc
from optimizers import inputs

if TYPE_CHECKING:
    from optimizers.problem import DemandResponseEvent

DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "yancheng_dc.yaml"


class ScenarioError(ValueError):
    """A scenario file that cannot be used. ``key`` is the path of the offending key."""

    def __init__(self, key: str, problem: str, source: str | Path | None = None):
        self.key = key
        self.problem = problem
        self.source = str(source) if source else None
        where = f"{self.source}: " if self.source else ""
        super().__init__(f"{where}{key}: {problem}")


# ----------------------------------------------------------------------------- validation
_TOP_KEYS = {
    "name",
    "description",
    "date",
    "horizon",
    "step",
    "carbon_price_cny_per_t",
    "options",
    "tariffs",
    "sites",
    "jobs",
    "links",
    "forecast",
}
FORECAST_MODES = ("perfect", "model", "risk_aware")
_SITE_KEYS = {
    "site_id",
    "uscc",
    "name",
    "region_code",
    "lat",
    "lon",
    "altitude_m",
    "tariff",
    "grid",
    "it_load",
    "pue",
    "pv",
    "wind",
    "battery",
    "green_share_target",
    "pue_target",
    "backup_gen_kw",
    "backup",
    "green_purchase_kwh_per_day",
    "jobs",
    "demand_response",
    "kw_per_gpu",
}
_GRID_KEYS = {
    "import_max_kw",
    "export_max_kw",
    "contract_kw",
    "demand_charge_cny_per_kw_month",
    "import_limits",
}
_IMPORT_LIMIT_KEYS = {"start", "end", "import_max_kw", "reason"}
_BACKUP_KEYS = {
    "kw",
    "fuel_price_cny_per_t",
    "fuel_g_per_kwh",
    "om_cny_per_kwh",
    "min_load",
    "run",
    "factor_version",
    "startup_cny",
    "min_up",
}
# Defaults of a backup generator given only by its size (``backup_gen_kw: N`` or
# ``backup: {kw: N}``); illustrative, not official: set them from the site's fuel contract and
# the genset's datasheet (docs/dispatch.md).
BACKUP_DEFAULTS = {
    "fuel_price_cny_per_t": 8000.0,  # 0# diesel, CNY/t (NDRC publishes its caps per tonne)
    "fuel_g_per_kwh": 220.0,  # specific fuel consumption at rated load, g/kWh (ISO 3046)
    "om_cny_per_kwh": 0.0,
    "min_load": 0.3,  # fraction of rated kW a running diesel set must carry
    "run": "grid_limited",
}
DIESEL_FACTOR_ID = "fuel_diesel"
_BATTERY_KEYS = {
    "energy_kwh",
    "power_kw",
    "eta_charge",
    "eta_discharge",
    "soc_init",
    "soc_min",
    "soc_max",
    "degradation_cost_cny_per_kwh",
    "max_cycles_per_day",
}
_DR_KEYS = {
    "event_id",
    "start",
    "end",
    "cap_kw",
    "reduction_kw",
    "baseline_kw",
    "compensation_cny_per_kwh",
    "reason",
}
_JOB_KEYS = {
    "job_id",
    "release",
    "deadline",
    "energy_kwh",
    "max_kw",
    "min_kw_when_running",
    "preemptible",
    "min_run",
    "sites",
    "home_site",
    "data_gb",
    "migration_cost_cny",
}
# moving shared jobs between sites (docs/dispatch.md "Moving work between sites")
_MOVE_JOB_KEYS = ("home_site", "data_gb", "migration_cost_cny")
_LINK_KEYS = {"from", "to", "gbit_s", "budget_gb_per_day"}
_TARIFF_KEYS = {
    "province_code",
    "source",
    "tou",
    "carbon_intensity_kg_per_kwh",
    "export_price_cny_per_kwh",
    "file",
}
_OPTION_KEYS = {
    "milp",
    "no_simultaneous_charge",
    "job_integrality",
    "emission_cap_t",
    "rolling_window",
}


def _unknown(d: dict, allowed: set[str], key: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise ScenarioError(
            f"{key}.{extra[0]}" if key else extra[0],
            f"unknown key (allowed: {', '.join(sorted(allowed))})",
        )


def _mapping(v: Any, key: str) -> dict:
    if not isinstance(v, dict):
        raise ScenarioError(key, f"must be a mapping, got {type(v).__name__}")
    return v


def _num(
    d: dict,
    name: str,
    key: str,
    *,
    default: float | None = None,
    required: bool = False,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> float | None:
    k = f"{key}.{name}" if key else name
    if name not in d or d[name] is None:
        if required:
            raise ScenarioError(k, "is required")
        return default
    v = d[name]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ScenarioError(k, f"must be a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v):
        raise ScenarioError(k, f"must be finite, got {v!r}")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ScenarioError(k, f"must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
    if hi is not None and v > hi:
        raise ScenarioError(k, f"must be <= {hi:g}, got {v:g}")
    return v


def _profile(v: Any, key: str, *, lo: float = 0.0) -> list[float]:
    if not isinstance(v, list) or len(v) != 24:
        raise ScenarioError(key, "must be a list of 24 hourly values (00:00 … 23:00)")
    out = []
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, int | float) or x < lo:
            raise ScenarioError(f"{key}[{i}]", f"must be a number >= {lo:g}, got {x!r}")
        out.append(float(x))
    return out


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(min|m|h)\s*$")


def parse_duration_hours(v: Any, key: str) -> float:
    """ "90min", "2h", "0.5h" or a number of hours."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    m = _DURATION.match(str(v))
    if not m:
        raise ScenarioError(key, f"duration {v!r} not understood: use e.g. 30min or 2h")
    x = float(m.group(1))
    return x / 60.0 if m.group(2) in ("min", "m") else x


_CLOCK = re.compile(r"^\s*(\d{1,4}):(\d{2})\s*$")


def _check_time(v: Any, key: str) -> None:
    if isinstance(v, int) and not isinstance(v, bool):
        raise ScenarioError(key, "write times as quoted 'HH:MM' or ISO 'YYYY-MM-DDTHH:MM'")
    text = str(v)
    if _CLOCK.match(text):
        return
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(key, f"time {v!r} not understood: use 'HH:MM' or ISO") from exc


def _clock_hours(v: Any) -> float | None:
    m = _CLOCK.match(str(v))
    return int(m.group(1)) + int(m.group(2)) / 60.0 if m else None


def _iso_time(v: Any) -> pd.Timestamp | None:
    if _CLOCK.match(str(v)):
        return None
    ts = pd.Timestamp(str(v))
    return ts.tz_localize(TZ) if ts.tz is None else ts.tz_convert(TZ)


def _check_window(j: dict, key: str) -> None:
    """A job's window checks that need no plan horizon: deadline after release, and a minimum
    run no longer than the window (both times clock times, or both ISO). The checks against the
    horizon and its steps are made when the jobs are built (``make_jobs``)."""
    jid = j["job_id"]
    r, d = _clock_hours(j["release"]), _clock_hours(j["deadline"])
    if r is None or d is None:
        ri, di = _iso_time(j["release"]), _iso_time(j["deadline"])
        if ri is None or di is None:
            return  # one clock, one ISO time: checked in make_jobs on the plan steps
        hours = (di - ri) / pd.Timedelta(hours=1)
    else:
        hours = d - r
    if hours <= 0:
        raise ScenarioError(
            f"{key}.deadline",
            f"job {jid}: deadline {j['deadline']} is at or before its release {j['release']} "
            "(a window past midnight is written e.g. release '22:00', deadline '30:00')",
        )
    if "min_run" in j:
        mr = parse_duration_hours(j["min_run"], f"{key}.min_run")
        if mr > hours + 1e-9:
            raise ScenarioError(
                f"{key}.min_run",
                f"job {jid}: min_run {j['min_run']} is longer than its window "
                f"{j['release']} – {j['deadline']} ({hours:g} h)",
            )


def _validate_battery(b: Any, key: str) -> None:
    b = _mapping(b, key)
    _unknown(b, _BATTERY_KEYS, key)
    _num(b, "energy_kwh", key, required=True, lo=0, lo_open=True)
    _num(b, "power_kw", key, required=True, lo=0, lo_open=True)
    for eta in ("eta_charge", "eta_discharge"):
        _num(b, eta, key, lo=0, hi=1, lo_open=True)
    soc_min = _num(b, "soc_min", key, default=0.1, lo=0, hi=1)
    soc_max = _num(b, "soc_max", key, default=0.95, lo=0, hi=1)
    if b.get("soc_init") == "free":  # cyclic: the optimiser chooses the start, end = start
        soc_init = None
    elif isinstance(b.get("soc_init"), str):
        raise ScenarioError(
            f"{key}.soc_init", f"must be a fraction of energy_kwh or 'free', got {b['soc_init']!r}"
        )
    else:
        soc_init = _num(b, "soc_init", key, default=0.5, lo=0, hi=1)
    _num(b, "degradation_cost_cny_per_kwh", key, lo=0)
    _num(b, "max_cycles_per_day", key, lo=0, lo_open=True)
    if soc_min >= soc_max:
        raise ScenarioError(f"{key}.soc_min", f"must be < soc_max ({soc_max:g}), got {soc_min:g}")
    if soc_init is not None and not soc_min <= soc_init <= soc_max:
        raise ScenarioError(
            f"{key}.soc_init", f"must lie in [soc_min, soc_max] = [{soc_min:g}, {soc_max:g}]"
        )


def _validate_job(j: Any, key: str, site_ids: set[str] | None) -> None:
    j = _mapping(j, key)
    _unknown(j, _JOB_KEYS, key)
    if not isinstance(j.get("job_id"), str) or not j["job_id"]:
        raise ScenarioError(f"{key}.job_id", "is required (a non-empty string)")
    for t in ("release", "deadline"):
        if t not in j:
            raise ScenarioError(f"{key}.{t}", "is required")
        _check_time(j[t], f"{key}.{t}")
    _num(j, "energy_kwh", key, required=True, lo=0, lo_open=True)
    max_kw = _num(j, "max_kw", key, required=True, lo=0, lo_open=True)
    mn = _num(j, "min_kw_when_running", key, default=0.0, lo=0)
    if mn > max_kw:
        raise ScenarioError(f"{key}.min_kw_when_running", f"must be <= max_kw ({max_kw:g})")
    if "preemptible" in j and not isinstance(j["preemptible"], bool):
        raise ScenarioError(f"{key}.preemptible", "must be true or false")
    if "min_run" in j and parse_duration_hours(j["min_run"], f"{key}.min_run") <= 0:
        raise ScenarioError(f"{key}.min_run", "must be > 0")
    _check_window(j, key)
    if "sites" in j:
        if site_ids is None:
            raise ScenarioError(f"{key}.sites", "only shared (top-level) jobs name sites")
        sites = j["sites"]
        if not isinstance(sites, list) or not sites:
            raise ScenarioError(f"{key}.sites", "must be a non-empty list of site_id")
        for i, s in enumerate(sites):
            if s not in site_ids:
                raise ScenarioError(f"{key}.sites[{i}]", f"unknown site_id {s!r}")
    for k in _MOVE_JOB_KEYS:
        if k in j and site_ids is None:
            raise ScenarioError(f"{key}.{k}", "only shared (top-level) jobs can move between sites")
    _num(j, "data_gb", key, default=0.0, lo=0)
    _num(j, "migration_cost_cny", key, default=0.0, lo=0)


def _entries(items: list, key: str, allowed: set[str]) -> Iterator[tuple[str, dict]]:
    """``(f"{key}[i]", mapping)`` for each entry of the list ``items``: a mapping of only ``allowed``
    keys, else the ``ScenarioError`` naming ``key[i]``."""
    for i, item in enumerate(items):
        k = f"{key}[{i}]"
        item = _mapping(item, k)
        _unknown(item, allowed, k)
        yield k, item


def _validate_links(links: Any, site_ids: list[str]) -> dict[tuple[str, str], dict]:
    """``links:`` (top level): ``{from, to, gbit_s, budget_gb_per_day}`` per direction."""
    if links is None:
        return {}
    if not isinstance(links, list):
        raise ScenarioError("links", "must be a list of {from, to, gbit_s, budget_gb_per_day}")
    out: dict[tuple[str, str], dict] = {}
    for key, lk in _entries(links, "links", _LINK_KEYS):
        for end in ("from", "to"):
            if end not in lk:
                raise ScenarioError(f"{key}.{end}", "is required (a site_id)")
            if lk[end] not in site_ids:
                raise ScenarioError(f"{key}.{end}", f"unknown site_id {lk[end]!r}")
        if lk["from"] == lk["to"]:
            raise ScenarioError(f"{key}.to", f"a link joins two sites; from = to = {lk['to']!r}")
        _num(lk, "gbit_s", key, required=True, lo=0, lo_open=True)
        _num(lk, "budget_gb_per_day", key, required=True, lo=0)
        pair = (lk["from"], lk["to"])
        if pair in out:
            raise ScenarioError(key, f"duplicate link {pair[0]} -> {pair[1]}")
        out[pair] = lk
    return out


def _validate_job_moves(j: dict, key: str, site_ids: list[str], links: dict) -> None:
    """A shared job's home site is one of its sites; with data to move, a link from home to
    each of its other sites (else it cannot move there: say so)."""
    sites = list(j.get("sites") or site_ids)
    home = j.get("home_site", sites[0])
    if home not in sites:
        raise ScenarioError(f"{key}.home_site", f"{home!r} is not one of the job's sites {sites}")
    if float(j.get("data_gb", 0.0) or 0.0) > 0:
        for s in sites:
            if s != home and (home, s) not in links:
                raise ScenarioError(
                    f"{key}.data_gb",
                    f"job {j['job_id']} has {j['data_gb']:g} GB at {home} but there is no link "
                    f"{home} -> {s} in links: it cannot move to {s} (add the link, or drop {s} "
                    "from its sites)",
                )


def _validate_series_spec(v: dict, key: str) -> None:
    if "file" in v:
        if not isinstance(v["file"], str):
            raise ScenarioError(f"{key}.file", "must be a path (relative to the scenario file)")
        if "column" in v and not isinstance(v["column"], str):
            raise ScenarioError(f"{key}.column", "must be a column name")


def _validate_tariff(t: Any, key: str) -> None:
    t = _mapping(t, key)
    _unknown(t, _TARIFF_KEYS, key)
    pc = t.get("province_code")
    if not (isinstance(pc, str) and re.fullmatch(r"\d{2}0000", pc)):
        raise ScenarioError(f"{key}.province_code", "must be a quoted GB/T 2260 province code")
    source = t.get("source", "auto")
    if source not in ("auto", "lake", "tou", "file"):
        raise ScenarioError(f"{key}.source", f"must be auto, lake, tou or file, got {source!r}")
    if source in ("auto", "tou") and "tou" not in t:
        raise ScenarioError(f"{key}.tou", f"is required with source {source!r}")
    if source == "file":
        if "file" not in t:
            raise ScenarioError(f"{key}.file", "is required with source 'file'")
        _validate_series_spec(t, key)
    if "tou" in t:
        tou = _mapping(t["tou"], f"{key}.tou")
        for name, p in tou.items():
            pk = f"{key}.tou.{name}"
            p = _mapping(p, pk)
            _unknown(p, {"hours", "price"}, pk)
            _num(p, "price", pk, required=True, lo=0)
            hrs = p.get("hours")
            if not isinstance(hrs, list) or not hrs:
                raise ScenarioError(f"{pk}.hours", "must be a list of [start, end) clock hours")
            for i, r in enumerate(hrs):
                if not (
                    isinstance(r, list)
                    and len(r) == 2
                    and all(isinstance(x, int) and not isinstance(x, bool) for x in r)
                    and 0 <= r[0] < r[1] <= 24
                ):
                    raise ScenarioError(
                        f"{pk}.hours[{i}]", f"must be [start, end), 0–24, got {r!r}"
                    )
        try:
            inputs.hourly_table(tou, "price")
        except ValueError as exc:
            raise ScenarioError(f"{key}.tou", str(exc)) from exc
    ci = t.get("carbon_intensity_kg_per_kwh")
    if source in ("auto", "tou") and ci is None:
        raise ScenarioError(f"{key}.carbon_intensity_kg_per_kwh", "is required")
    if ci is not None:
        if isinstance(ci, list):
            _profile(ci, f"{key}.carbon_intensity_kg_per_kwh")
        else:
            _num(t, "carbon_intensity_kg_per_kwh", key, lo=0, hi=2.0)
    _num(t, "export_price_cny_per_kwh", key, lo=0)


def _validate_backup(s: dict, key: str) -> None:
    _num(s, "backup_gen_kw", key, lo=0)
    if "backup" not in s:
        return
    bk = f"{key}.backup"
    if "backup_gen_kw" in s:
        raise ScenarioError(bk, "give backup_gen_kw (size only, defaults) or backup, not both")
    b = _mapping(s["backup"], bk)
    _unknown(b, _BACKUP_KEYS, bk)
    _num(b, "kw", bk, required=True, lo=0)
    _num(b, "fuel_price_cny_per_t", bk, lo=0)
    _num(b, "fuel_g_per_kwh", bk, lo=0, lo_open=True, hi=1000)
    _num(b, "om_cny_per_kwh", bk, lo=0)
    _num(b, "min_load", bk, lo=0, hi=1)
    _num(b, "startup_cny", bk, lo=0)
    if "min_up" in b and parse_duration_hours(b["min_up"], f"{bk}.min_up") <= 0:
        raise ScenarioError(f"{bk}.min_up", "must be > 0")
    if b.get("run", "grid_limited") not in ("grid_limited", "economic"):
        raise ScenarioError(f"{bk}.run", f"must be grid_limited or economic, got {b['run']!r}")
    if "factor_version" in b and not isinstance(b["factor_version"], str):
        raise ScenarioError(f"{bk}.factor_version", "must be a factor_version string")


def backup_spec(site: dict) -> dict | None:
    """The site's backup generator with defaults filled in, or None."""
    if "backup" in site:
        spec = dict(site["backup"])
    elif site.get("backup_gen_kw"):
        spec = {"kw": site["backup_gen_kw"]}
    else:
        return None
    if not spec.get("kw"):
        return None
    return {**BACKUP_DEFAULTS, **spec}


def diesel_factor(year: int, version: str | None = None):
    """The diesel combustion factor (tCO2/t) of the factor library for ``year`` (pinned to
    ``version`` when given): ``carbon.domain.factors.fuel_factor``, the library's selection rule."""
    from carbon.domain.factors import MissingFactorError, fuel_factor

    try:
        return fuel_factor("diesel", year, version=version)
    except MissingFactorError as exc:
        raise ScenarioError("backup.factor_version", str(exc)) from exc


def import_limit_kw(spec: dict, index: pd.DatetimeIndex, days: int) -> np.ndarray:
    """Grid import limit (kW) per step: ``import_max_kw`` lowered in the ``import_limits``
    windows (grid outage: ``import_max_kw: 0``). Clock windows repeat every plan day (``HH`` may
    pass 24), ISO windows are one-off; a step is limited when it overlaps the window."""
    g = spec["grid"]
    out = np.full(len(index), float(g["import_max_kw"]))
    for lim in g.get("import_limits", []) or []:
        for _day, hit in window_steps(lim, index, days):
            out[hit] = np.minimum(out[hit], float(lim["import_max_kw"]))
    return out


def window_steps(
    spec: dict, index: pd.DatetimeIndex, days: int
) -> Iterator[tuple[int, np.ndarray]]:
    """(day, bool mask of the steps overlapping the window) for a ``{start, end}`` window of a
    scenario: clock windows repeat every plan day (``HH`` may pass 24), ISO windows are one-off
    (day 0). Import limits and demand-response events share this rule."""
    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(index.freq)
    repeat = _is_clock(spec["start"]) and _is_clock(spec["end"])
    for day in range(days if repeat else 1):
        a = _when(spec["start"], index, day)
        b = _when(spec["end"], index, day)
        yield day, (index < b) & (index + step > a)


def _validate_demand_response(events: Any, key: str) -> None:
    if not isinstance(events, list):
        raise ScenarioError(key, "must be a list of {event_id, start, end, cap_kw | reduction_kw}")
    seen: set[str] = set()
    for k, ev in _entries(events, key, _DR_KEYS):
        eid = ev.get("event_id")
        if not isinstance(eid, str) or not eid:
            raise ScenarioError(f"{k}.event_id", "is required (a non-empty string)")
        if eid in seen:
            raise ScenarioError(f"{k}.event_id", f"duplicate event id {eid!r}")
        seen.add(eid)
        for t in ("start", "end"):
            if t not in ev:
                raise ScenarioError(f"{k}.{t}", "is required")
            _check_time(ev[t], f"{k}.{t}")
        a, b = _clock_hours(ev["start"]), _clock_hours(ev["end"])
        if a is not None and b is not None and b <= a:
            raise ScenarioError(f"{k}.end", f"must be after start {ev['start']}")
        if ("cap_kw" in ev) == ("reduction_kw" in ev):
            raise ScenarioError(k, "give exactly one of cap_kw (有序用电 cap) or reduction_kw")
        _num(ev, "cap_kw", k, lo=0)
        _num(ev, "reduction_kw", k, lo=0, lo_open=True)
        _num(ev, "baseline_kw", k, lo=0)
        _num(ev, "compensation_cny_per_kwh", k, lo=0)


def demand_response_events(
    spec: dict, index: pd.DatetimeIndex, days: int, fixed_kw: np.ndarray
) -> list[DemandResponseEvent]:
    """The site's ``demand_response`` events as steps of the plan (clock windows repeat every
    plan day, as one event per day ``<id>@<date>``; ISO windows are one-off, and an event outside
    the horizon is left out). The baseline is ``baseline_kw`` when given, else the fixed facility
    load PUE·IT base of each step (docs/dispatch.md)."""
    from optimizers.problem import DemandResponseEvent

    out: list[DemandResponseEvent] = []
    for ev in spec.get("demand_response", []) or []:
        repeat = _is_clock(ev["start"]) and _is_clock(ev["end"])
        for day, mask in window_steps(ev, index, days):
            hit = np.flatnonzero(mask)
            if not len(hit):
                continue
            lo, hi = int(hit[0]), int(hit[-1]) + 1
            base = (
                np.full(hi - lo, float(ev["baseline_kw"]))
                if ev.get("baseline_kw") is not None
                else np.asarray(fixed_kw[lo:hi], dtype=float)
            )
            if "cap_kw" in ev:
                cap, kind = np.full(hi - lo, float(ev["cap_kw"])), "cap"
            else:
                cap, kind = np.clip(base - float(ev["reduction_kw"]), 0.0, None), "reduction"
            eid = (
                ev["event_id"]
                if not repeat or day == 0
                else (f"{ev['event_id']}@{index[0].date() + pd.Timedelta(days=day)}")
            )
            out.append(
                DemandResponseEvent(
                    event_id=eid,
                    start=lo,
                    end=hi,
                    cap_kw=cap,
                    baseline_kw=base,
                    compensation_cny_per_kwh=float(ev.get("compensation_cny_per_kwh", 0.0) or 0.0),
                    kind=kind,
                    reason=str(ev.get("reason", "") or ""),
                )
            )
    return out


def _when(v: Any, index: pd.DatetimeIndex, day: int) -> pd.Timestamp:
    m = _CLOCK.match(str(v))
    if m:
        return index[0] + pd.Timedelta(days=day, hours=int(m.group(1)), minutes=int(m.group(2)))
    ts = pd.Timestamp(str(v))
    return ts.tz_localize(TZ) if ts.tz is None else ts.tz_convert(TZ)


def _validate_site(s: Any, key: str, tariffs: dict) -> None:
    s = _mapping(s, key)
    _unknown(s, _SITE_KEYS, key)
    sid = s.get("site_id")
    if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", sid or ""):
        raise ScenarioError(f"{key}.site_id", "is required: letters, digits, '-', '_' or '.'")
    uscc = s.get("uscc")
    if not isinstance(uscc, str) or not is_valid_uscc(uscc):
        raise ScenarioError(f"{key}.uscc", f"not a valid USCC (GB 32100 check digit): {uscc!r}")
    _num(s, "lat", key, required=True, lo=-90, hi=90)
    _num(s, "lon", key, required=True, lo=-180, hi=180)
    if s.get("tariff") not in tariffs:
        raise ScenarioError(
            f"{key}.tariff", f"must name one of tariffs: {sorted(tariffs)}, got {s.get('tariff')!r}"
        )
    g = _mapping(s.get("grid", {}), f"{key}.grid")
    _unknown(g, _GRID_KEYS, f"{key}.grid")
    _num(g, "import_max_kw", f"{key}.grid", required=True, lo=0)
    _num(g, "export_max_kw", f"{key}.grid", lo=0)
    _num(g, "contract_kw", f"{key}.grid", lo=0, lo_open=True)
    _num(g, "demand_charge_cny_per_kw_month", f"{key}.grid", lo=0)
    limits = g.get("import_limits", [])
    if not isinstance(limits, list):
        raise ScenarioError(
            f"{key}.grid.import_limits", "must be a list of {start, end, import_max_kw}"
        )
    for lk, lim in _entries(limits, f"{key}.grid.import_limits", _IMPORT_LIMIT_KEYS):
        for t in ("start", "end"):
            if t not in lim:
                raise ScenarioError(f"{lk}.{t}", "is required")
            _check_time(lim[t], f"{lk}.{t}")
        _num(lim, "import_max_kw", lk, required=True, lo=0)
        a, b = _clock_hours(lim["start"]), _clock_hours(lim["end"])
        if a is not None and b is not None and b <= a:
            raise ScenarioError(f"{lk}.end", f"must be after start {lim['start']}")
    _validate_backup(s, key)
    _validate_demand_response(s.get("demand_response", []), f"{key}.demand_response")

    it = _mapping(s.get("it_load"), f"{key}.it_load")
    _unknown(it, {"source", "base_kw", "profile", "file", "column"}, f"{key}.it_load")
    src = it.get("source", "profile")
    if src not in ("profile", "lake", "auto", "file"):
        raise ScenarioError(f"{key}.it_load.source", "must be profile, lake, auto or file")
    if src in ("profile", "auto"):
        _num(it, "base_kw", f"{key}.it_load", required=True, lo=0)
        if "profile" in it:
            _profile(it["profile"], f"{key}.it_load.profile")
    if src == "file":
        if "file" not in it:
            raise ScenarioError(f"{key}.it_load.file", "is required with source 'file'")
        _validate_series_spec(it, f"{key}.it_load")

    pue = s.get("pue", 1.3)
    pk = f"{key}.pue"
    if isinstance(pue, dict):
        _unknown(pue, {"profile", "weather"}, pk)
        if "profile" in pue:
            _profile(pue["profile"], f"{pk}.profile", lo=1.0)
        elif "weather" in pue:
            w = _mapping(pue["weather"], f"{pk}.weather")
            wk = f"{pk}.weather"
            _unknown(w, {"base", "ref_c", "per_deg_c", "temp_mean_c", "temp_amp_c"}, wk)
            _num(w, "base", wk, required=True, lo=1.0)
            _num(w, "per_deg_c", wk, required=True, lo=0)
            _num(w, "ref_c", wk, required=True, lo=-50, hi=50)
            _num(w, "temp_mean_c", wk, required=True, lo=-50, hi=50)
            _num(w, "temp_amp_c", wk, default=5.0, lo=0, hi=30)
        else:
            raise ScenarioError(pk, "give a number, {profile: [24]} or {weather: {...}}")
    else:
        _num(s, "pue", key, lo=1.0, hi=3.0)

    if "pv" in s:
        pv = _mapping(s["pv"], f"{key}.pv")
        _unknown(
            pv, {"kwp", "tilt", "azimuth", "system_loss", "forecast", "file", "column"}, f"{key}.pv"
        )
        _num(pv, "kwp", f"{key}.pv", required=True, lo=0)
        _num(pv, "tilt", f"{key}.pv", lo=0, hi=90)
        _num(pv, "azimuth", f"{key}.pv", lo=0, hi=360)
        _num(pv, "system_loss", f"{key}.pv", lo=0, hi=0.9)
        if pv.get("forecast", "pvlib") not in ("pvlib", "lake", "file"):
            raise ScenarioError(f"{key}.pv.forecast", "must be pvlib, lake or file")
        if pv.get("forecast") == "file":
            if "file" not in pv:
                raise ScenarioError(f"{key}.pv.file", "is required with forecast 'file'")
            _validate_series_spec(pv, f"{key}.pv")
    if "wind" in s:
        w = _mapping(s["wind"], f"{key}.wind")
        _unknown(w, {"kw", "capacity_factor", "profile", "source", "file", "column"}, f"{key}.wind")
        _num(w, "kw", f"{key}.wind", required=True, lo=0)
        _num(w, "capacity_factor", f"{key}.wind", lo=0, hi=1)
        if "profile" in w:
            prof = _profile(w["profile"], f"{key}.wind.profile")
            if max(prof) > 1:
                raise ScenarioError(f"{key}.wind.profile", "capacity factors must be <= 1")
        if w.get("source") == "file":
            _validate_series_spec(w, f"{key}.wind")
    if s.get("battery") is not None:
        _validate_battery(s["battery"], f"{key}.battery")
    _num(s, "green_share_target", key, lo=0, hi=1)
    _num(s, "pue_target", key, lo=1.0, hi=3.0)
    _num(s, "green_purchase_kwh_per_day", key, lo=0)
    _num(s, "kw_per_gpu", key, lo=0, lo_open=True)
    jobs = s.get("jobs", [])
    if not isinstance(jobs, list):
        raise ScenarioError(f"{key}.jobs", "must be a list")
    for i, j in enumerate(jobs):
        _validate_job(j, f"{key}.jobs[{i}]", None)


def validate(raw: Any) -> dict:
    """Check a parsed scenario; raise ``ScenarioError`` naming the first bad key."""
    raw = _mapping(raw, "(top level)")
    _unknown(raw, _TOP_KEYS, "")
    if not isinstance(raw.get("name"), str):
        raise ScenarioError("name", "is required (a string)")
    if "date" in raw:
        try:
            date.fromisoformat(str(raw["date"]))
        except ValueError as exc:
            raise ScenarioError("date", f"must be YYYY-MM-DD, got {raw['date']!r}") from exc
    try:
        inputs.parse_horizon(raw.get("horizon", "1d"))
    except ValueError as exc:
        raise ScenarioError("horizon", str(exc)) from exc
    try:
        inputs.parse_step(raw.get("step", "15min"))
    except ValueError as exc:
        raise ScenarioError("step", str(exc)) from exc
    _num(raw, "carbon_price_cny_per_t", "", lo=0)
    if raw.get("forecast", "perfect") not in FORECAST_MODES:
        raise ScenarioError(
            "forecast", f"must be perfect, model or risk_aware, got {raw.get('forecast')!r}"
        )
    opts = _mapping(raw.get("options", {}) or {}, "options")
    _unknown(opts, _OPTION_KEYS, "options")
    for b in ("milp", "job_integrality"):
        if b in opts and not isinstance(opts[b], bool):
            raise ScenarioError(f"options.{b}", "must be true or false")
    if opts.get("no_simultaneous_charge", "auto") not in ("auto", True, False):
        raise ScenarioError("options.no_simultaneous_charge", "must be auto, true or false")
    _num(opts, "emission_cap_t", "options", lo=0)
    if opts.get("rolling_window") is not None:
        try:
            inputs.parse_horizon(opts["rolling_window"])
        except ValueError as exc:
            raise ScenarioError("options.rolling_window", str(exc)) from exc
    tariffs = _mapping(raw.get("tariffs"), "tariffs")
    if not tariffs:
        raise ScenarioError("tariffs", "needs at least one tariff")
    for name, t in tariffs.items():
        _validate_tariff(t, f"tariffs.{name}")
    sites = raw.get("sites")
    if not isinstance(sites, list) or not sites:
        raise ScenarioError("sites", "must be a non-empty list")
    seen: set[str] = set()
    for i, s in enumerate(sites):
        _validate_site(s, f"sites[{i}]", tariffs)
        if s["site_id"] in seen:
            raise ScenarioError(f"sites[{i}].site_id", f"duplicate site_id {s['site_id']!r}")
        seen.add(s["site_id"])
    jobs = raw.get("jobs", []) or []
    if not isinstance(jobs, list):
        raise ScenarioError("jobs", "must be a list")
    job_ids: set[str] = set()
    links = _validate_links(raw.get("links"), [s["site_id"] for s in sites])
    for i, j in enumerate(jobs):
        _validate_job(j, f"jobs[{i}]", seen)
        _validate_job_moves(j, f"jobs[{i}]", [s["site_id"] for s in sites], links)
    if links and opts.get("rolling_window") is not None:
        raise ScenarioError(
            "links", "moving shared jobs between sites is not supported with options.rolling_window"
        )
    for i, s in enumerate(sites):
        for k, j in enumerate(s.get("jobs", []) or []):
            if j["job_id"] in job_ids:
                raise ScenarioError(f"sites[{i}].jobs[{k}].job_id", f"duplicate {j['job_id']!r}")
            job_ids.add(j["job_id"])
    for i, j in enumerate(jobs):
        if j["job_id"] in job_ids:
            raise ScenarioError(f"jobs[{i}].job_id", f"duplicate {j['job_id']!r}")
        job_ids.add(j["job_id"])
    return raw


@dataclass
class Scenario:
    """A validated scenario file."""

    raw: dict
    path: Path | None = None
    # job_id -> key path of the job in the file as written (kept by ``subset``)
    job_keys: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.job_keys:
            for i, s in enumerate(self.raw.get("sites", []) or []):
                for k, j in enumerate(s.get("jobs", []) or []):
                    self.job_keys[j["job_id"]] = f"sites[{i}].jobs[{k}]"
            for k, j in enumerate(self.raw.get("jobs", []) or []):
                self.job_keys[j["job_id"]] = f"jobs[{k}]"

    def job_key(self, spec: dict) -> str:
        return self.job_keys.get(spec["job_id"], f"jobs.{spec['job_id']}")

    @property
    def name(self) -> str:
        return self.raw["name"]

    @property
    def site_ids(self) -> list[str]:
        return [s["site_id"] for s in self.raw["sites"]]

    def site(self, site_id: str) -> dict:
        for s in self.raw["sites"]:
            if s["site_id"] == site_id:
                return s
        raise KeyError(site_id)

    @property
    def default_date(self) -> date | None:
        return date.fromisoformat(str(self.raw["date"])) if "date" in self.raw else None

    @property
    def horizon_days(self) -> int:
        return inputs.parse_horizon(self.raw.get("horizon", "1d"))

    @property
    def freq(self) -> str:
        return inputs.parse_step(self.raw.get("step", "15min"))

    @property
    def carbon_price(self) -> float:
        return float(self.raw.get("carbon_price_cny_per_t", 0.0) or 0.0)

    def resolve(self, rel: str) -> Path:
        p = Path(rel)
        return p if p.is_absolute() or self.path is None else self.path.parent / p

    def site_groups(self) -> list[list[str]]:
        """Sites that must be solved together: linked by shared jobs (connected components)."""
        parent = {s: s for s in self.site_ids}

        def find(x: str) -> str:
            while parent[x] != x:
                x = parent[x]
            return x

        for j in self.raw.get("jobs", []) or []:
            members = j.get("sites") or self.site_ids
            for other in members[1:]:
                parent[find(other)] = find(members[0])
        groups: dict[str, list[str]] = {}
        for s in self.site_ids:
            groups.setdefault(find(s), []).append(s)
        return list(groups.values())

    def subset(self, site_ids: list[str]) -> Scenario:
        """The scenario restricted to some sites and the shared jobs that only touch them."""
        keep = set(site_ids)
        raw = dict(self.raw)
        raw["sites"] = [s for s in self.raw["sites"] if s["site_id"] in keep]
        raw["jobs"] = [
            j
            for j in self.raw.get("jobs", []) or []
            if set(j.get("sites") or self.site_ids) <= keep
        ]
        if "links" in self.raw:
            raw["links"] = [
                lk for lk in self.raw.get("links") or [] if lk["from"] in keep and lk["to"] in keep
            ]
        return Scenario(raw, self.path, dict(self.job_keys))


def parse_scenario(text: str, path: str | Path | None = None) -> Scenario:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError("(yaml)", f"not valid YAML: {exc}", path) from exc
    try:
        validate(raw)
    except ScenarioError as exc:
        raise ScenarioError(exc.key, exc.problem, path) from None
    return Scenario(raw, Path(path).resolve() if path else None)


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError("(file)", f"scenario file not found: {p}")
    return parse_scenario(p.read_text(encoding="utf-8"), p)


# ----------------------------------------------------------------------------- building
@dataclass
class SiteInputs:
    """The time series of one site on the plan steps, and where each came from."""

    price: np.ndarray
    carbon: np.ndarray
    export_price: float
    it_kw: np.ndarray
    pue: np.ndarray
    pv_kw: np.ndarray
    wind_kw: np.ndarray
    sources: dict[str, str] = field(default_factory=dict)
    # ``forecast: model`` fell back for these series (reason each; logged and in the notes)
    fallbacks: list[str] = field(default_factory=list)
    # ``forecast: risk_aware``: the adverse scenario, P90 IT load and P10 PV (kW); else None
    it_adverse_kw: np.ndarray | None = None
    pv_adverse_kw: np.ndarray | None = None


def job_window(
    release: Any, deadline: Any, index: pd.DatetimeIndex, day: int = 0
) -> tuple[int, int]:
    """Step indices [release, deadline) of a job. Clock times 'HH:MM' count from the plan day
    ``day`` (HH may exceed 24 for the next days); ISO times are absolute. The release rounds up
    and the deadline down to whole steps, so the job never runs outside its window."""
    start = index[0]
    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(index.freq)

    def when(v: Any) -> pd.Timestamp:
        m = _CLOCK.match(str(v))
        if m:
            return start + pd.Timedelta(days=day, hours=int(m.group(1)), minutes=int(m.group(2)))
        ts = pd.Timestamp(str(v))
        return ts.tz_localize(TZ) if ts.tz is None else ts.tz_convert(TZ)

    r = math.ceil((when(release) - start) / step - 1e-9)
    d = math.floor((when(deadline) - start) / step + 1e-9)
    return r, d


def _is_clock(v: Any) -> bool:
    return bool(_CLOCK.match(str(v)))


def make_jobs(
    specs: list[dict],
    index: pd.DatetimeIndex,
    days: int,
    shared: bool = False,
    keys: list[str] | None = None,
    notes: list[str] | None = None,
) -> list:
    """Jobs on the plan steps. A job given in clock times repeats every plan day (suffix
    ``@YYYY-MM-DD`` after the first day); a job in ISO times is one-off.

    ``keys`` are the scenario key paths of ``specs`` (for error messages). A job that cannot be
    planned is a :class:`ScenarioError` naming the job and the key, never a silent omission:

    - its window, rounded inward to whole steps, is empty (deadline at or before release, or a
      window shorter than one step);
    - its window lies outside the plan horizon (for a daily job: its first day's window);
    - its minimum run is longer than its window (after the cut by the horizon, see below).

    A window the horizon cuts (e.g. 22:00 – 30:00 on the last plan day) is planned on the part
    inside, with ``Job.requested_window`` set (a warning in the result, ``jobs_clipped`` in the
    KPIs, and named in an infeasibility explanation). A daily job's later-day instance whose
    window starts after the end of the horizon belongs to a later plan: it is not built, and a
    note saying so is appended to ``notes``.
    """
    from optimizers.problem import Job

    n = len(index)
    step_h = inputs.step_hours(index.freqstr or pd.infer_freq(index))
    keys = keys or [f"jobs[{i}]" for i in range(len(specs))]
    end = index[0] + pd.Timedelta(hours=step_h * n)
    out = []
    for spec, key in zip(specs, keys, strict=True):
        repeat = _is_clock(spec["release"]) and _is_clock(spec["deadline"])
        min_run_h = parse_duration_hours(spec.get("min_run", 0), f"{key}.min_run")
        min_run_steps = max(1, math.ceil(min_run_h / step_h - 1e-9))
        for day in range(days if repeat else 1):
            r0, d0 = job_window(spec["release"], spec["deadline"], index, day)
            job_id = (
                spec["job_id"]
                if day == 0
                else f"{spec['job_id']}@{index[0].date() + pd.Timedelta(days=day)}"
            )
            if d0 <= r0:
                raise ScenarioError(
                    f"{key}.deadline",
                    f"job {job_id}: window {spec['release']} – {spec['deadline']} holds no whole "
                    f"step of {step_h:g} h (deadline at or before release once rounded inward)",
                )
            if day > 0 and r0 >= n:
                if notes is not None:
                    notes.append(
                        f"job {job_id}: window starts after the end of the horizon; "
                        "left to a later plan"
                    )
                continue
            if d0 <= 0 or r0 >= n:
                raise ScenarioError(
                    f"{key}.{'deadline' if d0 <= 0 else 'release'}",
                    f"job {job_id}: window {spec['release']} – {spec['deadline']} lies outside "
                    f"the plan horizon {index[0]:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}",
                )
            r, d = max(r0, 0), min(d0, n)
            if min_run_steps > d - r:
                cut = " (as cut by the plan horizon)" if (r, d) != (r0, d0) else ""
                raise ScenarioError(
                    f"{key}.min_run",
                    f"job {job_id}: min_run {spec.get('min_run')} ({min_run_steps} steps) is "
                    f"longer than its window of {d - r} steps{cut}",
                )
            kwargs: dict[str, Any] = dict(
                job_id=job_id,
                release=r,
                deadline=d,
                energy_kwh=float(spec["energy_kwh"]),
                max_kw=float(spec["max_kw"]),
                min_kw_when_running=float(spec.get("min_kw_when_running", 0.0)),
                preemptible=bool(spec.get("preemptible", True)),
                min_run_steps=min_run_steps,
                requested_window=None if (r, d) == (r0, d0) else (r0, d0),
            )
            if shared and spec.get("sites"):
                kwargs["sites"] = tuple(spec["sites"])
            if shared:
                kwargs["home_site"] = spec.get("home_site")
                kwargs["data_gb"] = float(spec.get("data_gb", 0.0) or 0.0)
                kwargs["migration_cost_cny"] = float(spec.get("migration_cost_cny", 0.0) or 0.0)
            out.append(Job(**kwargs))
    return out


def _lake_or_none(reader, *args, **kw) -> pd.DataFrame:
    try:
        return reader(*args, **kw)
    except Exception as exc:  # a missing/odd lake is reported by the caller's fallback
        warnings.warn(f"lake read failed: {exc}", stacklevel=2)
        return pd.DataFrame()


def site_inputs(
    scenario: Scenario,
    site: dict,
    index: pd.DatetimeIndex,
    days: int,
    home: str | Path | None = None,
) -> SiteInputs:
    """Read and derive every time series of one site on ``index``."""
    sources: dict[str, str] = {}
    sid = site["site_id"]
    tariff = scenario.raw["tariffs"][site["tariff"]]
    tkey = f"tariffs.{site['tariff']}"
    tsrc = tariff.get("source", "auto")
    price = carbon = None
    if tsrc in ("auto", "lake"):
        grid = _lake_or_none(
            inputs.read_grid_signals, tariff["province_code"], index[0].date(), days, home
        )
        if not grid.empty:
            try:
                price = inputs.to_step(
                    inputs.lake_series(grid, "price_cny_per_kwh"), index, name="grid price"
                )
                carbon = inputs.to_step(
                    inputs.lake_series(grid, "carbon_intensity_kg_per_kwh"),
                    index,
                    name="grid carbon intensity",
                )
                sources["price"] = sources["carbon"] = (
                    f"lake grid_signals {tariff['province_code']}"
                )
            except ValueError as exc:
                if tsrc == "lake":
                    raise ScenarioError(f"{tkey}.source", f"lake grid_signals: {exc}") from exc
                price = carbon = None
        elif tsrc == "lake":
            raise ScenarioError(
                f"{tkey}.source",
                f"no grid_signals for province {tariff['province_code']} from {index[0].date()}",
            )
    if price is None and tsrc == "file":
        f = scenario.resolve(tariff["file"])
        price = inputs.to_step(inputs.read_series_file(f, "price_cny_per_kwh"), index, name=str(f))
        carbon = inputs.to_step(
            inputs.read_series_file(f, "carbon_intensity_kg_per_kwh"), index, name=str(f)
        )
        sources["price"] = sources["carbon"] = f"file {f.name}"
    if price is None:
        price = inputs.tou_profile(index, tariff["tou"])
        ci = tariff["carbon_intensity_kg_per_kwh"]
        carbon = (
            inputs.hourly_profile(index, ci)
            if isinstance(ci, list)
            else np.full(len(index), float(ci))
        )
        sources["price"] = f"TOU {site['tariff']}"
        sources["carbon"] = f"scenario {site['tariff']}"

    # IT load
    it = site["it_load"]
    isrc = it.get("source", "profile")
    it_kw = None
    tele = pd.DataFrame()
    if isrc in ("lake", "auto") or site.get("pv", {}).get("forecast") == "lake":
        tele = _lake_or_none(inputs.read_telemetry, sid, index[0].date(), days, home)
    if isrc in ("lake", "auto") and not tele.empty:
        s = inputs.lake_series(tele, "it_kw")
        try:
            it_kw = inputs.to_step(s[s.index >= index[0]], index, name=f"{sid} it_kw")
            sources["it_kw"] = "lake telemetry"
        except ValueError:
            hist = s[s.index < index[0]]
            if not hist.empty:
                it_kw = inputs.persistence(hist, index, name=f"{sid} it_kw")
                sources["it_kw"] = "lake telemetry, persistence (last day)"
    if it_kw is None and isrc == "lake":
        raise ScenarioError(f"sites.{sid}.it_load.source", "no datacenter_telemetry in the lake")
    if it_kw is None and isrc == "file":
        f = scenario.resolve(it["file"])
        it_kw = inputs.to_step(
            inputs.read_series_file(f, it.get("column", "it_kw")), index, name=str(f)
        )
        sources["it_kw"] = f"file {f.name}"
    if it_kw is None:
        prof = it.get("profile", [1.0] * 24)
        it_kw = float(it["base_kw"]) * inputs.hourly_profile(index, prof)
        sources["it_kw"] = "scenario profile"

    # PUE
    pue_spec = site.get("pue", 1.3)
    if isinstance(pue_spec, dict) and "profile" in pue_spec:
        pue = inputs.hourly_profile(index, pue_spec["profile"])
        sources["pue"] = "scenario profile"
    elif isinstance(pue_spec, dict):
        w = pue_spec["weather"]
        temp = inputs.diurnal_temperature_c(index, w["temp_mean_c"], w.get("temp_amp_c", 5.0))
        pue = inputs.pue_from_temperature(temp, w["base"], w["ref_c"], w["per_deg_c"])
        sources["pue"] = "weather (diurnal temperature model)"
    else:
        pue = np.full(len(index), float(pue_spec))
        sources["pue"] = "constant"

    # PV
    pv = site.get("pv")
    pv_kw = np.zeros(len(index))
    if pv and pv["kwp"] > 0:
        fc = pv.get("forecast", "pvlib")
        if fc == "lake" and not tele.empty:
            s = inputs.lake_series(tele, "pv_kw")
            fut = s[s.index >= index[0]]
            try:
                pv_kw = inputs.to_step(fut, index, name=f"{sid} pv_kw")
                sources["pv_kw"] = "lake telemetry"
            except ValueError:
                pv_kw = inputs.persistence(s[s.index < index[0]], index, name=f"{sid} pv_kw")
                sources["pv_kw"] = "lake telemetry, persistence (last day)"
        elif fc == "file":
            f = scenario.resolve(pv["file"])
            pv_kw = inputs.to_step(
                inputs.read_series_file(f, pv.get("column", "pv_kw")), index, name=str(f)
            )
            sources["pv_kw"] = f"file {f.name}"
        else:
            pv_kw = inputs.pv_clearsky_kw(
                index,
                site["lat"],
                site["lon"],
                pv["kwp"],
                tilt=pv.get("tilt", 25.0),
                azimuth=pv.get("azimuth", 180.0),
                system_loss=pv.get("system_loss", 0.14),
                altitude=site.get("altitude_m", 5.0),
            )
            sources["pv_kw"] = "pvlib clear-sky PVWatts"

    # wind
    w = site.get("wind")
    wind_kw = np.zeros(len(index))
    if w and w["kw"] > 0:
        if w.get("source") == "file":
            f = scenario.resolve(w["file"])
            wind_kw = inputs.to_step(
                inputs.read_series_file(f, w.get("column", "wind_kw")), index, name=str(f)
            )
            sources["wind_kw"] = f"file {f.name}"
        elif "profile" in w:
            wind_kw = w["kw"] * inputs.hourly_profile(index, w["profile"])
            sources["wind_kw"] = "scenario capacity-factor profile"
        else:
            wind_kw = np.full(len(index), w["kw"] * float(w.get("capacity_factor", 0.3)))
            sources["wind_kw"] = "scenario constant capacity factor"
    fallbacks: list[str] = []
    mode = scenario.raw.get("forecast", "perfect")
    it_adv = pv_adv = None
    if mode in ("model", "risk_aware"):
        it_kw, pv_kw = _model_forecast(site, index, home, it_kw, pv_kw, sources, fallbacks)
    if mode == "risk_aware":
        it_adv, pv_adv = _adverse_forecast(site, index, home, it_kw, pv_kw, sources, fallbacks)
    return SiteInputs(
        it_adverse_kw=it_adv,
        pv_adverse_kw=pv_adv,
        price=np.asarray(price, dtype=float),
        carbon=np.asarray(carbon, dtype=float),
        export_price=float(tariff.get("export_price_cny_per_kwh", 0.0) or 0.0),
        it_kw=np.asarray(it_kw, dtype=float),
        pue=np.asarray(pue, dtype=float),
        pv_kw=np.asarray(pv_kw, dtype=float),
        wind_kw=np.asarray(wind_kw, dtype=float),
        sources=sources,
        fallbacks=fallbacks,
    )


def _forecast_rows(sid: str, index, home) -> tuple[pd.DataFrame, str | None]:
    """The site's ``dispatch_forecasts`` rows for the plan's days, and why none could be read
    (a broken lake file is a fallback, not a crash)."""
    from optimizers.forecast import io as fio

    days = sorted({str(t.date()) for t in index})
    try:
        return fio.read_forecasts(sid, days, home), None
    except Exception as exc:
        return pd.DataFrame(), f"lake read failed: {exc}"


def _model_forecast(site, index, home, it_kw, pv_kw, sources, fallbacks):
    """``forecast: model``: IT load and PV from the P50 of ``dispatch_forecasts`` in the lake.
    A missing or gappy forecast (or an unreadable lake) falls back to what ``perfect`` would use
    (already in ``it_kw`` / ``pv_kw``), with the reason logged, kept in ``fallbacks`` (→ the
    plan's warnings and the KPI flag ``forecast_fallback``); never a silent assumption."""
    from optimizers.forecast import io as fio

    log, sid = logging.getLogger("optimizers.forecast"), site["site_id"]
    rows, err = _forecast_rows(sid, index, home)
    wanted = [("it_kw", it_kw)]
    pv = site.get("pv")
    if pv and pv.get("kwp", 0) > 0:
        wanted.append(("pv_kw", pv_kw))
    out = {"it_kw": it_kw, "pv_kw": pv_kw}
    for series, current in wanted:
        vals, reason = (None, err) if err else fio.p50_on_steps(rows, series, index)
        if vals is None:
            msg = f"{sid} {series}: forecast: model fell back to {sources.get(series)} ({reason})"
            log.warning(msg)
            fallbacks.append(msg)
            out[series] = current
            continue
        r = rows[(rows["series"] == series) & (rows["quantile"] == "p50")]
        sources[series] = f"forecast model P50 ({r['model_version'].iloc[0]})"
        out[series] = vals
    return out["it_kw"], out["pv_kw"]


def _adverse_forecast(site, index, home, it_kw, pv_kw, sources, fallbacks):
    """``forecast: risk_aware``: the adverse scenario, P90 IT load and P10 PV of
    ``dispatch_forecasts``.  A missing or gappy quantile falls back to the series the plan uses
    (``it_kw`` / ``pv_kw``, i.e. no margin for that series), with the reason logged and kept in
    ``fallbacks`` (→ warnings and ``forecast_fallback``), as :func:`_model_forecast` does."""
    from optimizers.forecast import io as fio

    log, sid = logging.getLogger("optimizers.forecast"), site["site_id"]
    rows, err = _forecast_rows(sid, index, home)
    out = {"it_kw": np.asarray(it_kw, dtype=float), "pv_kw": np.asarray(pv_kw, dtype=float)}
    wanted = [("it_kw", "p90")]
    pv = site.get("pv")
    if pv and pv.get("kwp", 0) > 0:
        wanted.append(("pv_kw", "p10"))
    for series, q in wanted:
        vals, reason = (None, err) if err else fio.quantile_on_steps(rows, series, index, q)
        if vals is None:
            msg = (
                f"{sid} {series}: forecast: risk_aware has no adverse {q.upper()}, the plan "
                f"guards no margin on it ({reason})"
            )
            log.warning(msg)
            fallbacks.append(msg)
            continue
        sources[f"{series} adverse"] = f"forecast model {q.upper()}"
        out[series] = vals
    return out["it_kw"], out["pv_kw"]


def plan_window(
    scenario: Scenario, plan_date: date | str | None = None, horizon: str | int | None = None
) -> tuple[date, int, pd.DatetimeIndex]:
    d = (
        date.fromisoformat(str(plan_date))
        if plan_date is not None
        else scenario.default_date or (pd.Timestamp.now(TZ) + pd.Timedelta(days=1)).date()
    )
    days = inputs.parse_horizon(horizon) if horizon is not None else scenario.horizon_days
    return d, days, inputs.step_index(d, days, scenario.freq)


def _backup_fields(spec: dict, year: int, key: str, step_h: float = 1.0) -> dict[str, Any]:
    """``Site`` fields of a site's backup generator: cost CNY/kWh = fuel price (CNY/t) × specific
    fuel consumption (g/kWh) / 10^6 + O&M; emissions kgCO2/kWh = g/kWh × diesel factor (tCO2/t)
    / 1000, the factor from the factor library (its id and version kept for traceability)."""
    b = backup_spec(spec)
    if b is None:
        return {}
    try:
        f = diesel_factor(year, b.get("factor_version"))
    except ScenarioError as exc:
        raise ScenarioError(f"{key}.{exc.key}", exc.problem) from None
    g = float(b["fuel_g_per_kwh"])
    return {
        "backup_gen_kw": float(b["kw"]),
        "backup_cost_cny_per_kwh": float(b["fuel_price_cny_per_t"]) * g / 1e6
        + float(b["om_cny_per_kwh"]),
        "backup_kg_per_kwh": g * f.value / 1000.0,
        "backup_min_load": float(b["min_load"]),
        "backup_startup_cny": float(b.get("startup_cny", 0.0) or 0.0),
        "backup_min_up_steps": max(
            1, math.ceil(parse_duration_hours(b.get("min_up", 0), f"{key}.min_up") / step_h - 1e-9)
        ),
        "backup_rule": b["run"],
        "backup_factor": f"{f.factor_id} {f.factor_version}",
    }


def build_problem(
    scenario: Scenario,
    plan_date: date | str | None = None,
    horizon: str | int | None = None,
    home: str | Path | None = None,
    *,
    milp: bool | None = None,
    carbon_price: float | None = None,
):
    """The optimiser ``Problem`` of a scenario for the plan date (default: the scenario's
    ``date``, else tomorrow) and horizon (default: the scenario's). Raises ``ScenarioError``
    (naming the scenario file and the key) for what the plan steps reveal, e.g. a job window
    outside the horizon."""
    try:
        return _build_problem(scenario, plan_date, horizon, home, milp, carbon_price)
    except ScenarioError as exc:
        if exc.source or scenario.path is None:
            raise
        raise ScenarioError(exc.key, exc.problem, scenario.path) from None


def _build_problem(scenario, plan_date, horizon, home, milp, carbon_price):
    from optimizers import prorate_demand_charge
    from optimizers.problem import Battery, Link, Options, Problem, Site

    _d, days, index = plan_window(scenario, plan_date, horizon)
    freq = scenario.freq
    sh = inputs.step_hours(freq)
    sites = []
    notes: list[str] = []
    for spec in scenario.raw["sites"]:
        si = site_inputs(scenario, spec, index, days, home)
        notes.extend(si.fallbacks)
        site_jobs = spec.get("jobs", []) or []
        g = spec["grid"]
        b = spec.get("battery")
        battery = Battery(**b) if b else None
        monthly = float(g.get("demand_charge_cny_per_kw_month", 0.0) or 0.0)
        demand = prorate_demand_charge(monthly, days * 24.0)
        sites.append(
            Site(
                site_id=spec["site_id"],
                uscc=spec["uscc"],
                index=index,
                step_hours=sh,
                it_base_kw=si.it_kw,
                pue=si.pue,
                pv_kw=si.pv_kw,
                wind_kw=si.wind_kw,
                price_cny_per_kwh=si.price,
                carbon_kg_per_kwh=si.carbon,
                export_price_cny_per_kwh=si.export_price,
                grid_import_max_kw=(
                    import_limit_kw(spec, index, days)
                    if g.get("import_limits")
                    else float(g["import_max_kw"])
                ),
                grid_export_max_kw=float(g.get("export_max_kw", 0.0) or 0.0),
                contract_kw=g.get("contract_kw"),
                demand_charge_cny_per_kw=demand,
                battery=battery,
                green_share_target=spec.get("green_share_target"),
                pue_target=float(spec.get("pue_target", 1.25)),
                jobs=make_jobs(
                    site_jobs,
                    index,
                    days,
                    keys=[scenario.job_key(j) for j in site_jobs],
                    notes=notes,
                ),
                **_backup_fields(spec, _d.year, f"sites.{spec['site_id']}", sh),
                green_purchase_kwh=float(spec.get("green_purchase_kwh_per_day", 0.0) or 0.0) * days,
                kw_per_gpu=(
                    float(spec["kw_per_gpu"]) if spec.get("kw_per_gpu") is not None else None
                ),
                forecast_fallback=bool(si.fallbacks),
                forecast_mode=str(scenario.raw.get("forecast", "perfect")),
                it_adverse_kw=si.it_adverse_kw,
                pv_adverse_kw=si.pv_adverse_kw,
                dr_events=demand_response_events(
                    spec, index, days, np.asarray(si.pue, dtype=float) * si.it_kw
                ),
            )
        )
    opts = scenario.raw.get("options", {}) or {}
    rolling = opts.get("rolling_window")
    steps_per_day = round(24 / sh)
    options = Options(
        milp=bool(opts.get("milp", False)) if milp is None else milp,
        no_simultaneous_charge=opts.get("no_simultaneous_charge", "auto"),
        job_integrality=bool(opts.get("job_integrality", False)),
        carbon_price_cny_per_t=scenario.carbon_price if carbon_price is None else carbon_price,
        emission_cap_t=opts.get("emission_cap_t"),
        rolling_window_steps=(
            inputs.parse_horizon(rolling) * steps_per_day
            if rolling is not None and inputs.parse_horizon(rolling) < days
            else None
        ),
    )
    specs = scenario.raw.get("jobs", []) or []
    shared = make_jobs(
        specs, index, days, shared=True, keys=[scenario.job_key(j) for j in specs], notes=notes
    )
    links = [
        Link(
            from_site=lk["from"],
            to_site=lk["to"],
            gbit_s=float(lk["gbit_s"]),
            budget_gb_per_day=float(lk["budget_gb_per_day"]),
        )
        for lk in scenario.raw.get("links") or []
    ]
    return Problem(sites=sites, shared_jobs=shared, options=options, notes=notes, links=links)
