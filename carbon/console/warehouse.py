"""Read the warehouse without ever blocking the nightly build.

DuckDB allows one writer per file, and a reader's read-only open takes a lock that makes the
build's write open fail. So the console never opens the live ``carbon.duckdb`` for longer than a
copy: it publishes a snapshot copy (``<home>/console/snapshots/<mtime_ns>-<size>.duckdb``) and
opens only snapshots. A copy is taken optimistically, without any lock held during the copy:

1. the build lock ``warehouse/.build.lock`` is free (probed with a non-blocking shared flock that
   is released at once) and no ``.wal`` file exists: no build is running;
2. the file is copied to a hidden temporary name;
3. the lock is still free, no ``.wal``, and the file's (mtime_ns, size) did not change: no build
   ran during the copy; otherwise the copy is discarded and the previous snapshot keeps serving;
4. the copy is renamed into place (atomic), opened read-only and becomes current.

A page served during a build thus shows the last complete build, never a half-written one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
from pathlib import Path

from carbon.config import paths


class NoWarehouse(RuntimeError):
    """No complete build has been published yet."""


def build_running(wh: Path) -> bool:
    if Path(str(wh) + ".wal").exists():
        return True
    lock = wh.parent / ".build.lock"
    if not lock.exists():
        return False
    with open(lock) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _signature(wh: Path) -> str | None:
    try:
        st = wh.stat()
    except FileNotFoundError:
        return None
    return f"{st.st_mtime_ns}-{st.st_size}"


class Warehouse:
    """Current read-only snapshot; ``cursor()`` gives a per-request DuckDB cursor on it."""

    def __init__(self, home: str | Path | None = None):
        self.home = paths(home).home
        self.live = paths(home).warehouse
        self.dir = self.home / "console" / "snapshots"
        self._lock = threading.Lock()
        self._con = None
        self._sig: str | None = None
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Publish a new snapshot if a newer complete build exists. True if one was published."""
        target = self._copy()
        if target is None:
            return False
        with self._lock:
            return self._open(target)

    def _refresh_locked(self) -> bool:
        target = self._copy()
        return False if target is None else self._open(target)

    def _copy(self) -> Path | None:
        sig = _signature(self.live)
        if sig is None or sig == self._sig or build_running(self.live):
            return None
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / f"{sig}.duckdb"
        if not target.exists():
            tmp = self.dir / f".{sig}.{os.getpid()}.{threading.get_ident()}.tmp"
            shutil.copyfile(self.live, tmp)
            if build_running(self.live) or _signature(self.live) != sig:
                tmp.unlink(missing_ok=True)
                return None
            os.replace(tmp, target)
        return target

    def _open(self, target: Path) -> bool:
        import duckdb

        if target.stem == self._sig:
            return False
        con = duckdb.connect(str(target), read_only=True)
        # the old connection is NOT closed here: requests still reading it hold cursors on it
        # (closing it made an in-flight page fail with "Connection already closed" when a new
        # build was switched in); it is released when its last cursor goes (the unlinked
        # snapshot file stays readable until then)
        self._con, self._sig = con, target.stem
        for f in self.dir.glob("*.duckdb"):  # keep only the current snapshot
            if f != target:
                f.unlink(missing_ok=True)
        return True

    def cursor(self):
        """A cursor on the current snapshot. A newer build is copied on a helper thread while
        requests keep reading the current one (only the very first snapshot is taken inline)."""
        with self._lock:
            if self._con is None:
                self._adopt_existing()
                with contextlib.suppress(OSError):
                    self._refresh_locked()
            elif _signature(self.live) not in (None, self._sig) and not self._busy():
                self._thread = threading.Thread(target=self._refresh_bg, daemon=True)
                self._thread.start()
            if self._con is None:
                raise NoWarehouse(str(self.live))
            return self._con.cursor()

    def _busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _refresh_bg(self) -> None:
        with contextlib.suppress(OSError):
            self.refresh()

    def wait(self, timeout: float = 60.0) -> None:
        """Wait for a snapshot copy in progress (tests, benchmarks)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _adopt_existing(self) -> None:
        snaps = sorted(self.dir.glob("*.duckdb")) if self.dir.exists() else []
        if snaps:
            import duckdb

            self._con = duckdb.connect(str(snaps[-1]), read_only=True)
            self._sig = snaps[-1].stem

    @property
    def build_sig(self) -> str | None:
        return self._sig

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
