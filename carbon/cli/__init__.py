"""The ``carbon`` console script (typer + rich).

Each sub-command lives in its own module of this package (``carbon.cli.<command>``; dispatch in
``optimizers.cli``). A module defines either ``app`` (a ``typer.Typer`` with sub-commands:
``ledgers``, ``alerts``, ``report``) or ``command`` (one function: the others), and ``HELP``.
Modules keep heavy imports inside the functions, so ``carbon --help`` stays fast. No command
code lives in the domain or pipeline modules: the commands parse, call, and print.

The data home is resolved ONCE, by the root callback (``--home``, else ``$CARBON_HOME``, else
``./data``), into a ``carbon.config.Paths`` kept on the click context (``args.paths_of``) and
passed explicitly to what the command calls; nothing writes ``os.environ`` (child processes —
Airflow, dbt — get their environment built for them).

Exit codes (``carbon.cli.args.EXIT_*``): 0 done; 1 the work failed; 2 bad command line, nothing
ran (one line on stderr: ``carbon <command>: error: …``); 3 the data home is busy.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from carbon.cli.args import EXIT_CODES_HELP, home_dir, option

COMMANDS: dict[str, str] = {
    "demo-data": "carbon.cli.demo_data",
    "nightly": "carbon.cli.nightly",
    "forecast": "optimizers.forecast.cli",
    "dispatch": "optimizers.cli",
    "replan": "optimizers.replan_cli",
    "airflow": "carbon.cli.airflow",
    "ledgers": "carbon.cli.ledgers",
    "alerts": "carbon.cli.alerts",
    "serve": "carbon.cli.serve",
    "report": "carbon.cli.report",
}

EPILOG = EXIT_CODES_HELP.capitalize() + "."


def build_app() -> typer.Typer:
    """The root ``carbon`` app with every command of :data:`COMMANDS` registered."""
    app = typer.Typer(
        name="carbon",
        help="Three carbon accounts (三本碳账户) and 源网荷储 dispatch for green computing.",
        epilog=EPILOG,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        home: Annotated[
            str | None,
            option(
                home_dir,
                "DIR",
                "data home: landing/, lake/, warehouse/, … (default: $CARBON_HOME or ./data)",
            ),
        ] = None,
    ) -> None:
        from carbon.config import paths

        ctx.obj = paths(home)

    for name, module in COMMANDS.items():
        mod = importlib.import_module(module)
        if hasattr(mod, "app"):
            app.add_typer(mod.app, name=name, help=mod.HELP, epilog=EXIT_CODES_HELP)
        else:
            app.command(
                name,
                help=mod.HELP,
                epilog=EXIT_CODES_HELP,
                **getattr(mod, "COMMAND_SETTINGS", {}),
            )(mod.command)
    return app


def parse_only(argv: list[str]):
    """Parse ``argv`` as ``carbon`` would, down to the last sub-command, and run nothing.

    Returns ``(command path, click context of the last command)``; raises ``click.UsageError``
    (the same error ``main`` prints, exit 2) on a bad command line. The README test uses it."""
    from carbon.cli.args import Group

    ctx = typer.main.get_command(build_app()).make_context("carbon", list(argv))
    path: list[str] = []
    while isinstance(ctx.command, Group):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        if not rest:
            break
        name, sub, rest = ctx.command.resolve_command(ctx, rest)
        path.append(name)
        ctx = sub.make_context(name, rest, parent=ctx)
    return path, ctx


def _prog(argv: list[str]) -> str:
    """``carbon <command>`` from the words of the command line (for a one-line error)."""
    words = [w for w in argv if not w.startswith("-")]
    if "--home" in argv:  # the value of the root option is not the command
        i = argv.index("--home")
        if i + 1 < len(argv) and argv[i + 1] in words:
            words.remove(argv[i + 1])
    return "carbon" + (f" {words[0]}" if words and words[0] in COMMANDS else "")


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return its exit code."""
    from carbon.cli.args import EXIT_BUSY, EXIT_USAGE, Abort, ClickUsageError, NoArgsIsHelpError
    from carbon.domain.periods import BadValue
    from carbon.pipeline.locks import LockHeld

    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(build_app())
    try:
        rv = command.main(args=args, prog_name="carbon", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        print(exc.format_message())
        return EXIT_USAGE
    except ClickUsageError as exc:  # BadParameter, NoSuchOption, MissingParameter, …
        where = exc.ctx.command_path if exc.ctx else "carbon"  # one line, naming the help
        print(
            f"{_prog(args)}: error: {exc.format_message()} (see: {where} --help)", file=sys.stderr
        )
        return EXIT_USAGE
    except BadValue as exc:  # a check that needs several arguments or the clock
        print(f"{_prog(args)}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LockHeld as exc:
        print(f"{_prog(args)}: busy: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except Abort:
        print("aborted", file=sys.stderr)
        return 130
    return int(rv or 0)


if __name__ == "__main__":
    sys.exit(main())
