"""Pipelines run on both engines (JVM Spark and Sail), with their tables and figures.

Each scenario runs one or more updates with :func:`dltflow.local.run` on the session it
is given and returns what must agree between engines: every update's per-dataset
figures (rows written, dropped, per-expectation counts) and the final tables' rows.
``sail_side.py`` runs them in a Sail process; ``test_engine_parity.py`` runs them on
the suite's JVM session and compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.graph import api as dlt
from dltflow.local import PipelineResult, run

ROOT = Path(__file__).resolve().parents[2]

USERS = "userId long, name string, city string, operation string, sequenceNum long"
FIELDS = ["userId", "name", "city", "operation", "sequenceNum"]
DOCUMENTED_EVENTS = [  # DLT's documented apply_changes example
    (124, "Raul", "Oaxaca", "INSERT", 1), (123, "Isabel", "Monterrey", "INSERT", 1),
    (125, "Mercedes", "Tijuana", "INSERT", 2), (126, "Lily", "Cancun", "INSERT", 2),
    (123, None, None, "DELETE", 6), (125, "Mercedes", "Guadalajara", "UPDATE", 6),
    (125, "Mercedes", "Mexicali", "UPDATE", 5), (123, "Isabel", "Chihuahua", "UPDATE", 5)]
TRUNCATE = (None, None, None, "TRUNCATE", 3)
SNAPSHOTS = {  # DLT's documented snapshot example, then a third snapshot
    1: [(1, "Oaxaca"), (2, "Monterrey"), (3, "Tijuana")],
    2: [(2, "Carmel"), (3, "Los Angeles"), (4, "Death Valley"), (6, "Kings Canyon")],
    3: [(1, "Oaxaca"), (2, "Carmel"), (3, "Los Angeles"), (4, "Sequoia")]}

Outcome = dict[str, Any]
"""``{"updates": [figures of each update], "tables": {name: DataFrame}}``"""


def _figures(result: PipelineResult) -> dict[str, Any]:
    assert result.status == "COMPLETED", result.error
    return {name: d.to_json() for name, d in sorted(result.datasets.items())}


def _outcome(results: list[PipelineResult], tables: list[str]) -> Outcome:
    last = results[-1]
    return {"updates": [_figures(r) for r in results],
            "tables": {name: last.table(name) for name in tables}}


def simple_sample(spark: SparkSession, folder: Path) -> Outcome:
    result = run(ROOT / "samples/pipelines/simple.py", conf=ROOT / "conf/simple.yml",
                 spark=spark, warehouse=folder / "wh")
    return _outcome([result], ["orchestrate"])


def medium_sample(spark: SparkSession, folder: Path) -> Outcome:
    result = run(ROOT / "samples/pipelines/medium.py", conf=ROOT / "conf/medium.yml",
                 spark=spark, warehouse=folder / "wh", schema="medium_sample")
    return _outcome([result], ["people", "age_bins", "working_age",
                               "working_age_quarantine"])


def _write_events(landing: Path, name: str, rows: list[tuple[Any, ...]]) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    (landing / f"{name}.json").write_text(
        "".join(json.dumps(dict(zip(FIELDS, r, strict=True))) + "\n" for r in rows))


def documented_cdc_pipeline(events: Callable[[], DataFrame]) -> Callable[[], None]:
    """DLT's documented CDC pipeline: a view ``users`` of the change events, applied as
    SCD 1 (``users_current``) and SCD 2 (``users_history``)."""
    def pipeline() -> None:
        @dlt.view
        def users() -> DataFrame:
            return events()

        for target, scd in (("users_current", 1), ("users_history", 2)):
            dlt.create_streaming_table(target)
            dlt.apply_changes(target=target, source="users", keys=["userId"],
                              sequence_by=F.col("sequenceNum"),
                              apply_as_deletes=F.expr("operation = 'DELETE'"),
                              except_column_list=["operation", "sequenceNum"],
                              stored_as_scd_type=scd)

    return pipeline


def documented_cdc_tables(spark: SparkSession) -> tuple[DataFrame, DataFrame]:
    """What DLT documents for its CDC example after all events: ``users_current`` (SCD 1)
    and ``users_history`` (SCD 2)."""
    current_schema = "userId long, name string, city string"
    current = spark.createDataFrame(
        [(124, "Raul", "Oaxaca"), (125, "Mercedes", "Guadalajara"), (126, "Lily", "Cancun")],
        current_schema)
    history = spark.createDataFrame([
        (123, "Isabel", "Monterrey", 1, 5), (123, "Isabel", "Chihuahua", 5, 6),
        (124, "Raul", "Oaxaca", 1, None), (125, "Mercedes", "Tijuana", 2, 5),
        (125, "Mercedes", "Mexicali", 5, 6), (125, "Mercedes", "Guadalajara", 6, None),
        (126, "Lily", "Cancun", 2, None)], current_schema + ", __START_AT long, __END_AT long")
    return current, history


def documented_cdc(spark: SparkSession, folder: Path) -> Outcome:
    """SCD 1 and 2 from a batch source; the late events arrive before a second update."""
    landing, warehouse = folder / "landing", folder / "wh"
    pipeline = documented_cdc_pipeline(lambda: spark.read.schema(USERS).json(str(landing)))
    _write_events(landing, "0001", DOCUMENTED_EVENTS[:6])
    first = run(pipeline, spark=spark, warehouse=warehouse)
    _write_events(landing, "0002", DOCUMENTED_EVENTS[6:])
    second = run(pipeline, spark=spark, warehouse=warehouse)
    return _outcome([first, second], ["users_current", "users_history"])


def documented_cdc_truncate_history(spark: SparkSession, folder: Path) -> Outcome:
    """SCD 1 with a truncate event, SCD 2 without tracking the city's history."""
    landing = folder / "landing"
    _write_events(landing, "0001", DOCUMENTED_EVENTS + [TRUNCATE])

    def pipeline() -> None:
        @dlt.view
        def users() -> DataFrame:
            return spark.read.schema(USERS).json(str(landing))

        dlt.create_streaming_table("users_current")
        dlt.apply_changes(target="users_current", source="users", keys=["userId"],
                          sequence_by="sequenceNum", apply_as_deletes="operation = 'DELETE'",
                          apply_as_truncates="operation = 'TRUNCATE'",
                          except_column_list=["operation", "sequenceNum"])
        dlt.create_streaming_table("users_history")
        dlt.apply_changes(target="users_history", source="users", keys=["userId"],
                          sequence_by="sequenceNum", apply_as_deletes="operation = 'DELETE'",
                          except_column_list=["operation", "sequenceNum"],
                          stored_as_scd_type=2, track_history_except_column_list=["city"])

    result = run(pipeline, spark=spark, warehouse=folder / "wh")
    return _outcome([result], ["users_current", "users_history"])


