"""The ledger build's state on disk: what changed in the lake since the last successful build.

* ``<home>/dbt/lake_state.json``: every lake partition's size, mtime, inode and content digest
  after the last successful full-project build (:func:`lake_snapshot`, :func:`save_state`).
* :func:`plan_build` compares the lake with it: the personal days to recompute (or a full
  recompute, and why) and the journal months a late or re-ingested partition moves.
* ``<home>/dbt/build_params.json``: the run-time parameters dbt reads (``macros/lake.sql``:
  ``build_params_relation``), written by :func:`write_build_params` from that plan.

``carbon.pipeline.warehouse.build`` runs dbt with them; nothing here runs dbt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from carbon.config import REPO_ROOT, paths
from carbon.pipeline.contracts.sources import LAKE_SOURCES


def dbt_dirs(home: str | Path | None = None) -> tuple[Path, Path]:
    base = paths(home).home / "dbt"
    return base / "target", base / "logs"


def build_params_path(home: str | Path | None = None) -> Path:
    return dbt_dirs(home)[0].parent / "build_params.json"


def write_build_params(
    home: str | Path | None = None,
    *,
    months: list[str] | None = None,
    as_of: str | None = None,
    personal: PersonalWindow | None = None,
) -> Path:
    """The per-build parameters dbt reads at run time (macros/lake.sql: build_params_relation).

    ``personal`` = which lake days changed since the last successful build (the personal models
    recompute only those, see int_personal__build_window); none = recompute everything."""
    path = build_params_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    params: dict = {
        "ledger_months": sorted(months) if months else [],
        "factor_as_of": as_of and str(as_of),
    }
    if personal is not None:
        params["personal_full"] = personal.full
        params["personal_electricity_dates"] = sorted(personal.electricity_dates)
        params["personal_activity_dates"] = sorted(personal.activity_dates)
    path.write_text(json.dumps(params))
    return path


# ---- incremental builds: what changed in the lake since the last successful build -------------

#: lake state of the last successful full-project build (partition -> size, mtime, inode, digest)
STATE_FILE = "lake_state.json"
STATE_VERSION = 1
#: monthly household snapshots: a changed month moves the members of its own days and of the
#: following days up to the next snapshot month (``snapshot_electricity_dates``)
PERSONAL_SNAPSHOTS = "households"
#: datasets whose changed partitions add their months to ledger_months (late data)
LEDGER_MONTHLY = (
    "electricity_consumption",
    "fuel_consumption",
    "heat_consumption",
    "industrial_activity",
    "sector_energy_balance",
)
#: files whose change invalidates the carried personal state (besides the vars and as-of date);
#: the factor-selection models too: personal credits take their grid factor from
#: int_factors__selected, the rule of every ledger
_SIGNATURE_GLOBS = (
    "models/intermediate/personal/*.sql",
    "models/intermediate/factors/*.sql",
    "macros/lake.sql",
    "models/marts/personal/*.sql",
    "macros/personal.sql",
    "seeds/*.csv",
    "carbon/domain/factors/data/*.csv",
    "carbon/domain/data/*.csv",
    "dbt_project.yml",
)


@dataclass
class PersonalWindow:
    """What the personal models recompute: everything (``full``) or the changed days."""

    full: bool
    electricity_dates: list[str] = field(default_factory=list)
    activity_dates: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class BuildPlan:
    personal: PersonalWindow
    months: list[str] | None
    changed: dict[str, list[str]]
    snapshot: dict
    signature: str


def state_path(home: str | Path | None = None) -> Path:
    return dbt_dirs(home)[0].parent / STATE_FILE


def _digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def lake_snapshot(home: str | Path | None = None, previous: dict | None = None) -> dict:
    """dataset -> partition dir name (``date=2026-10-31``) -> [size, mtime_ns, inode, digest].

    A file's content digest is recomputed only when its size, mtime or inode moved, so a
    partition re-written with the same bytes (a re-ingest of unchanged data) is not a change."""
    lake = paths(home).lake
    previous = previous or {}
    snap: dict[str, dict[str, list]] = {}
    for ds in LAKE_SOURCES:
        parts: dict[str, list] = {}
        old = previous.get(ds, {})
        for f in sorted((lake / ds).glob("*=*/part-0.parquet")):
            st = f.stat()
            sig = [st.st_size, st.st_mtime_ns, st.st_ino]
            prev = old.get(f.parent.name)
            digest = prev[3] if prev and list(prev[:3]) == sig else _digest(f)
            parts[f.parent.name] = [*sig, digest]
        snap[ds] = parts
    return snap


def changed_partitions(old: dict, new: dict) -> dict[str, list[str]]:
    """Partitions added, removed or whose content changed: dataset -> sorted partition values."""
    out: dict[str, list[str]] = {}
    for ds in sorted(set(old) | set(new)):
        a, b = old.get(ds, {}), new.get(ds, {})
        keys = {
            k for k in set(a) | set(b) if (a.get(k) or [None] * 4)[3] != (b.get(k) or [None] * 4)[3]
        }
        if keys:
            out[ds] = sorted(k.split("=", 1)[1] for k in keys)
    return out


def months_of_partitions(changed: dict[str, list[str]]) -> set[str]:
    """The journal months a change in these partitions can move (date/month/year partitions)."""
    months: set[str] = set()
    for ds in LEDGER_MONTHLY:
        for v in changed.get(ds, []):
            if len(v) == 4:  # year=YYYY: a yearly balance is allocated to all its months
                months |= {f"{v}-{m:02d}" for m in range(1, 13)}
            else:
                months.add(v[:7])
    return months


def snapshot_electricity_dates(changed_months: list[str], old: dict, new: dict) -> list[str]:
    """Meter days whose household members a change of these ``households`` snapshot months can
    move: a day takes the snapshot of its month, else the latest earlier one (never a later one),
    so month M decides the days from M-01 up to the next snapshot month present before or after
    the change (or every later day). ``old`` / ``new`` are lake snapshots (``lake_snapshot``)."""
    months = sorted(
        {k.split("=", 1)[1] for k in old.get(PERSONAL_SNAPSHOTS, {})}
        | {k.split("=", 1)[1] for k in new.get(PERSONAL_SNAPSHOTS, {})}
    )
    days = sorted(k.split("=", 1)[1] for k in new.get("electricity_consumption", {}))
    out: set[str] = set()
    for m in changed_months:
        later = [x for x in months if x > m]
        end = f"{later[0]}-01" if later else None
        out |= {d for d in days if d >= f"{m}-01" and (end is None or d < end)}
    return sorted(out)


def personal_signature(build_vars_: dict, as_of: str | None) -> str:
    """Hash of what the carried personal state depends on besides the lake: vars, factor as-of
    date, seeds (factor library, methodologies) and the personal models themselves."""
    h = hashlib.sha256()
    v = {k: val for k, val in build_vars_.items() if k != "lake_missing"}
    h.update(json.dumps({"vars": v, "as_of": as_of}, sort_keys=True, default=str).encode())
    for pattern in _SIGNATURE_GLOBS:
        for f in sorted(REPO_ROOT.glob(pattern)):
            h.update(str(f.relative_to(REPO_ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def load_state(home: str | Path | None = None) -> dict | None:
    path = state_path(home)
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if state.get("version") != STATE_VERSION or not paths(home).warehouse.exists():
        return None
    return state


def plan_build(
    home: str | Path | None,
    *,
    full_refresh: bool,
    months: list[str] | None,
    as_of: str | None,
    build_vars_: dict,
) -> BuildPlan:
    """Compare the lake with the state of the last successful build: the personal window (days to
    recompute, or full) and the journal months (requested months + months of changed partitions,
    so a re-ingested past day is picked up by the next night)."""
    state = load_state(home)
    snapshot = lake_snapshot(home, state["partitions"] if state else None)
    signature = personal_signature(build_vars_, as_of)
    changed = changed_partitions(state["partitions"], snapshot) if state else {}
    reason = ""
    if full_refresh:
        reason = "full refresh"
    elif state is None:
        reason = "no state of a previous successful build"
    elif state.get("signature") != signature:
        reason = "vars, factor as-of date, seeds or personal models changed"
    elec_dates = set(changed.get("electricity_consumption", []))
    if state and PERSONAL_SNAPSHOTS in changed:  # members move only from that month on
        elec_dates |= set(
            snapshot_electricity_dates(changed[PERSONAL_SNAPSHOTS], state["partitions"], snapshot)
        )
    personal = PersonalWindow(
        full=bool(reason),
        electricity_dates=sorted(elec_dates),
        activity_dates=changed.get("low_carbon_activity", []),
        reason=reason or "incremental",
    )
    eff_months = sorted(set(months) | months_of_partitions(changed)) if months else months
    return BuildPlan(personal, eff_months, changed, snapshot, signature)


def save_state(home: str | Path | None, plan: BuildPlan) -> None:
    from carbon.pipeline.lake import atomic_path

    state = {"version": STATE_VERSION, "signature": plan.signature, "partitions": plan.snapshot}
    with atomic_path(state_path(home)) as tmp:
        tmp.write_text(json.dumps(state))


def forget_state(home: str | Path | None = None) -> None:
    """After a failed or partial build: the next build recomputes the personal account fully."""
    state_path(home).unlink(missing_ok=True)
