"""``carbon ledgers ...``: build the ledgers with dbt, close / reopen / list months, the headline.

The command line only: the build is ``carbon.pipeline.warehouse.build``, the month record
``carbon.pipeline.warehouse.months``, the headline figures the mart ``ledger_headline``
(``carbon.pipeline.warehouse.headline`` reads it).
"""

from __future__ import annotations

from typing import Annotated

import typer

from carbon.cli import args as cliargs
from carbon.config import TZ

HELP = (
    "build the three ledgers with dbt, close / reopen / list months, or print the headline figures"
)

app = typer.Typer(no_args_is_help=True)
Basis = cliargs.choice("location", "market")


@app.command(
    help="dbt build of the ledgers (one DuckDB writer at a time). " + cliargs.EXIT_CODES_HELP
)
def build(
    ctx: typer.Context,
    full_refresh: Annotated[
        bool, typer.Option(help="rebuild the journal from scratch (restatement of everything)")
    ] = False,
    months: Annotated[
        list[str] | None,
        cliargs.month_option(
            "post only this month (repeatable: --months 2026-09 --months 2026-10)"
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        cliargs.day_option("use only the emission factors published on or before this date"),
    ] = None,
    basis: Annotated[
        str | None,
        cliargs.choice_option(
            Basis, "Scope 2 basis: location (grid average) or market (green certificates)"
        ),
    ] = None,
    lock_timeout: Annotated[
        float | None,
        cliargs.option(
            cliargs.seconds,
            "SECONDS",
            "seconds to wait for another warehouse writer (default: env "
            "CARBON_WAREHOUSE_LOCK_TIMEOUT, else 0 = fail at once, exit code 3)",
        ),
    ] = None,
) -> int:
    from rich.console import Console

    from carbon.pipeline.warehouse.build import build as dbt_build

    p = cliargs.paths_of(ctx)
    with Console(stderr=True).status("dbt build of the ledgers 台账构建 …"):
        r = dbt_build(
            p.home,
            full_refresh=full_refresh,
            months=months,
            as_of=as_of,
            scope2_basis=basis,
            raise_on_error=False,
            lock_timeout=lock_timeout,
        )
    print(f"ledger build {'ok' if r.ok else 'FAILED'} in {r.seconds:.1f} s")
    for f in r.failures:
        print("  " + f)
    return cliargs.EXIT_OK if r.ok else cliargs.EXIT_FAILED


@app.command(help="print the headline figures 核心指标 (the mart ledger_headline)")
def headline(ctx: typer.Context) -> int:
    from rich.console import Console

    from carbon.pipeline.warehouse.headline import headline_table

    Console(width=max(Console().width, 150)).print(headline_table(cliargs.paths_of(ctx).home))
    return cliargs.EXIT_OK


def _record(command: str, month: str, done: str, act, by: str, reason, ctx) -> int:
    """``act`` (``months.close`` or ``months.reopen``) of ``month``: its record's path, or the
    refusal (``MonthStateError``) as one line and exit code 1."""
    from carbon.pipeline.warehouse import months

    try:
        path = act(month, by, reason, cliargs.paths_of(ctx).home)
    except months.MonthStateError as exc:
        print(f"carbon ledgers {command}: {exc}")
        return cliargs.EXIT_FAILED
    print(f"month {month} {done}: {path}")
    return cliargs.EXIT_OK


@app.command(
    "close-month",
    help="Close a month (YYYY-MM) that has ended (from the 1st of the next month, "
    f"{TZ}): entries posted for it from then on are final; recorded append-only in "
    "lake/ledger_closed_months. " + cliargs.EXIT_CODES_HELP,
)
def close_month(
    ctx: typer.Context,
    month: Annotated[str, cliargs.month_argument("a month that has ended")],
    by: Annotated[str | None, cliargs.by_option("who closes it (default user@host)")] = None,
    reason: Annotated[str | None, cliargs.note_option("note kept with the record")] = None,
) -> int:
    from carbon.pipeline.warehouse import months

    by = by or months.default_by()
    return _record("close-month", month, "closed", months.close, by, reason, ctx)


@app.command(
    "reopen-month",
    help="Reopen a closed month: its entries are provisional again until it is closed again. "
    "The reopening is recorded, never the close erased. " + cliargs.EXIT_CODES_HELP,
)
def reopen_month(
    ctx: typer.Context,
    month: Annotated[str, cliargs.month_argument("a closed month")],
    by: Annotated[str, cliargs.by_option("who reopens it")],
    reason: Annotated[str, cliargs.note_option("why (kept in the record)")],
) -> int:
    from carbon.pipeline.warehouse import months

    return _record("reopen-month", month, "reopened", months.reopen, by, reason, ctx)


@app.command(
    "months",
    help="List the months with a close or reopen record and their current state 月结状态.",
)
def list_months(
    ctx: typer.Context,
    history: Annotated[bool, typer.Option(help="every close/reopen event, in order")] = False,
) -> int:
    from rich.console import Console
    from rich.table import Table

    from carbon.pipeline.warehouse import months

    home = cliargs.paths_of(ctx).home
    events = months.history(home) if history else list(months.state(home).values())
    if not events:
        print("no month has been closed / 尚无月结")
        return cliargs.EXIT_OK
    t = Table(title="closed months 月结记录" + (" (history 全部事件)" if history else ""))
    for head in ("month 月份", "seq 序号", "event 事件" if history else "state 状态"):
        t.add_column(head)
    for head in (f"at 时间 ({TZ})", "by 操作人", "reason 原因"):
        t.add_column(head)
    for e in events:
        label = e.event if history else ("closed 已结" if e.event == months.CLOSE else "open 未结")
        t.add_row(e.month, str(e.seq), label, e.event_at, e.event_by, e.reason or "")
    Console(width=160).print(t)
    return cliargs.EXIT_OK
