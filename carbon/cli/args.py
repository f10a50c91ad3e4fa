"""Argument types, errors and exit codes of the ``carbon`` command line (typer).

The values themselves are parsed by ``carbon.domain.periods`` (one meaning of "a month"
everywhere). :func:`parser` turns such a parser into a typer ``parser=``: its ``BadValue``
becomes click's ``BadParameter``, which ``carbon.cli.main`` prints as ONE line naming the option,
with exit code 2, before anything runs. :class:`UsageError` is the same for a check that needs
several arguments or the clock.

Exit codes of every ``carbon`` command (``EXIT_*``):

* 0 — done;
* 1 — the work failed (a failed Airflow task, a failed ledger build, an infeasible plan, …);
* 2 — the command line is wrong (unknown step, month 2026-13, a future month, …): nothing ran;
* 3 — the data home is busy: another run holds its lock (the message names the holder).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

# typer (0.29) vendors click: the exceptions and classes a command line raises are typer._click's,
# not the click package's; carbon.cli catches these
from typer import Abort  # noqa: F401
from typer._click.exceptions import NoArgsIsHelpError  # noqa: F401
from typer._click.exceptions import UsageError as ClickUsageError  # noqa: F401
from typer.core import TyperGroup as Group  # noqa: F401

from carbon.domain import periods

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3

EXIT_CODES_HELP = (
    "exit codes: 0 done; 1 the work failed (named in the output); 2 bad command line, nothing "
    "ran; 3 the data home is busy (another run holds its lock, named in the message)"
)


class UsageError(periods.BadValue):
    """A command line that parsed but makes no sense (exit code 2, one line, no traceback)."""


def parser(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    """``fn`` (a ``carbon.domain.periods`` parser) as a typer ``parser=``."""

    def parse(value: Any) -> Any:
        if not isinstance(value, str):  # a default that is already a value
            return value
        try:
            return fn(value)
        except periods.BadValue as exc:
            raise typer.BadParameter(str(exc)) from None

    parse.__name__ = fn.__name__
    parse.__doc__ = fn.__doc__
    return parse


def choice(*values: str) -> Callable[[Any], Any]:
    """A typer ``parser=`` for a closed list of values; its ``metavar`` lists them (help text).

    A wrong value: ``'huge' is not one of 'tiny', 'small', 'city'``."""

    def pick(text: str) -> str:
        t = str(text).strip()
        if t not in values:
            raise periods.BadValue(f"{text!r} is not one of {', '.join(map(repr, values))}")
        return t

    fn = parser(pick)
    fn.metavar = "[" + "|".join(values) + "]"  # type: ignore[attr-defined]
    return fn


month = parser(periods.month)
day = parser(periods.day)
period = parser(periods.period)
year_or_month = parser(periods.year_or_month)
positive_int = parser(periods.positive_int)
seed = parser(periods.seed)
fraction = parser(periods.fraction)
positive_float = parser(periods.positive_float)
seconds = parser(periods.seconds)
port = parser(periods.port)
horizon = parser(periods.horizon)
existing_file = parser(periods.existing_file)
home_dir = parser(periods.home_dir)
name = parser(periods.name)
reason = parser(periods.reason)
instant = parser(periods.instant)


def paths_of(ctx: typer.Context):
    """The ``carbon.config.Paths`` the root command resolved once (``--home`` or
    ``$CARBON_HOME`` or ``./data``)."""
    from carbon.config import Paths, paths

    root = ctx.find_root()
    p = root.obj
    if not isinstance(p, Paths):
        p = root.obj = paths()
    return p


# ----------------------------------------------------------------------------- options
# One declaration per kind of option or argument: its parser and its metavar are bound here once,
# each command gives only its help text (``Annotated[str, cliargs.day_option("plan date")]``).


def option(fn: Callable[[Any], Any], metavar: str | None, help: str | None, *decls: str, **kw: Any):
    """A ``typer.Option`` parsed by ``fn`` (one of this module's parsers) and shown as ``metavar``."""
    return typer.Option(*decls, parser=fn, metavar=metavar, help=help, **kw)


def choice_option(fn: Callable[[Any], Any], help: str | None = None, *decls: str):
    """A ``typer.Option`` over a :func:`choice`: its metavar lists the values."""
    return option(fn, fn.metavar, help, *decls)  # type: ignore[attr-defined]


def month_option(help: str):
    """``--x YYYY-MM``: a calendar month (``periods.month``)."""
    return option(month, "YYYY-MM", help)


def month_argument(help: str):
    """The positional ``YYYY-MM``: a calendar month (``periods.month``)."""
    return typer.Argument(parser=month, metavar="YYYY-MM", help=help)


def day_option(help: str):
    """``--x YYYY-MM-DD``: a calendar day (``periods.day``)."""
    return option(day, "YYYY-MM-DD", help)


def days_option(help: str):
    """``--x DAYS``: a whole number of days, ≥ 1 (``periods.positive_int``)."""
    return option(positive_int, "DAYS", help)


def horizon_option(help: str):
    """``--x <n>d``: a number of days written ``7d`` (``periods.horizon``)."""
    return option(horizon, "<n>d", help)


def yaml_option(help: str):
    """``--x YAML``: an existing scenario file (``periods.existing_file``)."""
    return option(existing_file, "YAML", help)


Solver = choice("highs", "cbc")
Sites = Annotated[str | None, typer.Option(help="comma-separated site_ids (default: all)")]


def by_option(help: str):
    """``--by NAME``: who acts (``periods.name``)."""
    return typer.Option(parser=name, help=help)


def note_option(help: str):
    """``--reason`` / ``--note TEXT``: the note kept with a record (``periods.reason``)."""
    return typer.Option(parser=reason, help=help)


Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]
