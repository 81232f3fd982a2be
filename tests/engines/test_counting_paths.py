"""Both ways of counting give the same figures and tables on one JVM session.

Sail cannot observe, so the engine stages verdict columns and aggregates them instead
(:mod:`dltflow.local.execution.checked_write`). Here the suite's JVM session is made to
take that path too, and a run with Observations and a run without must agree exactly, including a
violated ``fail`` expectation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.exceptions import ExpectationFailed
from dltflow.graph import api as dlt
from dltflow.local import run
from dltflow.local.engines.capabilities import assuming, capabilities

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("people", "age_bins", "working_age", "working_age_quarantine")


@pytest.fixture
def without_observation(spark: SparkSession) -> Iterator[None]:
    with assuming(spark, can_observe=False):
        yield


def can_observe(spark: SparkSession) -> bool:
    return capabilities(spark).can_observe


def _medium(spark: SparkSession, warehouse: Path) -> Any:
    result = run(ROOT / "samples/pipelines/medium.py", conf=ROOT / "conf/medium.yml",
                 spark=spark, warehouse=warehouse, schema="counting_paths")
    assert result.status == "COMPLETED", result.error
    return result


def test_staged_verdicts_count_like_observations(spark: SparkSession, tmp_path: Path,
                                                 without_observation: None) -> None:
    assert not can_observe(spark)
    staged = _medium(spark, tmp_path / "staged")
    staged_tables = {n: staged.table(n).collect() for n in TABLES}
    with assuming(spark, can_observe=True):
        observed = _medium(spark, tmp_path / "observed")
    assert {n: d.to_json() for n, d in staged.datasets.items()} == {
        n: d.to_json() for n, d in observed.datasets.items()}
    for name, rows in staged_tables.items():
        expected = observed.table(name)
        assert_df_equality(spark.createDataFrame(rows, expected.schema), expected,
                           ignore_row_order=True)
    assert not list((tmp_path / "staged" / "_scratch").glob("verdicts-*"))  # cleaned up


def test_a_violated_fail_expectation_is_reported_the_same(spark: SparkSession,
                                                          tmp_path: Path) -> None:
    def pipeline() -> None:
        @dlt.table
        @dlt.expect("small", "n < 8")
        @dlt.expect_or_fail("not_seven", "n != 7")
        def numbers() -> DataFrame:
            return spark.range(10).withColumnRenamed("id", "n")

    def failure() -> tuple[Any, ...]:
        result = run(pipeline, spark=spark, warehouse=tmp_path / str(can_observe(spark)))
        assert result.status == "FAILED"
        assert isinstance(result.error, ExpectationFailed)
        err = result.error
        return (err.expectation, err.failed_records, err.record,
                {n: d.to_json() for n, d in result.datasets.items()})

    observed = failure()
    with assuming(spark, can_observe=False):
        staged = failure()
    assert staged == observed
    assert observed[:3] == ("not_seven", 1, {"n": 7})


def test_without_observation_each_table_costs_one_job(spark: SparkSession, tmp_path: Path,
                                                      without_observation: None) -> None:
    """A table without expectations is written and counted from its files; one with
    expectations has its staged files moved into the version: one job each either way
    (Parquet), where writing the kept rows again would be a second."""
    def pipeline() -> None:
        @dlt.table
        def numbers() -> DataFrame:
            return spark.range(100).withColumnRenamed("id", "n")

        @dlt.table
        @dlt.expect_or_drop("even", "n % 2 = 0")
        @dlt.expect("small", "n < 90")
        def evens() -> DataFrame:
            return dlt.read("numbers")

    tracker = spark.sparkContext.statusTracker()
    before = set(tracker.getJobIdsForGroup())
    result = run(pipeline, spark=spark, warehouse=tmp_path, schema="one_job")
    assert result.status == "COMPLETED", result.error
    assert len(set(tracker.getJobIdsForGroup()) - before) == 2
    assert result.datasets["numbers"].output_rows == 100
    evens = result.datasets["evens"]
    assert (evens.output_rows, evens.dropped_rows) == (50, 50)
    assert {name: counts["failed_records"] for name, counts in evens.expectations.items()} \
        == {"even": 50, "small": 10}
    assert sorted(r.n for r in result.table("evens").collect()) == list(range(0, 100, 2))
    version = next(p for p in (tmp_path / "one_job" / "evens").iterdir() if p.name[0] == "v")
    moved = [f.name for f in version.glob("*.parquet")]  # the staged files, not a rewrite
    assert moved and all(name.startswith("kept") for name in moved)
