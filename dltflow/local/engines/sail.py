"""The Sail engine: an embedded Spark Connect server written in Rust, no JVM.

:func:`sail_url` starts one Sail server per process, in a child process it owns (see
``_sail_server.py`` for why a child), on a free 127.0.0.1 port, and returns its
``sc://`` URL. The server is stopped when the process exits, including after Ctrl-C;
were the process killed, the child notices its closed stdin and stops itself.

Installed with ``pip install "dltflow[sail]"`` (the ``pysail`` package).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from dltflow.exceptions import EngineStartFailed

START_TIMEOUT_S = 60.0
_SCRIPT = Path(__file__).with_name("_sail_server.py")


class SailServer:
    """One Sail Spark Connect server in a child process.

    Args:
        log_file: where the server's own output goes; None leaves it on the terminal.
    """

    def __init__(self, log_file: Path | None = None) -> None:
        self.log_file = log_file
        self.port: int | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        """The ``sc://`` URL of the server, once it listens (waits for it).

        Raises:
            EngineStartFailed: the server did not come up.
        """
        if self.port is None:
            assert self._process is not None, "the Sail server was not started"
            port = _first_line(self._process, START_TIMEOUT_S)
            if not port.strip().isdigit():
                self.stop()
                raise EngineStartFailed("sail", str(self.log_file or "the terminal"),
                                        _tail(self.log_file))
            self.port = int(port)
        return f"sc://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the child; :attr:`url` waits until it listens, so the caller can do
        other work (import the Spark Connect client) meanwhile.

        Raises:
            EngineStartFailed: pysail is missing.
        """
        _require_pysail()
        log: IO[str] | None = None
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            log = self.log_file.open("a", encoding="utf-8")
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "error")}
        try:
            self._process = subprocess.Popen(
                [sys.executable, str(_SCRIPT)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, text=True, env=env)
        finally:
            if log is not None:
                log.close()  # the child holds its own copy of the descriptor

    def stop(self, *, wait: bool = True) -> None:
        """Stop the child: close its stdin, then wait; kill it if it does not exit.

        ``wait=False`` (at this process's exit): only close its stdin. The child stops
        by itself; every write it served has finished, since each request returned, so
        the command need not wait for its shutdown (about 0.1 s of a cold run).
        """
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            if not wait:
                return
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()


_server: SailServer | None = None
_lock = threading.Lock()


def start_sail(log_file: str | os.PathLike[str] | None = None) -> SailServer:
    """This process's Sail server, started (not yet waited for) on first use."""
    global _server
    with _lock:
        if _server is None or not _server.running:
            server = SailServer(Path(log_file) if log_file is not None else None)
            server.start()
            atexit.register(server.stop, wait=False)
            _server = server
        return _server


def sail_url(log_file: str | os.PathLike[str] | None = None) -> str:
    """The URL of this process's Sail server, started on first use."""
    server = start_sail(log_file)
    with _lock:
        return server.url


def _require_pysail() -> None:
    """Fail early, with the install command, when pysail is missing (found, not imported:
    only the child needs it)."""
    import importlib.util

    if importlib.util.find_spec("pysail") is None:
        raise EngineStartFailed(
            "sail", "", "pysail is not installed",
            hint='install the Sail engine with: pip install "dltflow[sail]"')


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The child's first output line, or "" when it exits or stays silent too long."""
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(
        process.stdout.readline() if process.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0] if line else ""


def _tail(log_file: Path | None, lines: int = 15) -> str:
    if log_file is None:
        return ""
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