def documented_snapshots(spark: SparkSession, folder: Path) -> Outcome:
    """apply_changes_from_snapshot, SCD 1 and 2, one new snapshot per update."""
    available: list[int] = []

    def next_snapshot(latest: int | None) -> tuple[DataFrame, int] | None:
        newer = [v for v in available if latest is None or v > latest]
        if not newer:
            return None
        return spark.createDataFrame(SNAPSHOTS[newer[0]], "userId long, city string"), newer[0]

    def pipeline() -> None:
        for target, scd in (("cities", 1), ("cities_history", 2)):
            dlt.create_streaming_table(target)
            dlt.apply_changes_from_snapshot(target=target, source=next_snapshot,
                                            keys=["userId"], stored_as_scd_type=scd)

    results = []
    for version in SNAPSHOTS:
        available.append(version)
        results.append(run(pipeline, spark=spark, warehouse=folder / "wh"))
    return _outcome(results, ["cities", "cities_history"])


def batch_append_flows(spark: SparkSession, folder: Path) -> Outcome:
    """Two batch append flows into one table, over two updates."""
    def pipeline() -> None:
        dlt.create_streaming_table("all_numbers")

        @dlt.append_flow(target="all_numbers")
        def small() -> DataFrame:
            return spark.range(3).withColumnRenamed("id", "n")

        @dlt.append_flow(target="all_numbers", once=True)
        def backfill() -> DataFrame:
            return spark.range(100, 102).withColumnRenamed("id", "n")

    results = [run(pipeline, spark=spark, warehouse=folder / "wh") for _ in range(2)]
    return _outcome(results, ["all_numbers"])


