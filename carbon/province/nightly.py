"""The province night's work, one function per task of ``dags/province_nightly.py``.

``city_items`` lists the city homes under the province home (the mapped task's inputs);
``run_city`` runs one city's night on its own home, every dataset's ingest
(``carbon.pipeline.ingest.pipeline.ingest_dataset``) then one ledger build
(``carbon.pipeline.warehouse.build.build``, under that city's own warehouse lock: each city has
its own DuckDB file, so cities run in parallel with one writer per file), and records its outcome
for the run (``carbon.province.rollup.write_city_status``); ``roll_up`` then rolls up the cities
whose night of this run is in. Everything comes in as arguments (the DAG's conf and run id), so
a task runs the same on any worker of any executor.
"""

from __future__ import annotations

import time
from pathlib import Path

from carbon.province import city_homes
from carbon.province.rollup import rollup, write_city_status


def city_items(province_home: str | Path) -> list[dict]:
    """One item per city home present: ``{"province_home", "city_code"}``; none is an error."""
    homes = city_homes(province_home)
    if not homes:
        raise FileNotFoundError(
            f"no city home under {Path(province_home).resolve()}/cities "
            "(run `carbon demo-data --province`)"
        )
    return [{"province_home": str(Path(province_home).resolve()), "city_code": c} for c in homes]


def run_city(
    province_home: str | Path, city_code: str, run_id: str, lock_timeout: float = 0.0
) -> dict:
    """One city's night: ingest every dataset into its lake, build its ledgers. Its outcome is
    written for ``run_id`` either way; a failure is raised again (the task fails)."""
    from carbon.config import paths
    from carbon.domain.datasets import DATASETS
    from carbon.pipeline.ingest.pipeline import ingest_dataset
    from carbon.pipeline.warehouse.build import build

    home = city_homes(province_home).get(city_code)
    if home is None:
        raise FileNotFoundError(f"no city home for {city_code} under {province_home}/cities")
    if paths(home).city_code != city_code:
        raise ValueError(
            f"{home}/city.json names {paths(home).city_code}, but the home is {city_code}'s"
        )
    t0 = time.perf_counter()
    try:
        rows = {}
        for ds in DATASETS:
            s = ingest_dataset(ds, home)
            rows[ds] = int(s.get("rows_ok", 0))
        t_ingest = time.perf_counter() - t0
        r = build(home, lock_timeout=lock_timeout)
    except BaseException as e:  # the deadline's AirflowTaskTimeout is a BaseException
        write_city_status(home, run_id, False, f"{type(e).__name__}: {str(e).splitlines()[0]}")
        raise
    write_city_status(home, run_id, True)
    return {
        "city_code": city_code,
        "rows_ok": sum(rows.values()),
        "ingest_s": round(t_ingest, 2),
        "build_s": round(time.perf_counter() - t0 - t_ingest, 2),
        "ok": bool(r.ok),
    }


def roll_up(province_home: str | Path, run_id: str | None) -> dict:
    """The province marts from the cities whose night ``run_id`` is in (the others: missing)."""
    return rollup(province_home, run_id)
