"""``carbon report enterprise USCC --period 2026 --format pdf|xlsx``,
``carbon report monthly 2026-10 --format pdf|xlsx`` and ``carbon report pcf USCC PRODUCT --period
2026`` (product carbon-footprint declaration, PDF and JSON: ``carbon.reports.pcf``): reports
people send on.

Run by the bureau operator (city scope). Output: ``<home>/reports/carbon-report-…`` unless
``--out DIR``. A malformed or unknown USCC / month / year: one line, exit 2, nothing written.
"""

from __future__ import annotations

HELP = (
    "Write a report: enterprise carbon report (green loans), monthly brief (PDF or XLSX), or a"
    " product carbon-footprint declaration (PDF and JSON)."
)


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="report", required=True, metavar="KIND")
    e = sub.add_parser("enterprise", help="enterprise carbon report 企业碳账户报告 (for banks)")
    e.add_argument("uscc", help="unified social credit code (GB 32100)")
    e.add_argument("--period", required=True, help="YYYY (a year) or YYYY-MM")
    m = sub.add_parser("monthly", help="the bureau's monthly brief 月度碳排放简报")
    m.add_argument("month", help="YYYY-MM")
    m.add_argument("--region", help="a county (GB/T 2260): that district's brief; default the city")
    for s in (e, m):
        s.add_argument("--format", choices=("pdf", "xlsx"), default="pdf")
        s.add_argument("--out", help="output directory (default: <home>/reports/)")
    from carbon.cli.args import year_or_month

    f = sub.add_parser(
        "pcf", help="product carbon-footprint declaration 产品碳足迹声明 (PDF and JSON)"
    )
    f.add_argument("uscc", help="unified social credit code (GB 32100)")
    f.add_argument("product", help="product code (carbon.domain.units.PRODUCTS), e.g. cement")
    f.add_argument("--period", required=True, type=year_or_month, help="YYYY (a year) or YYYY-MM")
    f.add_argument("--out", help="output directory (default: <home>/reports/)")


def run(args) -> int:
    from pathlib import Path

    from carbon.cli.args import UsageError
    from carbon.config import paths
    from carbon.console.warehouse import NoWarehouse, Warehouse
    from carbon.reports import data
    from carbon.reports.fonts import NoCJKFont
    from carbon.reports.render import write

    if args.report == "pcf":
        return _run_pcf(args)
    wh = Warehouse()
    try:
        try:
            con = wh.cursor()
        except NoWarehouse as exc:
            raise UsageError(f"no warehouse yet ({exc}): run the nightly build first") from None
        try:
            if args.report == "enterprise":
                rep = data.enterprise(con, args.uscc, args.period)
            else:
                rep = data.monthly(con, args.month, args.region)
        except (data.BadRequest, data.NotFound) as exc:
            raise UsageError(str(exc)) from None
        out = Path(args.out) if args.out else paths().home / "reports"
        try:
            path = write(rep, args.format, out)
        except NoCJKFont as exc:
            import sys

            print(f"carbon report: error: {exc}", file=sys.stderr)
            return 1
    finally:
        wh.close()
    print(path)
    return 0


def _run_pcf(args) -> int:
    """All logic in ``carbon.reports.pcf.write_pcf_declaration``; here only the exit codes."""
    import sys
    from pathlib import Path

    from carbon.cli.args import UsageError
    from carbon.config import paths
    from carbon.reports import data
    from carbon.reports.fonts import NoCJKFont
    from carbon.reports.pcf import write_pcf_declaration

    p = paths()
    out = Path(args.out) if args.out else p.home / "reports"
    try:
        pdf, js = write_pcf_declaration(p, args.uscc, args.product, args.period, out)
    except (data.BadRequest, data.NotFound) as exc:
        raise UsageError(str(exc)) from None
    except NoCJKFont as exc:
        print(f"carbon report: error: {exc}", file=sys.stderr)
        return 1
    print(pdf)
    print(js)
    return 0
