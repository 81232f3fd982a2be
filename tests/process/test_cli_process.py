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
