"""Importing dltflow and asking for help must not start (or even import) pyspark."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("code", [
    "import dltflow, dltflow.quality, dltflow.graph",
    "import sys; sys.argv = ['dltflow', '--help']\n"
    "from dltflow.cli.interface import cli\n"
    "try:\n    cli()\nexcept SystemExit:\n    pass",
])
def test_no_pyspark_import(code: str) -> None:
    check = code + "\nimport sys\nassert 'pyspark' not in sys.modules, 'pyspark imported'"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
