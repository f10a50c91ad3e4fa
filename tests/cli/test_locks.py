"""Real OS locks between real processes: a busy home fails at once (or after the configured wait)
naming the holder; a killed holder leaves no stale lock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from carbon.config import REPO_ROOT
from carbon.pipeline import locks

HOLD = """
import sys, time
from carbon.pipeline.warehouse import build as ledgers
from carbon.pipeline import locks
home, which, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
ctx = ledgers.warehouse_lock(home) if which == "warehouse" else locks.exclusive(
    locks.nightly_lock_path(home), "the nightly run")
with ctx:
    print("HOLDING", flush=True)
    time.sleep(secs)
print("RELEASED", flush=True)
"""


def holder(home, which: str, secs: float = 60) -> subprocess.Popen:
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home), which, str(secs)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout.readline().strip() == "HOLDING"
    return p


def carbon(home, *args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "carbon.cli", "--home", str(home), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def _stop(p: subprocess.Popen) -> None:
    p.kill()
    p.wait(timeout=30)


def test_ledger_build_fails_fast_naming_the_holder(tmp_path):
    p = holder(tmp_path, "warehouse")
    try:
        t0 = time.monotonic()
        r = carbon(tmp_path, "ledgers", "build")
        fast = time.monotonic() - t0
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert fast < 60, fast  # at once (process start-up only), not the old silent hour
        msg = r.stderr
        assert f"PID {p.pid} on host {socket.gethostname()}, started 20" in msg, msg
        assert "warehouse" in msg and ".build.lock" in msg and "Traceback" not in msg
        # the headline reader too
        h = carbon(tmp_path, "ledgers", "headline")
        assert h.returncode == 3 and f"PID {p.pid}" in h.stderr
        # a configured wait: it says it waits, waits that long, then fails the same way
        t0 = time.monotonic()
        w = carbon(tmp_path, "ledgers", "build", "--lock-timeout", "3")
        waited = time.monotonic() - t0
        assert w.returncode == 3 and "after waiting 3 s" in w.stderr, w.stderr
        assert "waiting up to 3 s" in w.stderr
        assert waited >= 3, waited  # (process start-up varies too much under load to compare)
        e = carbon(tmp_path, "ledgers", "headline", env={locks.WAREHOUSE_TIMEOUT_ENV: "2"})
        assert e.returncode == 3 and "after waiting 2 s" in e.stderr, e.stderr
    finally:
        _stop(p)


def test_a_waiter_gets_the_lock_when_the_holder_ends_within_the_timeout(tmp_path):
    p = holder(tmp_path, "warehouse", secs=2)
    try:
        from carbon.pipeline.warehouse import build as ledgers

        t0 = time.monotonic()
        with ledgers.warehouse_lock(tmp_path, timeout=60):
            waited = time.monotonic() - t0
            info = locks.holder_info(tmp_path / "warehouse" / ".build.lock")
            assert info["pid"] == os.getpid()
        assert 0.5 < waited < 30, waited
        assert p.stdout.readline().strip() == "RELEASED"
        # released: the file no longer names anyone
        assert locks.holder_info(tmp_path / "warehouse" / ".build.lock") == {}
    finally:
        _stop(p)


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    p = holder(tmp_path, "nightly")
    with (
        pytest.raises(locks.LockHeld, match=f"PID {p.pid}"),
        locks.exclusive(locks.nightly_lock_path(tmp_path), "the nightly run"),
    ):
        pass
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    # the file still names the dead process, but the kernel released its lock
    assert locks.holder_info(locks.nightly_lock_path(tmp_path))["pid"] == p.pid
    with locks.exclusive(locks.nightly_lock_path(tmp_path), "the nightly run"):
        assert locks.holder_info(locks.nightly_lock_path(tmp_path))["pid"] == os.getpid()


def test_a_second_nightly_fails_at_once_naming_the_first(tmp_path):
    p = holder(tmp_path, "nightly")
    try:
        t0 = time.monotonic()
        r = carbon(tmp_path, "nightly", "--skip", "dispatch", "--skip", "ledgers")
        assert r.returncode == 3, (r.stdout, r.stderr)
        assert time.monotonic() - t0 < 60
        assert f"PID {p.pid} on host {socket.gethostname()}" in r.stderr, r.stderr
        assert "== ingest" not in r.stdout  # nothing ran
    finally:
        _stop(p)


def test_the_lock_is_reentrant_in_one_process(tmp_path):
    from carbon.pipeline.warehouse import build as ledgers

    with ledgers.warehouse_lock(tmp_path), ledgers.warehouse_lock(tmp_path):
        pass
    with ledgers.warehouse_lock(tmp_path):  # and free again afterwards
        pass
