"""Exclusive OS locks on a data home: one nightly run, one warehouse writer, one month-close at a time.

A lock is ``fcntl.flock`` on a lock file (POSIX). The kernel drops it when the holding process
exits, however it exits (SIGKILL included), so a killed run never leaves a stale lock behind: the
file may still name the dead holder, but the next run takes the lock and overwrites it.

After taking the lock the holder writes who it is into the file (PID, host, start time, command),
so a process that finds the lock taken can say which run holds it.

Locks and their waits (seconds; 0 = fail at once):

==================  ========================================  ======================================
lock                file                                      wait
==================  ========================================  ======================================
nightly run         ``<home>/locks/nightly.lock``             never: a second ``carbon nightly``
                                                              fails at once (exit code 3)
warehouse writer    ``<home>/warehouse/.build.lock``          ``CARBON_WAREHOUSE_LOCK_TIMEOUT``
(ledger build,                                                (default 0), or ``carbon ledgers
headline)                                                     build --lock-timeout S``
month close/reopen  ``<home>/locks/ledger_months.lock``       10 s (a close is a short write)
==================  ========================================  ======================================

A lock is re-entrant within one process (a nested ``exclusive`` on the same file just counts).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from carbon.config import TZ

#: env var: seconds the warehouse lock waits for another writer before it fails (default 0)
WAREHOUSE_TIMEOUT_ENV = "CARBON_WAREHOUSE_LOCK_TIMEOUT"

_held: dict[Path, int] = {}  # lock files this process holds -> nesting depth


class LockHeld(TimeoutError):
    """The lock is held by another process (``holder``: what it wrote, or ``{}``)."""

    def __init__(self, what: str, path: Path, holder: dict, waited: float):
        self.what, self.path, self.holder, self.waited = what, path, holder, waited
        super().__init__(self._message())

    def _message(self) -> str:
        h = self.holder
        if h.get("pid"):
            who = (
                f"PID {h['pid']} on host {h.get('host', '?')}, started {h.get('started_at', '?')}"
                + (f" ({h['command']})" if h.get("command") else "")
            )
        else:
            who = "a process that has not yet written its name"
        waited = f" after waiting {self.waited:g} s" if self.waited else ""
        return f"{self.what} is locked{waited}: held by {who}; lock file {self.path}"


def holder_info(path: Path) -> dict:
    """What the holder of ``path`` wrote about itself ({} if nothing readable)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        info = json.loads(text) if text.strip() else {}
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


def timeout_from_env(name: str = WAREHOUSE_TIMEOUT_ENV, default: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r} must be >= 0 seconds")
    return value


def _me(what: str) -> dict:
    return {
        "what": what,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(ZoneInfo(TZ)).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300] if sys.argv else "",
    }


@contextmanager
def exclusive(
    path: str | Path,
    what: str,
    *,
    timeout: float = 0.0,
    poll: float = 0.2,
    on_wait=None,
) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``path`` for the block.

    Fails with ``LockHeld`` at once (``timeout=0``) or after ``timeout`` seconds of waiting.
    ``on_wait(message)`` is called once when the lock is busy and the call is going to wait."""
    path = Path(path).resolve()
    if _held.get(path):
        _held[path] += 1
        try:
            yield path
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # "a+": opening never truncates what the current holder wrote
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        t0 = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - t0
                if waited >= timeout:
                    raise LockHeld(what, path, holder_info(path), round(timeout, 3)) from None
                if on_wait is not None and not told:
                    told = True
                    on_wait(
                        f"{LockHeld(what, path, holder_info(path), 0)}: waiting up to {timeout:g} s"
                    )
                time.sleep(min(poll, max(0.0, timeout - waited)))
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(_me(what), ensure_ascii=False))
        fh.flush()
        _held[path] = 1
        try:
            yield path
        finally:
            _held.pop(path, None)
            fh.seek(0)
            fh.truncate()  # released: the file no longer names a holder
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def nightly_lock_path(home: str | Path) -> Path:
    return Path(home) / "locks" / "nightly.lock"


def months_lock_path(home: str | Path) -> Path:
    return Path(home) / "locks" / "ledger_months.lock"
