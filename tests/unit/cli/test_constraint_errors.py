"""A constraint Spark cannot analyse: a short error, without pyspark's logged Java stack.

pyspark 4 logs every analysis error it raises, with the whole Java stack trace, to
stderr. ``dltflow run`` (without --verbose) sends that copy to its Spark log file and
prints only its own one-line error naming the expectation.
"""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli

BAD_CONSTRAINT = """
    import dlt

    @dlt.table
    @dlt.expect("mixed_types", "coalesce(42, false)")
    def numbers():
        return spark.range(3)
"""


@pytest.fixture
def restore_pyspark_loggers():
    logger = pytest.importorskip("pyspark.logger")
    names = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
    # pyspark's own class: a plain logging.Logger of that name would break pyspark.
    saved = {name: list(logger.PySparkLogger.getLogger(name).handlers) for name in names}
    yield
    for name, handlers in saved.items():
        logging.getLogger(name).handlers[:] = handlers


def test_analysis_error_in_a_constraint_is_short(spark: SparkSession, tmp_path: Path,
                                                 restore_pyspark_loggers: None) -> None:
    source = tmp_path / "bad.py"
    source.write_text(textwrap.dedent(BAD_CONSTRAINT))
    warehouse = tmp_path / "wh"
    result = CliRunner().invoke(cli, ["run", str(source), "--warehouse", str(warehouse)])
    assert result.exit_code == 2, result.output
    assert "expectation 'mixed_types' of dataset 'numbers' (coalesce(42, false))" in \
        result.stderr
    assert "DATATYPE_MISMATCH" in result.stderr
    assert "\tat org.apache" not in result.output and len(result.output) < 1000
    # pyspark's own copy of the error went to the run's Spark log, not the terminal.
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        assert not [h for h in logging.getLogger(name).handlers
                    if type(h) is logging.StreamHandler]
    log = (warehouse / "_logs" / "spark.log").read_text()
    assert "SQLQueryContextLogger" in log and "at org.apache.spark" in log
