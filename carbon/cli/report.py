"""``carbon report enterprise USCC --period 2026 --format pdf|xlsx``,
``carbon report monthly 2026-10 --format pdf|xlsx`` and ``carbon report pcf USCC PRODUCT --period
2026`` (product carbon-footprint declaration, PDF and JSON: ``carbon.reports.pcf``): reports
people send on.

Run by the bureau operator (city scope). Output: ``<home>/reports/carbon-report-…`` unless
``--out DIR``. A malformed or unknown USCC / month / year: one line, exit 2, nothing written.
A missing CJK font: exit 1 (a report without its Chinese is never written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from carbon.cli import args as cliargs

HELP = (
    "Write a report: enterprise carbon report (green loans), monthly brief (PDF or XLSX), or a"
    " product carbon-footprint declaration (PDF and JSON)."
)

app = typer.Typer(no_args_is_help=True)

Uscc = Annotated[
    str, typer.Argument(metavar="USCC", help="unified social credit code (GB 32100, 18 characters)")
]
FileFormat = cliargs.choice("pdf", "xlsx")
Format = Annotated[str, cliargs.choice_option(FileFormat, "file format", "--format")]
Period = Annotated[str, cliargs.option(cliargs.year_or_month, "PERIOD", "YYYY (a year) or YYYY-MM")]
Out = Annotated[
    Path | None,
    typer.Option(file_okay=False, help="output directory (default: <home>/reports/)"),
]


def _write(ctx: typer.Context, fmt: str, out: Path | None, make) -> int:
    import sys

    from carbon.console.warehouse import NoWarehouse, Warehouse
    from carbon.reports import data
    from carbon.reports.fonts import NoCJKFont
    from carbon.reports.render import write

    p = cliargs.paths_of(ctx)
    wh = Warehouse(p.home)
    try:
        try:
            con = wh.cursor()
        except NoWarehouse as exc:
            raise cliargs.UsageError(
                f"no warehouse yet ({exc}): run the nightly build first"
            ) from None
        try:
            rep = make(data, con)
        except (data.BadRequest, data.NotFound) as exc:
            raise cliargs.UsageError(str(exc)) from None
        try:
            path = write(rep, fmt, out or p.reports)
        except NoCJKFont as exc:
            print(f"carbon report: error: {exc}", file=sys.stderr)
            return cliargs.EXIT_FAILED
    finally:
        wh.close()
    print(path)
    return cliargs.EXIT_OK


@app.command(help="enterprise carbon report 企业碳账户报告 (for banks: green loans)")
def enterprise(
    ctx: typer.Context,
    uscc: Uscc,
    period: Period,
    fmt: Format = "pdf",
    out: Out = None,
) -> int:
    return _write(ctx, fmt, out, lambda data, con: data.enterprise(con, uscc, period))


@app.command(help="the bureau's monthly brief 月度碳排放简报")
def monthly(
    ctx: typer.Context,
    month: Annotated[str, cliargs.month_argument("the month of the brief")],
    region: Annotated[
        str | None,
        typer.Option(help="a county (GB/T 2260): that district's brief; default the city"),
    ] = None,
    fmt: Format = "pdf",
    out: Out = None,
) -> int:
    return _write(ctx, fmt, out, lambda data, con: data.monthly(con, month, region))


@app.command(help="product carbon-footprint declaration 产品碳足迹声明 (PDF and JSON)")
def pcf(
    ctx: typer.Context,
    uscc: Uscc,
    product: Annotated[
        str,
        typer.Argument(
            metavar="PRODUCT",
            help="product code (carbon.domain.units.PRODUCTS), e.g. cement",
        ),
    ],
    period: Period,
    out: Out = None,
) -> int:
    """All logic in ``carbon.reports.pcf.write_pcf_declaration``; here only the exit codes."""
    import sys

    from carbon.reports import data
    from carbon.reports.fonts import NoCJKFont
    from carbon.reports.pcf import write_pcf_declaration

    p = cliargs.paths_of(ctx)
    try:
        pdf, js = write_pcf_declaration(p, uscc, product, period, out or p.reports)
    except (data.BadRequest, data.NotFound) as exc:
        raise cliargs.UsageError(str(exc)) from None
    except NoCJKFont as exc:
        print(f"carbon report: error: {exc}", file=sys.stderr)
        return cliargs.EXIT_FAILED
    print(pdf)
    print(js)
    return cliargs.EXIT_OK
