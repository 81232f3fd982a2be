"""``--engine auto`` picks Sail when every flow can run there, else the JVM engine, and
says which, with the reason, in the first progress line. Fresh processes: choosing
Sail puts a process in Spark Connect mode."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SIMPLE = '''
import dlt

@dlt.table
@dlt.expect_or_drop("even", "id % 2 = 0")
def numbers():
    return spark.range(10)

@dlt.table
def total():
    return dlt.read("numbers").selectExpr("sum(id) AS s")
'''

STATEFUL = '''
import dlt

@dlt.table
def events():
    return spark.readStream.format("json").schema("k string, v long").load(LANDING)

@dlt.table
def per_key():
    return dlt.read_stream("events").groupBy("k").count()
'''


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from dltflow.cli.interface import cli; cli()",
                           "run", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_auto_picks_sail_for_a_pipeline_it_can_run(tmp_path: Path) -> None:
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    done = _run(tmp_path, "simple.py", "--engine", "auto", "--warehouse", "wh")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "engine: sail (every flow can run on sail)"
    assert '"current_format": "delta"' in (tmp_path / "wh/default/total/_dltflow.json"
                                           ).read_text()
    again = _run(tmp_path, "simple.py", "--warehouse", "wh", env={"DLTFLOW_ENGINE": "auto"})
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == "engine: sail (the warehouse wh was built with sail)"


def test_auto_picks_jvm_for_a_streaming_aggregation(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.json").write_text('{"k": "a", "v": 1}\n{"k": "a", "v": 2}\n')
    text = textwrap.dedent(STATEFUL).replace("LANDING", repr(str(landing)))
    (tmp_path / "stateful.py").write_text(text)
    done = _run(tmp_path, "stateful.py", "--engine", "auto", "--warehouse", "wh")
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("engine: jvm (per_key needs an aggregation of a stream")
    assert "stateful.py:" in first
    assert '"current_format": "parquet"' in (tmp_path / "wh/default/per_key/_dltflow.json"
                                             ).read_text()


@pytest.mark.parametrize("engine", ["jvm", "sail"])
def test_explicit_engine_wins(tmp_path: Path, engine: str) -> None:
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    done = _run(tmp_path, "simple.py", "--engine", engine, "--warehouse", "wh")
    assert done.returncode == 0, done.stderr
    assert not done.stderr.startswith("engine:")