def streaming_append_sample(spark: SparkSession, folder: Path, **options: Any) -> Outcome:
    """Two append flows streaming JSON and CSV folders; new files before a second update."""
    from samples.pipelines import streaming_append

    args: dict[str, Any] = {"conf": ROOT / "conf/streaming_append.yml", "spark": spark,
                            "warehouse": folder / "wh", **options}
    first = run(ROOT / "samples/pipelines/streaming_append.py", **args)
    streaming_append.write_batch(
        folder / "wh" / "landing", "orders-0002",
        [{"order_id": 5, "customer": "heidi", "amount": 9.0, "channel": "web"}],
        [{"order_id": 104, "customer": "ivan", "amount": 1.5, "channel": "store"},
         {"order_id": 105, "customer": "judy", "amount": -1.0, "channel": "store"}])
    second = run(ROOT / "samples/pipelines/streaming_append.py", **args)
    return _outcome([first, second], ["orders"])


def streaming_cdc_sample(spark: SparkSession, folder: Path, **options: Any) -> Outcome:
    """SCD 2 from a streaming view over a landing folder; late events in a second update."""
    from samples.pipelines import streaming_cdc

    args: dict[str, Any] = {"conf": ROOT / "conf/streaming_cdc.yml", "spark": spark,
                            "warehouse": folder / "wh", **options}
    first = run(ROOT / "samples/pipelines/streaming_cdc.py", **args)
    streaming_cdc.write_batch(folder / "wh" / "landing", "changes-0002",
                              streaming_cdc.LATE_EVENTS)
    second = run(ROOT / "samples/pipelines/streaming_cdc.py", **args)
    return _outcome([first, second], ["users_history"])


RETAIL = '''
import dlt
from pyspark.sql import functions as F

LANDING = spark.conf.get("retail.landing")


@dlt.table(comment="Orders from Auto Loader, two files a micro-batch.")
def orders_bronze():
    return (spark.readStream.format("cloudFiles").option("cloudFiles.format", "json")
            .option("cloudFiles.maxFilesPerTrigger", 2)
            .option("cloudFiles.schemaHints", "order_id long, customer_id long, amount double")
            .load(f"{LANDING}/orders"))


@dlt.table
@dlt.expect_or_drop("positive_amount", "amount > 0")
@dlt.expect("has_customer", "customer_id IS NOT NULL")
def orders_silver():
    return (dlt.read_stream("orders_bronze")
            .join(spark.read.table("LIVE.fx"), "currency", "left")
            .withColumn("amount_eur", F.round(F.col("amount") * F.coalesce("rate", F.lit(1.0)), 2))
            .drop("_rescued_data", "rate"))


@dlt.table
def fx():
    return spark.createDataFrame([("USD", 0.9), ("GBP", 1.2)], "currency string, rate double")


dlt.create_streaming_table("order_feed")


@dlt.append_flow(target="order_feed")
def web_orders():
    web = dlt.read_stream("orders_silver").where("channel = 'web'")
    return web.select("order_id", "amount_eur")


@dlt.append_flow(target="order_feed")
def store_orders():
    return (spark.readStream.schema("order_id long, amount_eur double")
            .csv(f"{LANDING}/store", header=True))


@dlt.view
def customer_changes():
    return (spark.readStream.format("json")
            .schema("customer_id long, name string, city string, op string, seq long")
            .load(f"{LANDING}/customers"))


dlt.create_streaming_table("customers")
dlt.apply_changes(target="customers", source="customer_changes", keys=["customer_id"],
                  sequence_by=F.col("seq"), apply_as_deletes=F.expr("op = 'DELETE'"),
                  except_column_list=["op", "seq"], stored_as_scd_type=2)
dlt.create_streaming_table("customers_now")
dlt.apply_changes(target="customers_now", source="customer_changes", keys=["customer_id"],
                  sequence_by=F.col("seq"), apply_as_deletes=F.expr("op = 'DELETE'"),
                  except_column_list=["op", "seq"])


@dlt.table
def revenue_by_customer():
    return (dlt.read("orders_silver").groupBy("customer_id")
            .agg(F.round(F.sum("amount_eur"), 2).alias("revenue"), F.count("*").alias("orders")))
'''
RETAIL_TABLES = ["orders_bronze", "orders_silver", "order_feed", "customers", "customers_now",
                 "revenue_by_customer"]


