"""Closing and reopening ledger months: an append-only record in the lake.

``lake/ledger_closed_months/month=YYYY-MM/part-0.parquet`` holds every event of that month, in
order (``seq`` 1, 2, …): ``close`` or ``reopen``, when (``event_at``, Asia/Shanghai), by whom
(``event_by``) and why (``reason``). A new event rewrites the partition atomically with all the
earlier rows unchanged plus the new one: no event is ever removed or altered. A month is closed
when its latest event is ``close`` (dbt: ``stg_lake__ledger_closed_months`` lists those months;
entries posted for a closed month are final, ``is_provisional = false``). Close events also fill
``closed_at`` / ``closed_by``, the columns of the first version of this record, which is still read.

Rules (``carbon ledgers close-month`` / ``reopen-month``; exit code 2 for a bad command line):

* a month can be closed only after it has ended: from the first day of the next month in
  Asia/Shanghai (the current and future months are refused);
* closing a closed month, or reopening a month that is not closed, records nothing and fails
  (exit code 1), naming the month's current state;
* reopening needs ``--by`` and ``--reason``; both are kept in the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from carbon.config import TZ, paths
from carbon.domain import periods

DATASET = "ledger_closed_months"
KEY = "month"
CLOSE, REOPEN = "close", "reopen"
MONTHS_LOCK_TIMEOUT = 10.0
COLUMNS = ("seq", "event", "event_at", "event_by", "reason", "closed_at", "closed_by")


class MonthStateError(RuntimeError):
    """The month is already in the state asked for: nothing was recorded."""


@dataclass(frozen=True)
class MonthEvent:
    month: str
    seq: int
    event: str
    event_at: str
    event_by: str
    reason: str | None


def _schema():
    import pyarrow as pa

    return pa.schema(
        [
            ("seq", pa.int64()),
            ("event", pa.string()),
            ("event_at", pa.string()),
            ("event_by", pa.string()),
            ("reason", pa.string()),
            ("closed_at", pa.string()),
            ("closed_by", pa.string()),
        ]
    )


def _part(month: str, home) -> Path:
    from carbon.pipeline.lake import PART_FILE, partition_dir

    return partition_dir(DATASET, KEY, month, home) / PART_FILE


def _read_rows(month: str, home) -> list[dict]:
    """The stored rows of one month, normalised to ``COLUMNS`` (a first-version row, which has
    only ``closed_at`` / ``closed_by``, reads as close event 1)."""
    import pyarrow.parquet as pq

    f = _part(month, home)
    if not f.exists():
        return []
    rows = pq.read_table(f).to_pylist()
    out = []
    for i, r in enumerate(rows, start=1):
        r = {c: r.get(c) for c in COLUMNS}
        if r["event"] is None:  # first version: one row per closed month
            r.update(seq=i, event=CLOSE, event_at=r["closed_at"], event_by=r["closed_by"])
        out.append(r)
    return sorted(out, key=lambda r: r["seq"])


def history(home: str | Path | None = None, month: str | None = None) -> list[MonthEvent]:
    """Every recorded event, by month then sequence."""
    lake = paths(home).lake / DATASET
    months = [month] if month else sorted(p.name.split("=", 1)[1] for p in lake.glob(f"{KEY}=*"))
    return [
        MonthEvent(m, r["seq"], r["event"], r["event_at"] or "", r["event_by"] or "", r["reason"])
        for m in months
        for r in _read_rows(m, home)
    ]


def state(home: str | Path | None = None) -> dict[str, MonthEvent]:
    """month -> its latest event (the month is closed when that event is ``close``)."""
    out: dict[str, MonthEvent] = {}
    for e in history(home):
        out[e.month] = e
    return out


def closed_months(home: str | Path | None = None) -> list[str]:
    return sorted(m for m, e in state(home).items() if e.event == CLOSE)


def _now() -> str:
    return datetime.now(ZoneInfo(TZ)).isoformat(timespec="seconds")


def _append(month: str, event: str, by: str, reason: str | None, home, expect_closed: bool):
    import pyarrow as pa

    from carbon.pipeline import locks
    from carbon.pipeline.lake import write_partition

    home = paths(home).home
    with locks.exclusive(
        locks.months_lock_path(home), "closing/reopening ledger months", timeout=MONTHS_LOCK_TIMEOUT
    ):
        rows = _read_rows(month, home)
        closed = bool(rows) and rows[-1]["event"] == CLOSE
        if closed != expect_closed:
            if closed:
                last = rows[-1]
                raise MonthStateError(
                    f"month {month} is already closed (since {last['event_at']} by "
                    f"{last['event_by']}): nothing recorded"
                )
            raise MonthStateError(
                f"month {month} is not closed"
                + (f" (reopened {rows[-1]['event_at']} by {rows[-1]['event_by']})" if rows else "")
                + ": nothing recorded"
            )
        at = _now()
        rows.append(
            {
                "seq": (rows[-1]["seq"] if rows else 0) + 1,
                "event": event,
                "event_at": at,
                "event_by": by,
                "reason": reason,
                "closed_at": at if event == CLOSE else None,
                "closed_by": by if event == CLOSE else None,
            }
        )
        table = pa.Table.from_pylist(rows, schema=_schema())
        return write_partition(DATASET, KEY, month, table, schema=_schema(), home=home)


def close(
    month: str,
    by: str = "carbon",
    reason: str | None = None,
    home: str | Path | None = None,
    *,
    today: date | None = None,
) -> Path:
    """Record that ``month`` (YYYY-MM) is closed. Raises ``periods.BadValue`` for a month that
    has not ended or is malformed, ``MonthStateError`` if it is closed already."""
    m = periods.ended_month(periods.month(month), today)
    return _append(m, CLOSE, by, reason, home, expect_closed=False)


def reopen(month: str, by: str, reason: str, home: str | Path | None = None) -> Path:
    """Record that a closed ``month`` is open again (entries posted for it are provisional again)."""
    m = periods.month(month)
    by, reason = periods.name(by), periods.reason(reason)
    return _append(m, REOPEN, by, reason, home, expect_closed=True)


# ---- the `carbon ledgers close-month | reopen-month | months` sub-commands -------------------


def default_by() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no login name (container)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
