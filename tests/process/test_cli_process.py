"""``dltflow`` in a fresh Python process: ``--help`` without pyspark, and a run that prints
only dltflow's lines while Spark's output goes to a log (moved from ``tests/unit/cli``:
a process of their own is what these tests check)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIMPLE = ROOT / "samples" / "pipelines" / "simple.py"
SIMPLE_CONF = ROOT / "conf" / "simple.yml"


def test_help_does_not_import_pyspark() -> None:
    code = ("import sys\nfrom click.testing import CliRunner\n"
            "from dltflow.cli.interface import cli\n"
            "for args in (['--help'], ['run', '--help']):\n"
            "    r = CliRunner().invoke(cli, args)\n"
            "    assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_run_shows_only_dltflow_lines_and_keeps_spark_output_in_a_log(tmp_path: Path) -> None:
    # A fresh process, so dltflow starts the JVM itself (the test session is not reused).
    warehouse = tmp_path / "wh"
    out = subprocess.run(
        [sys.executable, "-c", "from dltflow.cli.interface import cli; cli()", "run",
         str(SIMPLE), "--conf",
         str(SIMPLE_CONF), "--warehouse", str(warehouse), "--output", "json"],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "COMPLETED"  # stdout: one JSON object only
    noise = [line for line in out.stderr.splitlines()
             if "log4j" in line or " WARN " in line or "jdk.incubator" in line
             or "setLogLevel" in line]
    assert noise == []
    assert any(line.startswith("Update ") for line in out.stderr.splitlines())
    log = (warehouse / "_logs" / "spark.log").read_text()
    assert "log4j" in log  # what Spark said went to the log, not to the terminal


MAIN = "from dltflow.cli.interface import main; main()"

LINGERING_THREAD = '''
import threading
import time
from pathlib import Path

import dlt


def _later(marker):
    time.sleep(1)
    Path(marker).write_text("written after the update")


@dlt.table
def numbers():
    marker = spark.conf.get("marker")
    threading.Thread(target=_later, args=(marker,)).start()  # the user's own, not a daemon
    return spark.range(3)
'''


def test_the_command_ends_promptly_with_its_code_and_everything_written(
        tmp_path: Path) -> None:
    """``main`` ends the process without the interpreter's teardown, after the exit
    handlers: the JSON result is whole, the event log complete, error codes kept; a
    thread the pipeline left running is still waited for."""
    warehouse = tmp_path / "wh"
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "run", str(SIMPLE), "--conf", str(SIMPLE_CONF),
         "--warehouse", str(warehouse), "--engine", "sail", "--output", "json"],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "COMPLETED"
    log, = (warehouse / "_event_log").glob("*.json")
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["event_type"] == "update_progress"
    assert last["details"]["update_progress"]["state"] == "COMPLETED"

    missing = subprocess.run([sys.executable, "-c", MAIN, "run", str(tmp_path / "none.py")],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr

    source, marker = tmp_path / "lingering.py", tmp_path / "marker.txt"
    source.write_text(LINGERING_THREAD)
    lingering = subprocess.run(
        [sys.executable, "-c", MAIN, "run", str(source), "--warehouse", str(tmp_path / "wh2"),
         "--engine", "sail", "--configuration", f"marker={marker}"],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert lingering.returncode == 0, lingering.stderr
    assert marker.read_text() == "written after the update"
