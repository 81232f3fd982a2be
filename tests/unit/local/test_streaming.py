"""Streaming tables and append flows: available-now runs, checkpoints, full refresh."""

from __future__ import annotations

import json
from pathlib import Path

from dltflow.exceptions import ExpectationFailed
from dltflow.graph import api as dlt
from dltflow.local import run

SCHEMA = "id long, amount double"


def _drop(folder: Path, name: str, rows: list[tuple[int, float]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(json.dumps({"id": i, "amount": a}) + "\n" for i, a in rows))
    tmp.rename(folder / f"{name}.json")


def _orders_pipeline(spark, landing: Path):
    def pipeline():
        dlt.create_streaming_table("orders", expect_all_or_drop={"positive": "amount > 0"})

        @dlt.append_flow(target="orders")
        def from_web():
            return spark.readStream.schema(SCHEMA).json(str(landing / "web"))

        @dlt.append_flow(target="orders")
        def from_store():
            return spark.readStream.schema(SCHEMA).json(str(landing / "store"))

        @dlt.append_flow(target="orders", once=True)
        def backfill():
            return spark.createDataFrame([(0, 1.0)], SCHEMA)

        @dlt.table
        def big_orders():  # a streaming table reading a streaming table
            return dlt.read_stream("orders").filter("amount >= 10")

        @dlt.materialized_view
        def total():
            return dlt.read("orders").groupBy().sum("amount")

    return pipeline


def _ids(df) -> list[int]:
    return sorted(r.id for r in df.select("id").collect())


def test_append_flows_process_only_new_files_and_full_refresh_rebuilds(spark, tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    _drop(landing / "web", "w1", [(1, 5.0), (2, -1.0)])
    _drop(landing / "store", "s1", [(3, 20.0)])
    pipeline = _orders_pipeline(spark, landing)

    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert _ids(first.table("orders")) == [0, 1, 3]
    assert first.datasets["orders"].output_rows == 3
    assert first.datasets["orders"].dropped_rows == 1
    assert first.datasets["orders"].expectations["positive"] == {
        "passed_records": 3, "failed_records": 1}
    assert _ids(first.table("big_orders")) == [3]

    _drop(landing / "web", "w2", [(4, 50.0)])
    second = run(pipeline, spark=spark, warehouse=warehouse)
    assert second.status == "COMPLETED", second.error
    assert _ids(second.table("orders")) == [0, 1, 3, 4]  # nothing processed twice
    assert second.datasets["orders"].output_rows == 1
    assert second.datasets["big_orders"].output_rows == 1
    assert _ids(second.table("big_orders")) == [3, 4]
    assert second.table("total").first()[0] == 76.0
    skipped = [e for e in second.events
               if type(e).__name__ == "FlowFinished" and e.flow == "backfill"]
    assert skipped[0].status == "SKIPPED"

    by_name = run(pipeline, spark=spark, warehouse=warehouse, full_refresh=["big_orders"])
    assert _ids(by_name.table("big_orders")) == [3, 4]
    assert by_name.datasets["big_orders"].output_rows == 2
    assert by_name.datasets["orders"].output_rows == 0

    rebuilt = run(pipeline, spark=spark, warehouse=warehouse, full_refresh=True)
    assert rebuilt.status == "COMPLETED"
    assert _ids(rebuilt.table("orders")) == [0, 1, 3, 4]
    assert rebuilt.datasets["orders"].output_rows == 4
    assert spark.table("default.orders").count() == 4


def test_streaming_fail_expectation_stops_and_keeps_table(spark, tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    _drop(landing, "a", [(1, 5.0), (2, 6.0)])

    def pipeline():
        @dlt.table
        @dlt.expect_or_fail("positive", "amount > 0")
        @dlt.expect("small", "amount < 6")
        def payments():
            return spark.readStream.schema(SCHEMA).json(str(landing))

    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert first.datasets["payments"].expectations == {
        "positive": {"passed_records": 2, "failed_records": 0},
        "small": {"passed_records": 1, "failed_records": 1}}

    _drop(landing, "b", [(3, -2.0), (4, 1.0)])
    failed = run(pipeline, spark=spark, warehouse=warehouse)
    assert failed.status == "FAILED"
    assert isinstance(failed.error, ExpectationFailed)
    assert failed.error.expectation == "positive"
    assert failed.error.record == {"id": 3, "amount": -2.0}
    assert failed.datasets["payments"].expectations["positive"]["failed_records"] == 1
    assert _ids(failed.table("payments")) == [1, 2]  # the bad batch was not appended

    (landing / "b.json").unlink()
    _drop(landing, "c", [(5, 2.0)])
    retried = run(pipeline, spark=spark, warehouse=warehouse)
    assert retried.status == "COMPLETED", retried.error
    assert _ids(retried.table("payments")) == [1, 2, 5]


def test_streaming_aggregation_without_watermark_runs_in_complete_mode(spark, tmp_path):
    """Databricks' Wikipedia / retail demos aggregate a stream without a watermark."""
    from pyspark.sql import functions as F

    landing, warehouse = tmp_path / "landing", tmp_path / "wh"

    def pipeline():
        @dlt.table
        def totals():
            return (spark.readStream.schema(SCHEMA).json(str(landing))
                    .groupBy((F.col("id") % 2).alias("parity"))
                    .agg(F.sum("amount").alias("total"), F.count("*").alias("n")))

    _drop(landing, "a", [(1, 5.0), (2, 1.0), (3, 2.5)])
    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert {(r.parity, r.total, r.n) for r in first.table("totals").collect()} == {
        (1, 7.5, 2), (0, 1.0, 1)}
    _drop(landing, "b", [(4, 10.0), (5, 1.0)])
    second = run(pipeline, spark=spark, warehouse=warehouse)
    assert second.status == "COMPLETED", second.error
    assert {(r.parity, r.total, r.n) for r in second.table("totals").collect()} == {
        (1, 8.5, 3), (0, 11.0, 2)}  # the whole aggregate, updated, not appended
    assert second.datasets["totals"].output_rows == 2
