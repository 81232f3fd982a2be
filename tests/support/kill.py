"""``dltflow run`` killed at a failpoint: the crash tests' one way to die mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["killed_run"]


def killed_run(arguments: Sequence[str], point: str) -> None:
    """``dltflow ARGUMENTS`` in a new process group with ``DLTFLOW_FAILPOINT=point``;
    the whole group is killed once the Python process is gone (its JVM dies with it, as
    in ``kill -9``). Fails the test when the failpoint was never reached."""
    code = "from dltflow.cli.interface import cli; cli(prog_name='dltflow')"
    process = subprocess.Popen(
        [sys.executable, "-c", code, *arguments], env={**os.environ, "DLTFLOW_FAILPOINT": point},
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=300)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert process.returncode == -signal.SIGKILL, (
        f"the failpoint {point} was never reached (exit {process.returncode}):\n{output}")
