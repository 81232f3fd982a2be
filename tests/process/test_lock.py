"""One update at a time per warehouse: the second waits or fails naming the holder, a
dead holder's lock is taken over, and two real concurrent runs never duplicate rows."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from dltflow.exceptions import WarehouseLocked
from dltflow.local import run
from dltflow.local.storage.lock import LOCK_FILE, warehouse_lock
from tests.support.crash_pipeline import PIPELINE, write_inputs

HOLD = """
import sys, time
from dltflow.local.storage.lock import warehouse_lock
with warehouse_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""

SIMPLE = '''
import dlt

@dlt.table
def numbers():
    return spark.range(5)
'''


def _holder(warehouse: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the warehouse's lock for ``seconds``."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse), str(seconds)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "numbers.py"
    path.write_text(SIMPLE)
    return path


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    warehouse = tmp_path / "warehouse"
    process = _holder(warehouse, 120)
    yield warehouse, process
    process.kill()
    process.wait()


def test_a_second_update_fails_at_once_naming_the_holder(
        spark: SparkSession, pipeline: Path, held: tuple[Path, subprocess.Popen[str]]) -> None:
    warehouse, holder = held
    with pytest.raises(WarehouseLocked) as caught:
        run(pipeline, spark=spark, warehouse=warehouse)
    message = str(caught.value)
    assert f"process {holder.pid} on {socket.gethostname()}" in message
    assert "running since 20" in message and "--lock-timeout" in message
    assert caught.value.holder["pid"] == holder.pid
    assert not (warehouse / "default").exists()  # nothing was written
    assert not (warehouse / "_event_log").exists()


def test_the_cli_reports_a_held_warehouse_without_a_traceback(
        spark: SparkSession, pipeline: Path, held: tuple[Path, subprocess.Popen[str]]) -> None:
    warehouse, holder = held
    outcome = CliRunner().invoke(cli, ["run", str(pipeline), "--warehouse", str(warehouse)])
    assert outcome.exit_code == 1, outcome.output
    assert f"is in use by process {holder.pid}" in outcome.output
    assert "Traceback" not in outcome.output


def test_a_waiting_update_runs_once_the_holder_finishes(
        spark: SparkSession, pipeline: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    holder = _holder(warehouse, 2)
    started = time.monotonic()
    result = run(pipeline, spark=spark, warehouse=warehouse, lock_wait=60)
    assert result.status == "COMPLETED"
    assert holder.wait(timeout=5) == 0  # it finished first: the run waited for it
    assert time.monotonic() - started >= 1.0
    assert result.table("numbers").count() == 5


def test_a_lock_left_by_a_killed_process_is_taken_over(
        spark: SparkSession, pipeline: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    holder = _holder(warehouse, 120)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert str(holder.pid) in (warehouse / LOCK_FILE).read_text()  # its name is still there
    result = run(pipeline, spark=spark, warehouse=warehouse)  # no waiting needed
    assert result.status == "COMPLETED"
    assert (warehouse / LOCK_FILE).read_text() == ""  # released, holder forgotten


def test_a_timeout_that_runs_out_says_how_long_it_waited(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    holder = _holder(warehouse, 120)
    try:
        with pytest.raises(WarehouseLocked, match=r"after waiting 0\.[3-9]"), \
                warehouse_lock(warehouse, timeout=0.3):
            pass  # pragma: no cover - never entered
    finally:
        holder.kill()
        holder.wait()


def test_two_concurrent_runs_on_one_warehouse_neither_corrupt_nor_duplicate(
        spark: SparkSession, tmp_path: Path) -> None:
    """Two real `dltflow run` processes start together on one warehouse: one waits for
    the other; the streaming tables hold each input row once."""
    landing = tmp_path / "landing"
    expected = write_inputs(landing)
    pipeline = tmp_path / "retail_cdc.py"
    pipeline.write_text(PIPELINE)
    warehouse = tmp_path / "warehouse"
    code = "from dltflow.cli.interface import cli; cli(prog_name='dltflow')"
    command = [sys.executable, "-c", code, "run", str(pipeline), "--warehouse", str(warehouse),
               "-c", f"crash.landing={landing}", "--lock-timeout", "600"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=900)[0] for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    check = run(pipeline, spark=spark, warehouse=warehouse,
                configuration={"crash.landing": str(landing)})
    assert check.datasets["orders_raw"].output_rows == 0  # nothing new: all was consumed once
    feed = sorted(r.order_id for r in check.table("order_feed").collect())
    assert feed == expected["clean"]
    assert check.table("orders_raw").count() == expected["orders"]
