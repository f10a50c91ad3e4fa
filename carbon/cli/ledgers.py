"""``carbon ledgers ...``: build the ledgers with dbt, close / reopen / list months, the headline.

The command line only: the build is ``carbon.pipeline.warehouse.build``, the month record
``carbon.pipeline.warehouse.months``.
"""

from __future__ import annotations

import argparse
import os

from carbon.cli import args as cliargs
from carbon.config import TZ
from carbon.pipeline.warehouse import months

HELP = (
    "build the three ledgers with dbt, close / reopen / list months, or print the headline figures"
)


def add_arguments(parser) -> None:
    parser.description = f"{HELP}. {cliargs.EXIT_CODES_HELP}"
    sub = parser.add_subparsers(dest="ledgers_cmd", required=True, metavar="SUBCOMMAND")
    b = sub.add_parser("build", help="dbt build of the ledgers (one DuckDB writer)")
    b.add_argument("--full-refresh", action="store_true", help="rebuild the journal from scratch")
    b.add_argument(
        "--months", nargs="+", type=cliargs.month, help="post only these months (YYYY-MM)"
    )
    b.add_argument(
        "--as-of", type=cliargs.day, help="only factors published on or before this date"
    )
    b.add_argument("--basis", choices=("location", "market"), help="Scope 2 basis")
    b.add_argument(
        "--lock-timeout",
        type=cliargs.seconds,
        default=None,
        help="seconds to wait for another warehouse writer (default: env "
        "CARBON_WAREHOUSE_LOCK_TIMEOUT, else 0 = fail at once, exit code 3)",
    )
    add_subcommands(sub)
    sub.add_parser("headline", help="print the headline figures")


def run(args) -> int:
    from carbon.pipeline.warehouse.build import build, headline

    if args.ledgers_cmd in COMMANDS:
        return run_months(args)
    if args.ledgers_cmd == "build":
        if args.lock_timeout is not None:
            from carbon.pipeline.locks import WAREHOUSE_TIMEOUT_ENV

            os.environ[WAREHOUSE_TIMEOUT_ENV] = str(args.lock_timeout)
        r = build(
            full_refresh=args.full_refresh,
            months=args.months,
            as_of=args.as_of,
            scope2_basis=args.basis,
            raise_on_error=False,
        )
        print(f"ledger build {'ok' if r.ok else 'FAILED'} in {r.seconds:.1f} s")
        for f in r.failures:
            print("  " + f)
        return 0 if r.ok else 1
    print(headline())
    return 0


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


def run_months(args: argparse.Namespace) -> int:
    if args.ledgers_cmd == "close-month":
        try:
            path = months.close(args.month, args.by or months.default_by(), args.reason)
        except months.MonthStateError as exc:
            print(f"carbon ledgers close-month: {exc}")
            return cliargs.EXIT_FAILED
        print(f"month {args.month} closed: {path}")
        return cliargs.EXIT_OK
    if args.ledgers_cmd == "reopen-month":
        try:
            path = months.reopen(args.month, args.by, args.reason)
        except months.MonthStateError as exc:
            print(f"carbon ledgers reopen-month: {exc}")
            return cliargs.EXIT_FAILED
        print(f"month {args.month} reopened: {path}")
        return cliargs.EXIT_OK
    events = months.history() if args.history else list(months.state().values())
    if not events:
        print("no month has been closed")
        return cliargs.EXIT_OK
    print(
        f"{'month':<9}{'seq':>4}  {'state' if not args.history else 'event':<8}{'at':<27}by / reason"
    )
    for e in events:
        label = e.event if args.history else ("closed" if e.event == months.CLOSE else "open")
        why = f" / {e.reason}" if e.reason else ""
        print(f"{e.month:<9}{e.seq:>4}  {label:<8}{e.event_at:<27}{e.event_by}{why}")
    return cliargs.EXIT_OK