def retail_inputs(landing: Path, update: int) -> None:
    """The files that land before update ``update`` (0, 1, 2) of the retail pipeline."""
    import random

    rng = random.Random(update)
    orders = landing / "orders"
    orders.mkdir(parents=True, exist_ok=True)
    for number in range(3):  # three files an update: two micro-batches (two files each)
        rows = [{"order_id": update * 1000 + number * 100 + i,
                 "customer_id": rng.choice([1, 2, 3, None]),
                 "amount": rng.choice([-5.0, 0.0, 12.5, 40.0, 99.9]),
                 "currency": rng.choice(["USD", "GBP", "EUR"]),
                 "channel": rng.choice(["web", "app"])} for i in range(25)]
        (orders / f"{update}-{number}.json").write_text(
            "".join(json.dumps(r) + "\n" for r in rows))
    store = landing / "store"
    store.mkdir(exist_ok=True)
    (store / f"{update}.csv").write_text("order_id,amount_eur\n" + "".join(
        f"{90000 + update * 10 + i},{i * 1.5}\n" for i in range(4)))
    changes = [
        [(1, "Ana", "Lisbon", "INSERT", 1), (2, "Bo", "Oslo", "INSERT", 2)],
        [(1, "Ana", "Porto", "UPDATE", 3), (3, "Cy", "Rome", "INSERT", 4),
         (2, "Bo", "Bergen", "UPDATE", 2)],
        [(2, "Bo", "Oslo", "DELETE", 5), (3, "Cy", "Milan", "UPDATE", 6)],
    ][update]
    folder = landing / "customers"
    folder.mkdir(exist_ok=True)
    (folder / f"{update}.json").write_text("".join(json.dumps(dict(zip(
        ["customer_id", "name", "city", "op", "seq"], c, strict=True))) + "\n" for c in changes))


def retail_streaming(spark: SparkSession, folder: Path, **options: Any) -> Outcome:
    """Auto Loader bronze, a silver stream joined to a static table, append flows from a
    stream and a CSV folder, SCD 1 and 2 from a streaming view, over three updates."""
    pipeline = folder / "retail.py"
    pipeline.parent.mkdir(parents=True, exist_ok=True)
    pipeline.write_text(RETAIL)
    results = []
    for update in range(3):
        retail_inputs(folder / "landing", update)
        results.append(run(pipeline, spark=spark, warehouse=folder / "wh",
                           configuration={"retail.landing": str(folder / "landing")},
                           **options))
    return _outcome(results, RETAIL_TABLES)


def documented_cdc_from_a_table_stream(spark: SparkSession, folder: Path,
                                       **options: Any) -> Outcome:
    """DLT's documented CDC example as published: a view streams the catalog table
    ``cdc_data.users`` (``spark.readStream.table``); the late events are appended to
    that table before a second update."""
    from dltflow.local.engines.capabilities import table_format

    fmt = table_format(spark)
    spark.sql("CREATE DATABASE IF NOT EXISTS cdc_data")
    spark.sql("DROP TABLE IF EXISTS cdc_data.users")

    def land(rows: list[tuple[Any, ...]]) -> None:  # appended to the table's folder
        (spark.createDataFrame(rows, USERS).write.format(fmt).mode("append")
         .save(str(folder / "cdc_users")))

    land(DOCUMENTED_EVENTS[:6])
    spark.sql(f"CREATE TABLE cdc_data.users USING {fmt} LOCATION '{folder / 'cdc_users'}'")

    pipeline = documented_cdc_pipeline(lambda: spark.readStream.table("cdc_data.users"))
    first = run(pipeline, spark=spark, warehouse=folder / "wh", **options)
    land(DOCUMENTED_EVENTS[6:])
    second = run(pipeline, spark=spark, warehouse=folder / "wh", **options)
    spark.sql("DROP TABLE IF EXISTS cdc_data.users")
    return _outcome([first, second], ["users_current", "users_history"])


STREAMING_SCENARIOS: dict[str, Callable[..., Outcome]] = {
    "streaming_append_sample": streaming_append_sample,
    "streaming_cdc_sample": streaming_cdc_sample,
    "retail_streaming": retail_streaming,
    "documented_cdc_from_a_table_stream": documented_cdc_from_a_table_stream,
}
"""Scenarios with streaming flows: Sail runs them by incremental reads, the JVM engine
by Structured Streaming (and by incremental reads in ``tests/unit/local``)."""

SCENARIOS: dict[str, Callable[[SparkSession, Path], Outcome]] = {
    "simple_sample": simple_sample,
    "medium_sample": medium_sample,
    "documented_cdc": documented_cdc,
    "documented_cdc_truncate_history": documented_cdc_truncate_history,
    "documented_snapshots": documented_snapshots,
    "batch_append_flows": batch_append_flows,
    **STREAMING_SCENARIOS,
}
