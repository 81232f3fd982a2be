"""``dltflow run --remote sc://...``: the engine on a Spark Connect server.

The test starts a real Spark Connect server from the installed pyspark
(``spark-submit --class org.apache.spark.sql.connect.service.SparkConnectServer``) on a
free 127.0.0.1 port, and runs ``dltflow run`` in a *subprocess*: a Connect client
session and the suite's classic session cannot share one Python process cleanly.
The server is stopped (its whole process group) when the module's tests end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _spark_submit() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-submit"


def _connect_jar_present() -> bool:
    import pyspark

    return any((Path(pyspark.__file__).parent / "jars").glob("spark-connect_*.jar"))


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local Spark Connect server, started for this module and stopped after it."""
    assert _connect_jar_present(), "pyspark ships no Spark Connect jar"
    folder = tmp_path_factory.mktemp("connect-server")
    port = _free_port()
    command = [str(_spark_submit()), "--class", SERVER_CLASS, "--master", "local[2]",
               "--conf", f"spark.connect.grpc.binding.port={port}",
               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", "spark.ui.enabled=false",
               "--conf", "spark.sql.shuffle.partitions=4",
               "--conf", "spark.sql.session.timeZone=UTC",
               "--conf", f"spark.sql.warehouse.dir={folder / 'spark-warehouse'}",
               "--driver-memory", "1g"]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("SPARK_REMOTE", None)
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(command, cwd=folder, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (folder / "server.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"Spark Connect server did not start on port {port}:\n{tail}")
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def dltflow_run(*args: Any, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``dltflow run ...`` in a fresh Python process (a Connect client only)."""
    code = "from dltflow.cli.interface import cli; cli(prog_name='dltflow')"
    return subprocess.run([sys.executable, "-c", code, "run", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, **(env or {})})


def test_simple_sample_over_spark_connect(connect_url: str, tmp_path: Path) -> None:
    done = dltflow_run("samples/pipelines/simple.py", "--conf", "conf/simple.yml",
                       "--warehouse", tmp_path / "wh", "--remote", connect_url,
                       "--output", "json")
    assert done.returncode == 0, done.stderr[-3000:]
    payload = json.loads(done.stdout)
    assert payload["status"] == "COMPLETED"
    assert payload["datasets"] == {"orchestrate": {
        "output_rows": 5, "dropped_rows": 0,
        "expectations": {"check_addition": {"passed_records": 3, "failed_records": 2}}}}
    assert "STARTED" in done.stderr  # progress lines go to stderr, never into the JSON


def test_spark_remote_env_and_a_failing_update(connect_url: str, tmp_path: Path) -> None:
    conf = tmp_path / "fail.yml"
    conf.write_text("dlt:\n  func_name: orchestrate\n  expectation_action: drop\n"
                    "  expectations:\n    - {name: check_addition, constraint: result < 10}\n"
                    "    - {name: no_fives, constraint: col1 != 5, action: fail}\n",
                    encoding="utf-8")
    done = dltflow_run("samples/pipelines/simple.py", "--conf", conf,
                       "--warehouse", tmp_path / "wh", "--output", "json",
                       env={"SPARK_REMOTE": connect_url})
    assert done.returncode == 1, done.stderr[-3000:]
    payload = json.loads(done.stdout)
    assert payload["status"] == "FAILED"
    assert "no_fives" in payload["error"]
    assert payload["datasets"]["orchestrate"]["expectations"]["no_fives"] == {
        "passed_records": 4, "failed_records": 1}
