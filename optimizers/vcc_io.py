"""Write and read virtual capacity curves (VCC): the I/O beside the pure ``optimizers.vcc``.

One JSON document and one CSV per plan date and site, written atomically
(``carbon.pipeline.lake.atomic_path``; a rerun replaces them)::

    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>.json   the document (docs/vcc.schema.json)
    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>.csv    the hourly curve (optimizers.vcc.vcc_frame)

and, after each intraday re-plan from step ``k`` (``optimizers.intraday``), the site's curve of
the plan in force from then on (its document carries ``revision``, ``replan_k``, ``based_on``)::

    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>__k<kk>.json / .csv
    <home>/outputs/dispatch/vcc/<YYYY-MM-DD>__<site_id>.latest.json   copy of the highest k's JSON

The ``.latest.json`` copy is what an admission controller reads once the day has been re-planned
(before the first re-plan: the day-ahead ``<YYYY-MM-DD>__<site_id>.json``); a rerun of an earlier
``k`` does not move it back.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from optimizers.problem import DispatchResult, Problem
from optimizers.vcc import site_vcc, vcc_frame

VCC_DIR = "vcc"


def vcc_dir(home: str | Path | None = None) -> Path:
    """``<home>/outputs/dispatch/vcc``."""
    from carbon.config import paths

    return paths(home).outputs / "dispatch" / VCC_DIR


def write_vcc(doc: dict[str, Any], out_dir: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.csv`` atomically; returns both paths. A NaN or
    infinite number in the document is an error (``ValueError``), never written as JSON."""
    from carbon.pipeline.lake import atomic_path

    out_dir.mkdir(parents=True, exist_ok=True)
    js, csv = out_dir / f"{stem}.json", out_dir / f"{stem}.csv"
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)
    with atomic_path(js) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    with atomic_path(csv) as tmp:
        vcc_frame(doc).to_csv(tmp, index=False, encoding="utf-8")
    return js, csv


def write_site_vccs(
    result: DispatchResult,
    problem: Problem,
    scenario_name: str,
    plan_date: date,
    home: str | Path | None = None,
) -> list[str]:
    """The VCC of every site of a solved plan, written under ``vcc_dir(home)``; the paths
    (JSON, CSV per site)."""
    from optimizers.lake_keys import partition_value

    out_dir = vcc_dir(home)
    paths: list[str] = []
    for site in problem.sites:
        doc = site_vcc(result, problem, site.site_id, plan_date=plan_date, scenario=scenario_name)
        js, csv = write_vcc(doc, out_dir, partition_value(plan_date, site.site_id))
        paths += [str(js), str(csv)]
    return paths


LATEST_SUFFIX = ".latest.json"


def latest_path(plan_date: date | str, site_id: str, home: str | Path | None = None) -> Path:
    """``<vcc_dir>/<YYYY-MM-DD>__<site_id>.latest.json``: the curve in force after the day's
    latest re-plan."""
    from optimizers.lake_keys import partition_value

    return vcc_dir(home) / f"{partition_value(plan_date, site_id)}{LATEST_SUFFIX}"


def replan_ks(plan_date: date | str, site_id: str, home: str | Path | None = None) -> list[int]:
    """The ``k`` of every re-planned curve written for the site and day, ascending."""
    from optimizers.lake_keys import partition_value

    stem = partition_value(plan_date, site_id)
    pat = re.compile(re.escape(stem) + r"__k(\d+)\.json")
    d = vcc_dir(home)
    if not d.is_dir():
        return []
    return sorted(int(m.group(1)) for p in d.iterdir() if (m := pat.fullmatch(p.name)))


def write_replan_vcc(
    doc: dict[str, Any],
    plan_date: date | str,
    site_id: str,
    k: int,
    home: str | Path | None = None,
) -> dict[str, str]:
    """Write the re-planned curve of ``site_id`` from step ``k`` (``<date>__<site>__k<kk>``, JSON
    and CSV, atomically) and, when ``k`` is the highest re-plan of the day so far, its copy
    ``<date>__<site>.latest.json``.  Returns the paths: ``json``, ``csv``, ``latest`` (the
    pointer, whichever ``k`` it holds)."""
    from carbon.pipeline.lake import atomic_path
    from optimizers.lake_keys import replan_partition

    if doc.get("replan_k") != k or doc.get("site_id") != site_id:
        raise ValueError(
            f"VCC: the document is for site {doc.get('site_id')!r} re-plan k={doc.get('replan_k')},"
            f" not {site_id!r} k={k}"
        )
    js, csv = write_vcc(doc, vcc_dir(home), replan_partition(plan_date, site_id, k))
    latest = latest_path(plan_date, site_id, home)
    if k >= max(replan_ks(plan_date, site_id, home)):
        with atomic_path(latest) as tmp:
            tmp.write_bytes(js.read_bytes())
    return {"json": str(js), "csv": str(csv), "latest": str(latest)}


def read_vcc(path: str | Path) -> dict[str, Any]:
    """A VCC JSON document."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_vcc_csv(path: str | Path) -> pd.DataFrame:
    """The hourly curve CSV (``gpus`` as nullable integers, ``jobs_admitted`` as text)."""
    return pd.read_csv(
        path,
        dtype={"gpus": "Int64", "jobs_admitted": "string"},
        keep_default_na=False,
        na_values={"gpus": [""]},
    )
