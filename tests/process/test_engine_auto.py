"""``--engine auto``, the default of ``dltflow run`` and ``dltflow graph``, picks Sail when
every flow can run there, else the JVM engine, says which with the reason in the first
progress line, and keeps to the engine a warehouse's tables need. Fresh processes:
choosing Sail puts a process in Spark Connect mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

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


def _dltflow(cwd: Path, *args: str, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    """``dltflow ARGS`` in a fresh process, with no engine chosen unless ``env`` says."""
    base = {k: v for k, v in os.environ.items() if k != "DLTFLOW_ENGINE"}
    return subprocess.run([sys.executable, "-c", "from dltflow.cli.interface import cli; cli()",
                           *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**base, **(env or {})})


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return _dltflow(cwd, "run", *args, env=env)


def _pointer(warehouse: Path, table: str) -> dict[str, str]:
    meta: dict[str, str] = json.loads((warehouse / "default" / table / "_dltflow.json"
                                       ).read_text())
    return meta


def test_auto_is_the_default_and_picks_sail_for_a_pipeline_it_can_run(
        tmp_path: Path, spark: SparkSession) -> None:
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    done = _run(tmp_path, "simple.py", "--warehouse", "wh")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "engine: sail (every flow can run on sail)"
    # Parquet, readable by the user's own JVM session (no delta-spark there):
    total = _pointer(tmp_path / "wh", "total")
    assert total["current_format"] == "parquet"
    rows = spark.read.parquet(str(tmp_path / "wh/default/total" / total["current"])).collect()
    assert [r.s for r in rows] == [0 + 2 + 4 + 6 + 8]
    again = _run(tmp_path, "simple.py", "--warehouse", "wh", env={"DLTFLOW_ENGINE": "auto"})
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == "engine: sail (every flow can run on sail)"
    assert json.loads((tmp_path / "wh/default/_dltflow_engines.json").read_text()) == ["sail"]


def test_auto_picks_jvm_for_a_streaming_aggregation_and_keeps_to_it(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.json").write_text('{"k": "a", "v": 1}\n{"k": "a", "v": 2}\n')
    text = textwrap.dedent(STATEFUL).replace("LANDING", repr(str(landing)))
    (tmp_path / "stateful.py").write_text(text)
    done = _run(tmp_path, "stateful.py", "--warehouse", "wh")
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("engine: jvm (per_key needs an aggregation of a stream")
    assert "stateful.py:" in first
    assert _pointer(tmp_path / "wh", "per_key")["current_format"] == "parquet"
    # A pipeline Sail could run, into the warehouse JVM Spark wrote, stays on JVM.
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    again = _run(tmp_path, "simple.py", "--warehouse", "wh")
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == (
        "engine: jvm (the warehouse wh holds tables JVM Spark wrote)")
    # A full refresh rewrites every table: the warehouse no longer decides.
    fresh = _run(tmp_path, "simple.py", "--warehouse", "wh", "--full-refresh")
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stderr.splitlines()[0] == "engine: sail (every flow can run on sail)"
    assert json.loads((tmp_path / "wh/default/_dltflow_engines.json").read_text()) == ["sail"]


def test_a_delta_warehouse_stays_on_sail(tmp_path: Path) -> None:
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    first = _run(tmp_path, "simple.py", "--engine", "sail", "--warehouse", "wh")
    assert first.returncode == 0, first.stderr
    assert _pointer(tmp_path / "wh", "total")["current_format"] == "delta"
    again = _run(tmp_path, "simple.py", "--warehouse", "wh")
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[0] == (
        "engine: sail (the warehouse wh holds Delta tables, which sail reads here)")
    assert _pointer(tmp_path / "wh", "total")["current_format"] == "delta"


def test_graph_chooses_the_engine_as_run_does(tmp_path: Path) -> None:
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    drawn = _dltflow(tmp_path, "graph", "simple.py", "--warehouse", "wh")
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stderr.splitlines()[0] == "engine: sail (every flow can run on sail)"
    assert "numbers" in drawn.stdout and "total" in drawn.stdout


@pytest.mark.parametrize("engine", ["jvm", "sail"])
def test_explicit_engine_wins(tmp_path: Path, engine: str) -> None:
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    done = _run(tmp_path, "simple.py", "--engine", engine, "--warehouse", "wh")
    assert done.returncode == 0, done.stderr
    assert not done.stderr.startswith("engine:")
    assert _pointer(tmp_path / "wh", "total")["current_format"] == (
        "delta" if engine == "sail" else "parquet")


def test_auto_runs_on_jvm_when_sail_does_not_start(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    (broken / "pysail").mkdir(parents=True)  # found by the parent, fails in Sail's child
    (broken / "pysail" / "__init__.py").write_text("raise ImportError('pysail is broken')\n")
    (tmp_path / "simple.py").write_text(textwrap.dedent(SIMPLE))
    path = os.pathsep.join([str(broken), os.environ.get("PYTHONPATH", "")])
    done = _run(tmp_path, "simple.py", "--warehouse", "wh", env={"PYTHONPATH": path})
    assert done.returncode == 0, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("engine: jvm (sail did not start, see "), first
    log = first.removeprefix("engine: jvm (sail did not start, see ").removesuffix(")")
    assert "pysail is broken" in (tmp_path / log).read_text()  # why, for the user to read
    assert _pointer(tmp_path / "wh", "total")["current_format"] == "parquet"
