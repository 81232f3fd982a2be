"""A failing ``dltflow run`` and ``dltflow graph`` print only dltflow's own lines, on both
engines: no JVM start-up lines, no log4j warnings, no Java stack, no Python traceback.

Each command runs in a fresh process, as a user starts it (a JVM already started by the
test session would hide the start-up lines).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.broken import BROKEN_ORDERS

NOISE = ("WARN", "log4j", "incubator", "SQLQueryContextLogger", "Traceback", "\tat ",
         "setLogLevel", "NativeCodeLoader")


def _dltflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from dltflow.cli.interface import cli; cli()",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    (tmp_path / "orders.py").write_text(textwrap.dedent(BROKEN_ORDERS))
    return tmp_path


@pytest.mark.parametrize("engine", ["jvm", "sail"])
def test_failing_run_prints_only_dltflow_lines(broken: Path, engine: str) -> None:
    for output in ("text", "json"):
        done = _dltflow("run", "orders.py", "--engine", engine, "--output", output,
                        "--warehouse", f"wh_{output}", cwd=broken)
        assert done.returncode == 1, done.stderr
        assert not [n for n in NOISE if n in done.stderr], done.stderr
        assert "Dataset 'orders_agg' failed" in done.stderr
        if output == "json":
            assert json.loads(done.stdout)["status"] == "FAILED"
        log = broken / f"wh_{output}" / "_logs" / "spark.log"
        assert engine == "sail" or "WARN" in log.read_text()  # Spark's lines went here


@pytest.mark.parametrize("engine", ["jvm", "sail"])
def test_graph_of_broken_pipeline_is_drawn_quietly(broken: Path, engine: str) -> None:
    done = _dltflow("graph", "orders.py", "--engine", engine, cwd=broken)
    assert done.returncode == 1
    assert not [n for n in NOISE if n in done.stderr], done.stderr
    assert done.stderr.startswith("Error: Dataset 'orders_agg' failed")
    assert "orders_agg" in done.stdout
    assert "n0 --> n1" in done.stdout and "n1 --> n2" in done.stdout
    assert "class n2,n3 failed;" in done.stdout
