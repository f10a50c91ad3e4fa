"""Every ``carbon`` argument is checked before anything runs: a bad one is one line, exit code 2.

The commands run as real processes (``python -m carbon.cli``), so the exit code and the absence
of a traceback are what a user sees."""

from __future__ import annotations

import subprocess
import sys

import pytest

from carbon.config import REPO_ROOT
from carbon.orchestration.nightly import NIGHTLY_STEPS


def carbon(*args: str, home=None, timeout: float = 120) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    if home is not None:
        env["CARBON_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "carbon.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


BAD = [
    # (argv, text the one-line error must contain)
    (
        ["nightly", "--skip", "bogus"],
        "Invalid value for '--skip': 'bogus' is not one of "
        + ", ".join(repr(s.name) for s in NIGHTLY_STEPS),
    ),
    (["nightly", *(a for s in NIGHTLY_STEPS for a in ("--skip", s.name))], "nothing to run"),
    (["nightly", "--period", "2026-13"], "month 13 does not exist"),
    (["nightly", "--period", "2026-02-30"], "not a calendar day"),
    (["nightly", "--period", "last-week"], "is not a period"),
    (["ledgers", "close-month", "2026-13"], "month 13 does not exist"),
    (["ledgers", "close-month", "26-10"], "is not a month"),
    (["ledgers", "close-month", "2999-01"], "year must be in"),
    (["ledgers", "close-month", "2099-01"], "is in the future"),
    (
        ["ledgers", "reopen-month", "2026-10"],
        "Missing option '--by'",
    ),
    (["ledgers", "reopen-month", "2026-10", "--by", " ", "--reason", "typo"], "non-empty name"),
    (["ledgers", "build", "--months", "2026-1x"], "is not a month"),
    (["ledgers", "build", "--months"], "Option '--months' requires an argument"),
    (["ledgers", "build", "--as-of", "2026-02-29"], "not a calendar day"),
    (["ledgers", "build", "--lock-timeout", "-1"], "0 or more seconds"),
    (["ledgers", "build", "--basis", "spot"], "'spot' is not one of 'location', 'market'"),
    (["demo-data", "--scale", "huge"], "'huge' is not one of 'tiny', 'small', 'city'"),
    (["demo-data", "--seed", "-1"], "must be 0 or more"),
    (["demo-data", "--seed", "4.2"], "is not an integer"),
    (["demo-data", "--defect-rate", "1.5"], "share in [0, 1)"),
    (["demo-data", "--defect-rate", "nan"], "share in [0, 1)"),
    (["demo-data", "--start", "2025-00"], "month 00 does not exist"),
    (["demo-data", "--end", "2026-10"], "is not a date"),
    (["demo-data", "--daily-days", "0"], "must be at least 1"),
    (["demo-data", "--start", "2026-11", "--end", "2026-10-31"], "--start 2026-11 is after --end"),
    (["dispatch", "--scenario", "scenarios/nope.yaml"], "no such file"),
    (["dispatch", "--scenario", "scenarios/yancheng_dc.yaml", "--horizon", "7"], "not a horizon"),
    (["dispatch", "--scenario", "scenarios/yancheng_dc.yaml", "--horizon", "0d"], "not a horizon"),
    (["dispatch", "--scenario", "scenarios/yancheng_dc.yaml", "--window", "week"], "not a horizon"),
    (
        ["dispatch", "--scenario", "scenarios/yancheng_dc.yaml", "--date", "2026-11-31"],
        "not a calendar day",
    ),
    (
        ["dispatch", "--scenario", "scenarios/yancheng_dc.yaml", "--time-limit", "0"],
        "positive number",
    ),
    (
        ["dispatch", "--scenario", "scenarios/yancheng_dc.yaml", "--solver", "gurobi"],
        "'gurobi' is not one of 'highs', 'cbc'",
    ),
    (["--home", "README.md", "ledgers", "months"], "is not a directory"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["forecast", "--date", "2026-13-01"], "not a calendar day"),
    (["replan", "--now", "yesterday"], "is not a time"),
    (["replan", "--now", "2026-10-31T14:05", "--solver", "glpk"], "'glpk' is not one of"),
    (["forecast", "--date", "2026-11-01", "--history-days", "0"], "must be at least 1"),
    (["ledgers", "reopen-month", "2026-10", "--by", "me"], "Missing option '--reason'"),
]


@pytest.mark.parametrize(("argv", "expect"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_argument_is_one_line_and_exit_2(tmp_path, argv, expect):
    proc = carbon(*argv, home=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1, proc.stderr
    assert expect in errors[0], proc.stderr
    # nothing ran: the data home is untouched
    assert list(tmp_path.iterdir()) == []


def test_the_current_month_cannot_be_closed(tmp_path):
    from carbon.domain.periods import today_local

    t = today_local()
    proc = carbon("ledgers", "close-month", f"{t.year:04d}-{t.month:02d}", home=tmp_path)
    assert proc.returncode == 2
    assert "has not ended yet" in proc.stderr and "Traceback" not in proc.stderr


def test_help_of_every_command_lists_the_exit_codes():
    from carbon.cli import COMMANDS

    for cmd in [None, *COMMANDS]:
        if cmd == "airflow":  # its arguments are Airflow's own
            continue
        proc = carbon(*([cmd] if cmd else []), "--help")
        assert proc.returncode == 0, (cmd, proc.stderr)
        flat = " ".join(proc.stdout.replace("│", " ").split())  # rich's help boxes
        assert "2 bad command line" in flat and "3 the data home is busy" in flat, (cmd, flat)


def test_the_data_home_is_passed_not_put_in_the_environment(tmp_path, monkeypatch, capsys):
    """``--home`` is resolved once into ``Paths`` and passed: ``carbon`` writes no
    ``CARBON_HOME`` (the home another home's run would then inherit)."""
    import os

    from carbon.cli import main
    from carbon.pipeline.warehouse import months

    monkeypatch.delenv("CARBON_HOME", raising=False)
    assert main(["--home", str(tmp_path), "ledgers", "close-month", "2026-01", "--by", "t"]) == 0
    assert "CARBON_HOME" not in os.environ
    assert [e.month for e in months.history(tmp_path)] == ["2026-01"]  # written under --home
    assert "2026-01" in capsys.readouterr().out
