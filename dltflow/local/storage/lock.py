"""One update at a time per warehouse: an OS file lock that names its holder.

Two updates writing the same tables, checkpoints and CDC state would interleave
their commits. The lock is an advisory lock the operating system holds on
``<warehouse>/_dltflow.lock`` for the open file (``flock`` on POSIX, ``msvcrt`` on
Windows): it is released by the kernel when its process ends in any way, so a lock
left by a killed run is never stale and is simply taken over. The file's content
(pid, host, start time) only serves to name the holder in the waiting run's error.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from dltflow.exceptions import WarehouseLocked
from dltflow.local.storage.safepath import inside

LOCK_FILE = "_dltflow.lock"
TIMEOUT_ENV = "DLTFLOW_LOCK_TIMEOUT"
_POLL_S = 0.2


@contextmanager
def warehouse_lock(warehouse: Path | str, *, timeout: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's lock while the block runs.

    Args:
        warehouse: the warehouse folder (created when missing).
        timeout: seconds to wait for another update to finish; 0 fails at once.

    Raises:
        WarehouseLocked: another live process holds it (after ``timeout`` seconds).
    """
    root = Path(warehouse).resolve()
    root.mkdir(parents=True, exist_ok=True)
    path = inside(root, root / LOCK_FILE)
    handle = path.open("a+", encoding="utf-8")
    try:
        _acquire(handle, path, str(root), timeout)
        _write_holder(handle)
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            _release(handle)
    finally:
        handle.close()


def _acquire(handle: IO[str], path: Path, warehouse: str, timeout: float) -> None:
    start = time.monotonic()
    while not _try_lock(handle):
        waited = time.monotonic() - start
        if waited >= timeout:
            raise WarehouseLocked(warehouse, read_holder(path), round(waited, 1))
        time.sleep(min(_POLL_S, max(timeout - waited, 0.01)))


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about its holder (``{}`` when it says nothing usable)."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _write_holder(handle: IO[str]) -> None:
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started": started}))
    handle.flush()


def lock_timeout(value: float | None) -> float:
    """The timeout to use: ``value``, else ``DLTFLOW_LOCK_TIMEOUT``, else 0 (fail at once)."""
    if value is not None:
        return max(float(value), 0.0)
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        return max(float(raw), 0.0) if raw else 0.0
    except ValueError:
        from dltflow.exceptions import ConfigError

        raise ConfigError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds",
                          hint=f"e.g. {TIMEOUT_ENV}=60, or unset it to fail at once.") from None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
