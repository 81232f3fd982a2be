"""The Sail engine gives the same tables and figures as the JVM engine, row for row.

Every scenario of ``tests/support/scenarios.py`` runs on the suite's JVM session here and on Sail in
a child process (``sail_side.py``, run once for the module); the updates' figures
must be equal and every table identical (chispa, any row order).
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from tests.support.scenarios import SCENARIOS

pytest.importorskip("pysail", reason='the Sail engine is not installed (dltflow[sail])')
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.process  # Sail's side runs in a child process


@pytest.fixture(scope="module")
def on_sail(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every scenario's outcome on the Sail engine."""
    folder = tmp_path_factory.mktemp("sail-side")
    out = folder / "outcomes.pickle"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(ROOT / "tests/engines/sail_side.py"),
                           str(out), str(folder / "work")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    outcomes: dict[str, Any] = pickle.loads(out.read_bytes())
    return outcomes


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_sail_matches_jvm(name: str, on_sail: dict[str, Any], spark: SparkSession,
                          tmp_path: Path) -> None:
    sail = on_sail[name]
    assert "error" not in sail, sail.get("error")
    jvm = SCENARIOS[name](spark, tmp_path)
    assert sail["updates"] == jvm["updates"]
    assert set(sail["tables"]) == set(jvm["tables"])
    for table, (schema, rows) in sail["tables"].items():
        expected = jvm["tables"][table]
        got = spark.createDataFrame(rows, StructType.fromJson(json.loads(schema)))
        assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True,
                           ignore_column_order=False)
