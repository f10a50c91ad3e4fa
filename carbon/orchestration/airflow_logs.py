"""The night's figures in the Airflow task logs (the operator's view, issue 11 §5).

Every project task logs what it did through the logger ``carbon.night`` (standard ``logging``,
which the Airflow task runner routes into the task's log; ``print`` is not used for figures).
One line per figure set, greppable and stable::

    figures ingest/enterprises: files=3 rows_in=120 rows_ok=117 rows_quarantined=3 files_rejected=0

``key=value`` pairs, values without spaces. Units are named in the keys (``_tco2e``, ``_cny``).

The ingest ``publish`` tasks put the same counts on their Asset event as its ``extra``
(``ingest_extra``), so a downstream DAG (and the UI's Asset page) sees what the night loaded.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("carbon.night")

#: the keys of an ingest Asset event's ``extra`` (and of the ingest figures line)
INGEST_EXTRA_KEYS = ("rows_in", "rows_ok", "rows_quarantined", "files_rejected")


def _fmt(v) -> str:
    if isinstance(v, float):
        return repr(v)  # full precision
    return str(v).replace(" ", "_")


def figures(scope: str, **values) -> str:
    """Log one figures line for ``scope`` (e.g. ``ingest/enterprises``) and return it."""
    line = f"figures {scope}: " + " ".join(f"{k}={_fmt(v)}" for k, v in values.items())
    log.info(line)
    return line


def ingest_extra(summary: dict) -> dict:
    """The Asset event extra of one dataset's publish: rows in / ok / quarantined, files rejected."""
    return {
        "rows_in": int(summary.get("rows_in", 0)),
        "rows_ok": int(summary.get("rows_ok", 0)),
        "rows_quarantined": int(summary.get("rows_quarantined", 0)),
        "files_rejected": len(summary.get("rejected", [])),
    }


def journal_counts(home: str | Path | None = None) -> tuple[int, int]:
    """(entries, reversals) in ``ledger_entries`` now; (0, 0) before the first build. Reversals are
    the ``restatement`` entries with a negative figure (the reversal of a standing figure)."""
    from carbon.config import paths
    from carbon.pipeline.warehouse.build import warehouse_lock
    from carbon.pipeline.warehouse.headline import connect_ro

    if not paths(home).warehouse.exists():
        return 0, 0
    with warehouse_lock(home), connect_ro(home) as con:
        has = con.execute(
            """select count(*) from information_schema.tables
               where table_schema = 'main' and table_name = 'ledger_entries'"""
        ).fetchone()[0]
        if not has:
            return 0, 0
        n, rev = con.execute(
            """select count(*), count(*) filter (where entry_type = 'restatement' and tco2e < 0)
               from main.ledger_entries"""
        ).fetchone()
    return int(n), int(rev)


def ledger_figures(home: str | Path | None = None, before: tuple[int, int] = (0, 0)) -> dict:
    """What a ledger build posted and the state it left, from the warehouse (read-only, under its
    lock). ``before`` is ``journal_counts`` taken before the build.

    ``entries_posted`` / ``reversals``: rows the build appended to the journal ``ledger_entries``
    and how many of them are reversals (append-only, so the difference of the counts);
    ``city_total_tco2e``: the city's top-down Scope 1 total of its latest year ``city_year``
    (``gov_ceads_comparison``, published there in Mt, here × 10^6 in tCO2e);
    ``recon_region_months`` / ``recon_hold``: region-months reconciled and those that hold;
    ``recon_exceptions``: activity rows left out of the ledgers (``recon_exceptions``).
    """
    from carbon.pipeline.warehouse.build import warehouse_lock
    from carbon.pipeline.warehouse.headline import connect_ro

    n, rev = journal_counts(home)
    with warehouse_lock(home), connect_ro(home) as con:
        city = con.execute(
            """select c.year, c.top_down_mt from main.gov_ceads_comparison c
               join ref.gbt2260_regions r using (region_code)
               where r.level = 'city' order by c.year desc limit 1"""
        ).fetchone()
        months, hold = con.execute(
            """select count(*), count(*) filter (where reconciles
                      and household_electricity_counted_once and green_power_deducted_once)
               from main.recon_region_monthly"""
        ).fetchone()
        (exceptions,) = con.execute("select count(*) from main.recon_exceptions").fetchone()
    return {
        "entries_posted": n - before[0],
        "reversals": rev - before[1],
        "journal_entries": n,
        "city_year": int(city[0]) if city else None,
        "city_total_tco2e": float(city[1]) * 1e6 if city and city[1] is not None else None,
        "recon_region_months": int(months),
        "recon_hold": int(hold),
        "recon_exceptions": int(exceptions),
    }
