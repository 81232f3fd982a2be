"""Independent batch datasets run at once where the engine allows (local JVM Spark and
Sail), with the events, figures and failures of a run one dataset at a time. The
suite's session is told how many may run at once (``assuming``), so each test says
which path it takes; the scheduler itself is what runs."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.graph import api as dlt
from dltflow.local import run
from dltflow.local.engines.capabilities import assuming
from dltflow.local.events import FlowFinished, FlowStarted


def _at_run_time(query: Callable[[], DataFrame], during_run: Callable[[], None]
                 ) -> Callable[[], DataFrame]:
    """``query``, calling ``during_run`` first when the runner calls it (the first
    call is the plan's analysis, the second the run)."""
    calls = Counter[str]()

    def wrapped() -> DataFrame:
        calls["n"] += 1
        if calls["n"] == 2:
            during_run()
        return query()

    return wrapped


def test_independent_datasets_run_at_once(spark: SparkSession, tmp_path: Path) -> None:
    """Both queries wait for each other: run one at a time, the first would wait alone
    until the barrier broke and fail its dataset."""
    both = threading.Barrier(2, timeout=30)

    def pipeline() -> None:
        dlt.table(name="left")(_at_run_time(lambda: spark.range(3), both.wait))
        dlt.table(name="right")(_at_run_time(lambda: spark.range(4), both.wait))

    with assuming(spark, concurrent_flows=4):
        result = run(pipeline, spark=spark, warehouse=tmp_path)
    assert result.status == "COMPLETED", result.error
    assert (result.datasets["left"].output_rows, result.datasets["right"].output_rows) == (3, 4)


def _tree(spark: SparkSession) -> Callable[[], None]:
    """Fifteen tables in a binary tree with expectations, one failing table whose
    subtree is skipped, and a view."""
    def pipeline() -> None:
        @dlt.table(name="t0")
        @dlt.expect_or_drop("kept", "id % 7 <> 0")
        def t0() -> DataFrame:
            return spark.range(200).withColumn("v", F.col("id") * 2)

        for i in range(1, 15):
            parent = f"t{(i - 1) // 2}"

            def query(parent: str = parent, i: int = i) -> DataFrame:
                if i == 4:
                    return dlt.read(parent).withColumn("x", F.expr("assert_true(id < 0)"))
                return dlt.read(parent).filter(F.col("id") % 11 != i)

            checks = dlt.expect("small", f"id < {100 + i}")(query)
            dlt.table(name=f"t{i}")(checks) if i != 6 else dlt.view(name=f"t{i}")(checks)

    return pipeline


def _comparable(events: list[Any]) -> list[Any]:
    """The flow events without their wall times and error texts' stack details."""
    return [dataclasses.replace(e, duration_s=0.0, error=(e.error or "")[:60])
            if isinstance(e, FlowFinished) else e
            for e in events if isinstance(e, (FlowStarted, FlowFinished))]


def test_events_figures_and_failures_are_those_of_one_at_a_time(spark: SparkSession,
                                                                tmp_path: Path) -> None:
    alone: list[Any] = []
    at_once: list[Any] = []
    with assuming(spark, concurrent_flows=1):
        sequential = run(_tree(spark), spark=spark, warehouse=tmp_path / "alone",
                         on_event=alone.append)
    with assuming(spark, concurrent_flows=4):
        concurrent = run(_tree(spark), spark=spark, warehouse=tmp_path / "at_once",
                         on_event=at_once.append)
    assert sequential.status == concurrent.status == "FAILED"
    assert _comparable(at_once) == _comparable(alone)
    assert [e.dataset for e in at_once if isinstance(e, FlowStarted)] == [
        e.dataset for e in alone if isinstance(e, FlowStarted)]
    assert {n: d.to_json() for n, d in concurrent.datasets.items()} == {
        n: d.to_json() for n, d in sequential.datasets.items()}
    assert concurrent.datasets["t9"].status == "SKIPPED"  # below the failing t4
    assert concurrent.datasets["t14"].status == "COMPLETED"
    assert str(concurrent.error) == str(sequential.error)
    assert sorted(concurrent.table("t13").collect()) == sorted(sequential.table("t13").collect())


def test_a_flow_with_its_own_spark_conf_runs_alone(spark: SparkSession,
                                                   tmp_path: Path) -> None:
    """The conf is set on the session while its flow runs: a sibling running then
    would see it."""
    seen: list[str] = []
    default = spark.conf.get("spark.sql.shuffle.partitions")

    def look() -> None:
        seen.append(spark.conf.get("spark.sql.shuffle.partitions"))

    def pipeline() -> None:
        dlt.table(name="tuned", spark_conf={"spark.sql.shuffle.partitions": "3"})(
            _at_run_time(lambda: spark.range(5), lambda: time.sleep(0.5)))
        for name in ("before", "after", "later"):
            dlt.table(name=name)(_at_run_time(lambda: spark.range(2), look))

    with assuming(spark, concurrent_flows=4):
        result = run(pipeline, spark=spark, warehouse=tmp_path)
    assert result.status == "COMPLETED", result.error
    assert seen == [default] * 3


def test_local_engines_run_several_datasets_at_once(spark: SparkSession) -> None:
    """Local JVM Spark and Sail overlap one dataset's driver work with another's job;
    another Spark Connect server runs one at a time."""
    from dltflow.local.engines.capabilities import CONCURRENT_FLOWS, capabilities

    record = capabilities(spark)
    assert record.concurrent_flows == (1 if record.engine == "connect" else CONCURRENT_FLOWS)
    assert CONCURRENT_FLOWS > 1
