"""The ledger build: one ``dbt build`` (dbt-duckdb) over the lake, one writer at a time.

``build(home)`` runs ONE ``dbt build`` through dbt's programmatic runner (``dbtRunner``) with:

* a profile written for this data home (``<home>/dbt/profiles.yml``: the repo's ``profiles.yml``
  with the warehouse path ``<home>/warehouse/carbon.duckdb``), so no environment variable
  carries the home, and the process environment is never written;
* dbt's ``target/`` and ``logs/`` under ``<home>/dbt/`` (``--target-path``, ``--log-path``:
  parallel homes never collide; the manifest stays between runs so partial parsing skips the
  ~9 s parse);
* an exclusive file lock ``<home>/warehouse/.build.lock`` around it (DuckDB allows one writer);
* vars (stable from night to night, so partial parsing holds): the lake path (the one way dbt
  learns it), the datasets with no partition yet (``lake_missing``), the Scope 2 basis;
* run-time parameters in ``<home>/dbt/build_params.json`` from the lake-state diff
  (``carbon.pipeline.warehouse.state``): the months to post, the factor as-of date, the lake days
  that changed since the last successful build.

Before dbt, the CEADs reference figures are imported to ``<lake>/reference_ceads``
(``carbon.pipeline.warehouse.reference``). Elsewhere in this package: the seeds
(``seeds``), the month record (``months``), the headline figures (``headline``, reading the
mart ``ledger_headline``).
"""

from __future__ import annotations

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
from carbon.pipeline.warehouse.state import (
    BuildPlan,
    build_params_path,
    dbt_dirs,
    forget_state,
    plan_build,
    save_state,
    write_build_params,
)

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


def home_regions_path(home: str | Path | None = None) -> Path:
    """``<home>/dbt/gbt2260_regions.csv``: the home city's region tree, read by the model
    ``ref.gbt2260_regions``."""
    return dbt_dirs(home)[0].parent / "gbt2260_regions.csv"


def write_home_regions(home: str | Path | None = None) -> Path:
    """Write the home city's region tree (``carbon.domain.codes.home_regions`` of
    ``Paths.city_code``) for dbt, atomically and only when its content changes."""
    from carbon.domain.codes import home_regions
    from carbon.pipeline.lake import atomic_path

    p = paths(home)
    out = home_regions_path(p.home)
    text = home_regions(p.city_code).to_csv(index=False, lineterminator="\n")
    if out.exists() and out.read_text(encoding="utf-8") == text:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return out


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
        "regions_path": str(home_regions_path(p.home)),
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


def profiles_dir(home: str | Path | None = None) -> Path:
    """``<home>/dbt/``, holding ``profiles.yml``: the repo's profile with this home's warehouse
    and, when ``CARBON_DUCKDB_MEMORY`` is set, its DuckDB memory limit (e.g. ``12GB``).

    Rewritten only when its text changes (partial parsing keys on the profile)."""
    import yaml

    p = paths(home)
    spec = yaml.safe_load((REPO_ROOT / "profiles.yml").read_text(encoding="utf-8"))
    memory = os.environ.get("CARBON_DUCKDB_MEMORY", "").strip()  # read, never written
    for target in spec["carbon"]["outputs"].values():
        target["path"] = str(p.warehouse)
        if memory:
            target.setdefault("settings", {})["memory_limit"] = memory
    text = "# written by carbon.pipeline.warehouse.build from the repo's profiles.yml\n"
    text += yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    d = dbt_dirs(p.home)[0].parent
    d.mkdir(parents=True, exist_ok=True)
    f = d / "profiles.yml"
    if not f.exists() or f.read_text(encoding="utf-8") != text:
        from carbon.pipeline.lake import atomic_path

        with atomic_path(f) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return d


def run_dbt(args: list[str], home: str | Path | None = None) -> tuple[bool, object]:
    """Invoke dbt in-process: the project at the repo root, the profile, target and logs under
    the data home. No environment variable is read or written for the home."""
    from dbt.cli.main import dbtRunner

    p = paths(home)
    target, logs = dbt_dirs(p.home)
    target.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    if not build_params_path(p.home).exists():
        write_build_params(p.home)  # no runner plan: all months, full personal rebuild
    write_home_regions(p.home)
    sub, rest = args[:1], args[1:]
    globals_ = []
    while sub and sub[0].startswith("--"):  # global flags before the sub-command (--quiet)
        globals_.append(sub[0])
        sub, rest = rest[:1], rest[1:]
    full = [
        *globals_,
        "--no-send-anonymous-usage-stats",
        *sub,
        *rest,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(profiles_dir(p.home)),
        "--target-path",
        str(target),
        "--log-path",
        str(logs),
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
    lock_timeout: float | None = None,
) -> BuildResult:
    """One ``dbt build`` of the whole project (or ``select``) against the data home.

    ``lock_timeout``: seconds to wait for another warehouse writer (None: env
    ``CARBON_WAREHOUSE_LOCK_TIMEOUT``, else 0)."""
    p = paths(home)
    t0 = time.perf_counter()
    with warehouse_lock(p.home, lock_timeout):
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
