"""The ``carbon`` console script.

Each sub-command lives in its own module exposing ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Modules keep heavy imports inside ``run`` so ``carbon --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, str] = {
    "demo-data": "carbon.demo.cli",
    "nightly": "carbon.nightly",
    "dispatch": "optimizers.cli",
    "airflow": "carbon.airflow_cli",
    "ledgers": "carbon.ledgers",
    "serve": "carbon.console.cli",
}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="carbon",
        description="Three carbon accounts (三本碳账户) and 源网荷储 dispatch for green computing.",
    )
    ap.add_argument("--home", help="data home (default: $CARBON_HOME or ./data)")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # command not built yet
            raise
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.home:
        import os

        os.environ["CARBON_HOME"] = args.home
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
