"""The ``carbon`` console script.

Each sub-command lives in its own module of this package (``carbon.cli.<command>``) exposing
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Modules keep heavy imports inside ``run`` so ``carbon --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, str] = {
    "demo-data": "carbon.cli.demo_data",
    "nightly": "carbon.cli.nightly",
    "dispatch": "optimizers.cli",
    "airflow": "carbon.cli.airflow",
    "ledgers": "carbon.cli.ledgers",
    "alerts": "carbon.cli.alerts",
    "serve": "carbon.cli.serve",
    "report": "carbon.cli.report",
}


def build_parser() -> argparse.ArgumentParser:
    from carbon.cli.args import EXIT_CODES_HELP, home_dir

    ap = argparse.ArgumentParser(
        prog="carbon",
        description="Three carbon accounts (三本碳账户) and 源网荷储 dispatch for green computing.",
        epilog=EXIT_CODES_HELP.capitalize() + ".",
    )
    ap.add_argument("--home", type=home_dir, help="data home (default: $CARBON_HOME or ./data)")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # command not built yet
            raise
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP, epilog=EXIT_CODES_HELP)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Exit codes: ``carbon.cli.args.EXIT_*`` (0 done, 1 failed, 2 bad command line, 3 busy)."""
    from carbon.cli.args import EXIT_BUSY, EXIT_USAGE, UsageError
    from carbon.pipeline.locks import LockHeld

    parser = build_parser()
    args = parser.parse_args(argv)  # a bad argument: usage + one line on stderr, exit 2
    if args.home:
        import os

        os.environ["CARBON_HOME"] = args.home
    prog = f"carbon {args.command}"
    try:
        return int(args._module.run(args) or 0)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LockHeld as exc:
        print(f"{prog}: busy: {exc}", file=sys.stderr)
        return EXIT_BUSY


if __name__ == "__main__":
    sys.exit(main())
