"""The Sail server's lifecycle, and engine choices refused before anything starts.

The server tests run dltflow in a child Python process (a Sail session would put this
process in Spark Connect mode) and watch the server process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.exceptions import ConfigError
from dltflow.local.engines.session import get_spark, resolve_engine

ROOT = Path(__file__).resolve().parents[2]
STARTS_SAIL = """
import os, signal, sys, time
from dltflow.local.engines.sail import sail_url, _server
from dltflow.local.engines import sail
url = sail_url()
print(url, sail._server._process.pid, flush=True)
how = sys.argv[1]
if how == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
elif how == "interrupt":
    time.sleep(60)
"""


def _gone(pid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a zombie of the (dead) parent is reaped by init; treat "not running" as gone
        if _state(pid) in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "X"


@pytest.mark.process
@pytest.mark.parametrize("how", ["exit", "kill", "interrupt"])
def test_the_server_stops_with_its_process(how: str) -> None:
    pytest.importorskip("pysail")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                        os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-c", STARTS_SAIL, how], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    url, pid = parent.stdout.readline().split()
    assert url.startswith("sc://127.0.0.1:")
    if how == "interrupt":
        parent.send_signal(signal.SIGINT)  # Ctrl-C
    parent.wait(timeout=30)
    parent.stdout.close()
    assert _gone(int(pid)), f"the Sail server {pid} outlived dltflow ({how})"


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown engine 'duckdb'"):
        resolve_engine("duckdb")


def test_sail_takes_no_remote_url() -> None:
    with pytest.raises(ConfigError, match="Sail engine runs its own server"):
        get_spark("sc://127.0.0.1:1", engine="sail")


def test_cli_refuses_remote_with_sail(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(ROOT / "samples/pipelines/simple.py"),
                                      "--remote", "sc://127.0.0.1:1", "--engine", "sail",
                                      "--warehouse", str(tmp_path)])
    assert result.exit_code == 2
    assert "give --remote or --engine sail, not both" in result.output


def test_missing_pysail_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from dltflow.exceptions import EngineStartFailed
    from dltflow.local.engines import sail

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pysail" else real(name, *a))
    with pytest.raises(EngineStartFailed, match=r'pip install "dltflow\[sail\]"'):
        sail.start_sail()
