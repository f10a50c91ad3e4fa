"""The ledger build: dbt (dbt-duckdb) over the lake, one writer at a time; month close; headline.

``build(home)`` runs ONE ``dbt build`` through dbt's programmatic runner (``dbtRunner``) with:

* ``CARBON_HOME`` = the data home, so the profile writes ``<home>/warehouse/carbon.duckdb`` and
  the sources read ``<home>/lake``;
* dbt's ``target/`` and ``logs/`` under ``<home>/dbt/`` (parallel homes never collide; the
  manifest stays between runs so partial parsing skips the ~9 s parse);
* an exclusive file lock ``<home>/warehouse/.build.lock`` around it (DuckDB allows one writer);
* vars (stable from night to night, so partial parsing holds): the lake path, the datasets with
  no partition yet (``lake_missing``), the Scope 2 basis;
* run-time parameters in ``<home>/dbt/build_params.json``: the months to post
  (``ledger_months``), the factor as-of date, and the lake days that changed since the last
  successful build (``plan_build``: partitions compared with ``<home>/dbt/lake_state.json``), so
  the personal models recompute only those days and a re-ingested past day is picked up.

Before dbt, the CEADs reference figures are imported to ``<lake>/reference_ceads`` (see
``carbon.pipeline.warehouse.reference``). ``close_month`` records a closed month; ``headline`` prints the figures the
nightly run ends with. ``HELP``/``add_arguments``/``run`` make this the ``carbon ledgers`` command.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from carbon.config import REPO_ROOT, paths
from carbon.pipeline.contracts.sources import LAKE_SOURCES  # the dbt sources, one list
from carbon.pipeline.warehouse.reference import import_reference

#: the public marts (contract enforced)
MARTS = (
    "ledger_entries",
    "gov_region_emissions_monthly",
    "gov_region_indicators",
    "gov_watchlist",
    "gov_ceads_comparison",
    "ent_enterprise_emissions_monthly",
    "ent_carbon_efficiency",
    "recon_region_monthly",
)


class LedgerBuildError(RuntimeError):
    """dbt build failed: the message lists every failing node and its error."""


@dataclass
class BuildResult:
    ok: bool
    seconds: float
    statuses: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    vars: dict = field(default_factory=dict)
    plan: BuildPlan | None = None


def dbt_dirs(home: str | Path | None = None) -> tuple[Path, Path]:
    base = paths(home).home / "dbt"
    return base / "target", base / "logs"


@contextmanager
def warehouse_lock(home: str | Path | None = None, timeout: float | None = None) -> Iterator[None]:
    """Exclusive lock on the warehouse: one DuckDB writer (build, close, import) at a time.

    Fails with ``carbon.pipeline.locks.LockHeld`` (naming the holder's PID, host and start time) at once,
    or after ``timeout`` seconds (default: env ``CARBON_WAREHOUSE_LOCK_TIMEOUT``, else 0)."""
    import sys

    from carbon.pipeline import locks

    wh = paths(home).warehouse
    wait = locks.timeout_from_env() if timeout is None else timeout
    with locks.exclusive(
        wh.parent / ".build.lock",
        f"the warehouse {wh}",
        timeout=wait,
        on_wait=lambda msg: print(msg, file=sys.stderr, flush=True),
    ):
        yield


def missing_datasets(home: str | Path | None = None) -> list[str]:
    lake = paths(home).lake
    return [d for d in LAKE_SOURCES if not any((lake / d).glob("*=*/part-0.parquet"))]


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


def build_vars(
    home: str | Path | None = None,
    *,
    scope2_basis: str | None = None,
    fuel_factor_version: str | None = None,
    extra: dict | None = None,
) -> dict:
    from carbon.domain.factors import scope2_basis as configured_basis

    # only non-default values: a changed var forces dbt to re-parse the whole project (~10 s)
    p = paths(home)
    # the only way dbt learns where the home is (no env_var in models, macros or sources)
    v: dict = {
        "lake_path": str(p.lake),
        "monitor_alerts_path": str(p.home / "monitor" / "mon_alerts.parquet"),
        "build_params_path": str(build_params_path(p.home)),
    }
    # months and as-of go to build_params.json (read at run time), not here
    missing = missing_datasets(home)
    if missing:
        v["lake_missing"] = missing
    basis = scope2_basis or configured_basis()
    if basis != "location":
        v["scope2_basis"] = basis
    if fuel_factor_version:
        v["fuel_factor_version"] = fuel_factor_version
    if extra:
        v.update(extra)
    return v


def run_dbt(args: list[str], home: str | Path | None = None) -> tuple[bool, object]:
    """Invoke dbt in-process with the project at the repo root and dirs under the data home."""
    from dbt.cli.main import dbtRunner

    p = paths(home)
    target, logs = dbt_dirs(home)
    target.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    os.environ["CARBON_HOME"] = str(p.home)
    os.environ["DBT_TARGET_PATH"] = str(target)
    os.environ["DBT_LOG_PATH"] = str(logs)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if not build_params_path(p.home).exists():
        write_build_params(p.home)  # no runner plan: all months, full personal rebuild
    full = [
        *args,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT),
    ]
    try:
        res = dbtRunner().invoke(full)
    finally:
        _release_duckdb()
    return bool(res.success), res


def _release_duckdb() -> None:
    """dbt-duckdb keeps the warehouse open in a class-level environment: close it after the run
    so readers (and the next build, with other settings) can open the file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as M
    except ImportError:  # pragma: no cover
        return
    with M._LOCK:
        if M._ENV is not None:
            try:
                M._ENV.close()
            finally:
                M._ENV = None


def build(
    home: str | Path | None = None,
    *,
    full_refresh: bool = False,
    months: list[str] | None = None,
    as_of: str | None = None,
    scope2_basis: str | None = None,
    fuel_factor_version: str | None = None,
    select: list[str] | None = None,
    extra_vars: dict | None = None,
    raise_on_error: bool = True,
    quiet: bool = True,
) -> BuildResult:
    """One ``dbt build`` of the whole project (or ``select``) against the data home."""
    p = paths(home)
    t0 = time.perf_counter()
    with warehouse_lock(p.home):
        import_reference(p.home)
        v = build_vars(
            p.home,
            scope2_basis=scope2_basis,
            fuel_factor_version=fuel_factor_version,
            extra=extra_vars,
        )
        plan = plan_build(
            p.home, full_refresh=full_refresh, months=months, as_of=as_of, build_vars_=v
        )
        write_build_params(p.home, months=plan.months, as_of=as_of, personal=plan.personal)
        args = ["build", "--vars", json.dumps(v)]
        if quiet:
            args = ["--quiet", *args]
        if full_refresh:
            args.append("--full-refresh")
        if select:
            args += ["--select", *select]
        ok, res = run_dbt(args, p.home)
        if ok and not select:
            save_state(p.home, plan)
        else:
            forget_state(p.home)
    statuses: dict[str, str] = {}
    failures: list[str] = []
    result = getattr(res, "result", None)
    if res.exception is not None:
        failures.append(f"dbt raised: {res.exception}")
    for r in getattr(result, "results", None) or []:
        name = r.node.unique_id
        status = str(r.status.value if hasattr(r.status, "value") else r.status)
        statuses[name] = status
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{name}: {status}: {r.message}")
    out = BuildResult(ok, time.perf_counter() - t0, statuses, failures, v, plan)
    if raise_on_error and not ok:
        raise LedgerBuildError(
            "ledger build failed:\n  " + "\n  ".join(failures or ["(no detail)"])
        )
    return out


SEEDS_DIR = REPO_ROOT / "seeds"


def generated_seeds() -> dict[str, object]:
    """Seeds derived from the Python single sources of truth (carbon.domain.units, carbon.domain.ceads,
    carbon.domain.factors): file name -> DataFrame. ``write_seeds`` refreshes them; a test keeps the
    checked-in copies in sync."""
    import pandas as pd

    from carbon.domain import ceads
    from carbon.domain.factors import unit_conversions
    from carbon.domain.units import FUELS, PRODUCTS

    return {
        "ref_fuels.csv": pd.DataFrame(
            [(f.code, f.name_zh, f.unit, f.ceads_column) for f in FUELS.values()],
            columns=["fuel_code", "name_zh", "unit", "ceads_column"],
        ),
        "ref_products.csv": pd.DataFrame(
            [(p.code, p.name_zh, p.unit, p.process_factor_id or "") for p in PRODUCTS.values()],
            columns=["product_code", "name_zh", "unit", "process_factor_id"],
        ),
        "ceads_sectors.csv": pd.DataFrame(
            list(ceads.SECTORS.items()), columns=["sector_code", "sector_name"]
        ),
        "ceads_industry_sectors.csv": pd.DataFrame(
            sorted(ceads.industry_sector_map().items()), columns=["industry_code", "sector_code"]
        ),
        "unit_conversions.csv": unit_conversions(),
    }


def seed_text(df) -> str:
    return df.to_csv(index=False, lineterminator="\n")


def write_seeds(seeds_dir: Path = SEEDS_DIR) -> list[Path]:
    out = []
    for name, df in generated_seeds().items():
        path = seeds_dir / name
        path.write_text(seed_text(df), encoding="utf-8")
        out.append(path)
    return out


def close_month(month: str, home: str | Path | None = None, closed_by: str = "carbon") -> Path:
    """Close a month (YYYY-MM) that has ended: entries posted for it from the next build on are
    final. Recorded append-only (``carbon.pipeline.warehouse.months``, which also reopens and lists months)."""
    from carbon.pipeline.warehouse import months

    return months.close(month, closed_by, home=home)


def connect_ro(home: str | Path | None = None):
    import duckdb

    return duckdb.connect(str(paths(home).warehouse), read_only=True)


def headline(home: str | Path | None = None) -> str:
    """The figures the nightly run ends with, as text."""
    with warehouse_lock(home), connect_ro(home) as con:
        return _headline(con)


def _q(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _headline(con) -> str:
    lines: list[str] = []
    cmp_rows = _q(
        con,
        """select c.region_code, r.name_zh, c.year, c.top_down_mt, c.ceads_reference_year,
                  c.ceads_reference_mt, c.ratio_to_reference
           from main.gov_ceads_comparison c join ref.gbt2260_regions r using (region_code)
           where r.level = 'city' order by c.year""",
    )
    lines.append("== City total (top-down Scope 1) vs CEADs calibration ==")
    for code, name, year, ours, cy, cmt, ratio in cmp_rows:
        ref = (
            f"CEADs {cy} (latest CEADs year on or before {year}): {cmt:.2f} Mt"
            f" (ratio {year}/{cy} {ratio:.2f})"
            if cmt is not None
            else "no CEADs figure"
        )
        lines.append(f"  {name} {code} our {year}: {ours:.2f} Mt  vs  {ref}")
    lines.append(
        "== Districts 区县 (bottom-up, tCO2, all months built): Scope 1 范围一; Scope 2 范围二 ="
        " electricity 电力 + net purchased heat 净购入热力 (heat purchased 外购热力 − heat exported"
        " 输出热力, exports deducted as GB/T 32150 and the MEE guidelines do) =="
    )
    for code, name, s1, s2e, hp, hx in _q(
        con,
        """select g.region_code, r.name_zh,
                  sum(g.tco2e) filter (where g.scope like 'scope1%'),
                  sum(g.tco2e) filter (where g.scope = 'scope2_electricity'),
                  sum(g.tco2e) filter (where g.scope = 'scope2_heat' and g.fuel_code = 'heat_purchased'),
                  -sum(g.tco2e) filter (where g.scope = 'scope2_heat' and g.fuel_code = 'heat_exported')
           from main.gov_region_emissions_monthly g join ref.gbt2260_regions r using (region_code)
           where g.method = 'bottom_up' group by all order by 1""",
    ):
        s1, s2e, hp, hx = (v or 0.0 for v in (s1, s2e, hp, hx))
        note = (
            "  (Scope 1 = 0: no enterprise in this county reports fuel or process activity;"
            " its emissions are purchased electricity / heat only)"
            if not s1
            else ""
        )
        if hp - hx < 0:
            note += (
                "  (net heat < 0: a CHP / heat plant here exports more heat than the county's"
                " reporters buy; its fuel is in Scope 1, the export is deducted 输出热力扣减)"
            )
        lines.append(
            f"  {code} {name}: Scope 1 {s1:,.0f}  Scope 2 {s2e + hp - hx:,.0f}"
            f" = electricity 电力 {s2e:,.0f} + heat purchased 外购热力 {hp:,.0f}"
            f" − heat exported 输出热力 {hx:,.0f} (net heat 净购入热力 {hp - hx:,.0f}){note}"
        )
    lines.append("== Top 10 enterprises (tCO2e, all months built) ==")
    for uscc, name, t in _q(
        con,
        """select m.uscc, coalesce(e.name, ''), sum(m.tco2e_total) as t
           from main.ent_enterprise_emissions_monthly m
           left join intermediate.int_enterprises__current e using (uscc)
           group by all order by t desc limit 10""",
    ):
        lines.append(f"  {uscc} {name}: {t:,.0f}")
    lines.append("== 碳效码 grade distribution (latest month) ==")
    grades = _q(
        con,
        """select grade, count(*) from main.ent_carbon_efficiency
           where period = (select max(period) from main.ent_carbon_efficiency)
           group by grade order by grade""",
    )
    lines.append(
        "  "
        + ("  ".join(f"grade {g}: {n}" for g, n in grades) or "(no enterprise with value added)")
    )
    lines.append("== Personal credits issued (碳普惠) ==")
    credits = _q(
        con,
        """select coalesce(sum(tco2e), 0) from main.ledger_entries
           where ledger = 'personal' and entry_type = 'reduction_credit'""",
    )[0][0]
    lines.append(f"  {credits:,.3f} tCO2e credited")
    recon = _q(
        con,
        """select count(*), count(*) filter (where reconciles and household_electricity_counted_once
                  and green_power_deducted_once) from main.recon_region_monthly""",
    )[0]
    lines.append(f"== Reconciliation: {recon[1]}/{recon[0]} region-months hold ==")
    exc = _q(
        con,
        """select reason_code, count(*) from main.recon_exceptions group by all order by 1""",
    )
    total = sum(n for _, n in exc)
    lines.append(
        f"== Reconciliation exceptions (对账异常): {total} activity rows left out of the ledgers"
        " (main.recon_exceptions) =="
    )
    for code, n in exc:
        lines.append(f"  {code}: {n}")
    return "\n".join(lines)


# ---- the `carbon ledgers` command -------------------------------------------------------------
