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

import argparse
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from carbon.cli import args as cliargs
from carbon.config import TZ, paths

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
    """Record that ``month`` (YYYY-MM) is closed. Raises ``cliargs.UsageError`` for a month that
    has not ended or is malformed, ``MonthStateError`` if it is closed already."""
    import argparse as _ap

    try:
        m = cliargs.month(month)
    except _ap.ArgumentTypeError as exc:
        raise cliargs.UsageError(str(exc)) from None
    cliargs.ended_month(m, today)
    return _append(m, CLOSE, by, reason, home, expect_closed=False)


def reopen(month: str, by: str, reason: str, home: str | Path | None = None) -> Path:
    """Record that a closed ``month`` is open again (entries posted for it are provisional again)."""
    import argparse as _ap

    try:
        m = cliargs.month(month)
        by, reason = cliargs.name(by), cliargs.reason(reason)
    except _ap.ArgumentTypeError as exc:
        raise cliargs.UsageError(str(exc)) from None
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


def add_subcommands(sub) -> None:
    c = sub.add_parser(
        "close-month",
        help="close a month that has ended: entries posted for it from then on are final",
        description="Close a month (YYYY-MM) that has ended (from the 1st of the next month, "
        f"{TZ}); recorded append-only in lake/ledger_closed_months. " + cliargs.EXIT_CODES_HELP,
    )
    c.add_argument("month", type=cliargs.month, help="YYYY-MM, a month that has ended")
    c.add_argument(
        "--by", type=cliargs.name, default=None, help="who closes it (default user@host)"
    )
    c.add_argument("--reason", type=cliargs.reason, default=None, help="note kept with the record")
    r = sub.add_parser(
        "reopen-month",
        help="reopen a closed month (recorded with who and why)",
        description="Reopen a closed month: its entries are provisional again until it is closed "
        "again. The reopening is recorded, never the close erased. " + cliargs.EXIT_CODES_HELP,
    )
    r.add_argument("month", type=cliargs.month, help="YYYY-MM, a closed month")
    r.add_argument("--by", type=cliargs.name, required=True, help="who reopens it")
    r.add_argument("--reason", type=cliargs.reason, required=True, help="why (kept in the record)")
    m = sub.add_parser(
        "months",
        help="list closed and reopened months (--history: every event)",
        description="List the months with a close or reopen record and their current state.",
    )
    m.add_argument("--history", action="store_true", help="every close/reopen event, in order")


COMMANDS = ("close-month", "reopen-month", "months")


def run(args: argparse.Namespace) -> int:
    if args.ledgers_cmd == "close-month":
        try:
            path = close(args.month, args.by or default_by(), args.reason)
        except MonthStateError as exc:
            print(f"carbon ledgers close-month: {exc}")
            return cliargs.EXIT_FAILED
        print(f"month {args.month} closed: {path}")
        return cliargs.EXIT_OK
    if args.ledgers_cmd == "reopen-month":
        try:
            path = reopen(args.month, args.by, args.reason)
        except MonthStateError as exc:
            print(f"carbon ledgers reopen-month: {exc}")
            return cliargs.EXIT_FAILED
        print(f"month {args.month} reopened: {path}")
        return cliargs.EXIT_OK
    events = history() if args.history else list(state().values())
    if not events:
        print("no month has been closed")
        return cliargs.EXIT_OK
    print(
        f"{'month':<9}{'seq':>4}  {'state' if not args.history else 'event':<8}{'at':<27}by / reason"
    )
    for e in events:
        label = e.event if args.history else ("closed" if e.event == CLOSE else "open")
        why = f" / {e.reason}" if e.reason else ""
        print(f"{e.month:<9}{e.seq:>4}  {label:<8}{e.event_at:<27}{e.event_by}{why}")
    return cliargs.EXIT_OK
