"""The reports tests reuse the console tests' fixtures: one demo nightly per test run (shared by
xdist workers through a file lock), a module home with demo users and signed-in clients."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_console_conftest_for_reports", Path(__file__).parents[1] / "console" / "conftest.py"
)
_console = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_console)

built_warehouse = _console.built_warehouse
home = _console.home
logins = _console.logins
app = _console.app
client_for = _console.client_for
