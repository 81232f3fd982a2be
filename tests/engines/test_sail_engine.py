"""The Sail engine in its own pytest run (``make test`` runs this file with
``--dltflow-engine sail``); on the JVM run it checks the fixture is the JVM's."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from dltflow.testing.plugin import dltflow_engine

ROOT = Path(__file__).resolve().parents[2]


def test_fixture_session_is_the_chosen_engine(spark: SparkSession,
                                              pytestconfig: pytest.Config) -> None:
    classic = hasattr(spark, "_jsparkSession")
    assert classic == (dltflow_engine(pytestconfig) == "jvm")
