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


def _changes_pipeline(spark: SparkSession, landing: Path, **scd1: Any) -> Callable[[], None]:
    def pipeline() -> None:
        @dlt.view
        def users() -> DataFrame:
            return spark.read.schema(USERS).json(str(landing))

        for target, scd in (("users_current", 1), ("users_history", 2)):
            dlt.create_streaming_table(target)
            dlt.apply_changes(target=target, source="users", keys=["userId"],
                              sequence_by=F.col("sequenceNum"),
                              apply_as_deletes=F.expr("operation = 'DELETE'"),
                              except_column_list=["operation", "sequenceNum"],
                              stored_as_scd_type=scd, **(scd1 if scd == 1 else {}))

    return pipeline


def documented_cdc(spark: SparkSession, folder: Path) -> Outcome:
    """SCD 1 and 2 from a batch source; the late events arrive before a second update."""
    landing, warehouse = folder / "landing", folder / "wh"
    pipeline = _changes_pipeline(spark, landing)
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


SCENARIOS: dict[str, Callable[[SparkSession, Path], Outcome]] = {
    "simple_sample": simple_sample,
    "medium_sample": medium_sample,
    "documented_cdc": documented_cdc,
    "documented_cdc_truncate_history": documented_cdc_truncate_history,
    "documented_snapshots": documented_snapshots,
    "batch_append_flows": batch_append_flows,
}
