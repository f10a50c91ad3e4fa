"""Project-wide test set-up: every test session gets its own data home, never ./data; and ONE
built demo home (tiny demo city + ``carbon nightly`` under real Airflow) per pytest run, shared by
every end-to-end test and every xdist worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# What the shared build puts in landing besides the demo city: two malformed files of kinds the
# demo generator does not make (the ingest end-to-end test checks they are rejected whole, loudly).
EXTRA_LANDING = {
    "electricity_consumption/meter_20261099_bad.csv": (
        b"account_type,account_id,date,kwh,green_kwh\nhousehold,3209000000001,2026-10-17,3,0\n"
    ),
    "fuel_consumption/fuel_2026-09_bad.xlsx": bytes(range(256)) * 40,
}


@pytest.fixture(scope="session", autouse=True)
def _isolated_carbon_home():
    """Point CARBON_HOME at a throw-away folder unless a test sets its own."""
    with tempfile.TemporaryDirectory(prefix="carbon-test-home-") as d:
        old = os.environ.get("CARBON_HOME")
        os.environ["CARBON_HOME"] = d
        os.environ.setdefault("CARBON_PSEUDONYM_SECRET", "test-secret-not-for-production")
        yield d
        if old is None:
            os.environ.pop("CARBON_HOME", None)
        else:
            os.environ["CARBON_HOME"] = old


@dataclass(frozen=True)
class DemoBuild:
    """A built demo home: ``carbon demo-data --scale tiny`` (seed 42, 1 % defects, the default
    daily window, so the injected meter anomalies are there) plus ``EXTRA_LANDING``, then
    ``carbon nightly`` (ingest, dispatch, ledgers, monitor) with the site secret ``secret``.
    ``returncode`` and ``output`` are the nightly's exit code and what it printed. READ-ONLY: a test that writes copies it
    (``demo_home_copy``)."""

    home: Path
    returncode: int
    output: str
    secret: str

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "carbon.duckdb"


def _build_demo_home(home: Path, secret: str) -> None:
    env = {**os.environ, "CARBON_HOME": str(home), "CARBON_PSEUDONYM_SECRET": secret}

    def carbon(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "carbon.cli", *argv],
            cwd=REPO,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    r = carbon("demo-data", "--scale", "tiny")
    if r.returncode != 0:
        raise RuntimeError(f"carbon demo-data failed ({r.returncode}):\n{r.stdout}")
    for rel, data in EXTRA_LANDING.items():
        (home / "landing" / rel).write_bytes(data)
    r = carbon("nightly")  # its exit code is for the tests to assert
    (home / "nightly.out").write_text(r.stdout, encoding="utf-8")
    (home / "nightly.rc").write_text(str(r.returncode), encoding="utf-8")


def _run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary root common to all xdist workers of this run (the pytest-xdist recipe)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # workers' temp dirs share this run's root
        root = root.parent
    return root


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """The shared built demo home, built once per pytest run: the first worker to ask builds it
    under a file lock in the run's common temporary root, the others wait and reuse it."""
    from filelock import FileLock

    root = _run_root(tmp_path_factory)
    home = root / "demo-build"
    done = home / ".built"
    secret = os.environ["CARBON_PSEUDONYM_SECRET"]  # every worker inherits the same environment
    with FileLock(str(root / "demo-build.lock")):
        if not done.exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            _build_demo_home(home, secret)
            done.write_text(secret, encoding="utf-8")
    assert done.read_text(encoding="utf-8") == secret, "built with another site secret"
    return DemoBuild(
        home=home,
        returncode=int((home / "nightly.rc").read_text("utf-8")),
        output=(home / "nightly.out").read_text("utf-8"),
        secret=secret,
    )


@pytest.fixture
def demo_home_copy(demo_build: DemoBuild, tmp_path: Path):
    """``demo_home_copy()`` -> a private copy of the shared built home, for a test that writes."""

    def make(name: str = "demo") -> Path:
        dst = tmp_path / name
        shutil.copytree(demo_build.home, dst, symlinks=True)
        (dst / ".built").unlink()
        return dst

    return make


# ---- the order files start in, so that two xdist workers finish together -------------------
# With ``-n 2 --dist loadfile --no-loadscope-reorder`` (run.sh) each worker takes the next whole
# file in collection order when it has fewer than two queued. Longest files first (LPT) keeps the
# workers' tails short: the first file that needs the shared demo build starts it on one worker
# while the other runs the privacy night (its own build: other seed, no site secret, planted
# rows); then the other long files by their wall time in the last run (``.pytest_cache``), or, on
# a fresh machine, the files that build their own homes / warehouses (``RUN_EARLY``).
RUN_EARLY = (
    "tests/celery/test_celery_stack.py",
    "tests/province/test_province_night.py",
    "tests/privacy/test_no_raw_identifiers.py",
    "tests/cli/test_nightly_failures.py",
    "tests/ledgers/test_ledger_marts.py",
    "tests/ledgers/test_exceptions.py",
    "tests/personal/test_personal_dbt.py",
    "tests/cli/test_locks.py",
    "tests/dispatch/test_dag.py",
    "tests/ledgers/test_heat_split.py",
    "tests/personal/test_incremental_build.py",
    "tests/personal/test_baseline_boundaries.py",
)
_CACHE_KEY = "carbon/file_seconds"


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(session, config, items):
    seconds: dict[str, float] = config.cache.get(_CACHE_KEY, {}) if config.cache else {}
    files = list(dict.fromkeys(_file_of(i.nodeid) for i in items))
    shared = next(
        (
            _file_of(i.nodeid)
            for i in items
            if {"demo_build", "built_warehouse"} & set(getattr(i, "fixturenames", ()))
        ),
        None,
    )
    early = {f: n for n, f in enumerate(RUN_EARLY)}

    def rank(f: str) -> tuple:
        if f == shared:
            return (0, 0.0, 0)
        if f in seconds:  # measured: longest first
            return (1, -seconds[f], 0)
        return (2, 0.0, early.get(f, len(early)))  # fresh machine: the known-long ones first

    order = {f: n for n, f in enumerate(sorted(files, key=rank))}
    items.sort(key=lambda i: order[_file_of(i.nodeid)])  # stable: a file's own order is kept


_seconds_this_run: dict[str, float] = {}


def pytest_runtest_logreport(report):
    f = _file_of(report.nodeid)
    _seconds_this_run[f] = _seconds_this_run.get(f, 0.0) + report.duration


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if hasattr(config, "workerinput") or config.cache is None or not _seconds_this_run:
        return  # an xdist worker (the controller sees every report) or nothing ran
    seconds = dict(config.cache.get(_CACHE_KEY, {}))
    seconds.update({f: round(s, 1) for f, s in _seconds_this_run.items()})
    config.cache.set(_CACHE_KEY, seconds)
