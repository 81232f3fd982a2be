"""apply_changes and snapshot CDC through the local engine, across runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.graph import api as dlt
from dltflow.local import run
from samples.pipelines import streaming_cdc
from tests.support.scenarios import documented_cdc_pipeline, documented_cdc_tables

ROOT = Path(__file__).resolve().parents[3]

USERS = "userId long, name string, city string, operation string, sequenceNum long"
FIELDS = ["userId", "name", "city", "operation", "sequenceNum"]
FIRST = [(124, "Raul", "Oaxaca", "INSERT", 1), (123, "Isabel", "Monterrey", "INSERT", 1),
         (125, "Mercedes", "Tijuana", "INSERT", 2), (126, "Lily", "Cancun", "INSERT", 2),
         (123, None, None, "DELETE", 6), (125, "Mercedes", "Guadalajara", "UPDATE", 6)]
LATE = [(125, "Mercedes", "Mexicali", "UPDATE", 5), (123, "Isabel", "Chihuahua", "UPDATE", 5)]
CURRENT = "userId long, name string, city string"


def _drop(folder: Path, name: str, rows: list[tuple[Any, ...]]) -> None:
    """Write one JSON file of change events atomically (streams never see half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(json.dumps(dict(zip(FIELDS, r, strict=True))) + "\n" for r in rows))
    tmp.replace(folder / f"{name}.json")


def _cdc_pipeline(spark: SparkSession, landing: Path, *, streaming: bool = True) -> Any:
    return documented_cdc_pipeline(  # the reader is taken when the view's query runs
        lambda: (spark.readStream if streaming else spark.read).schema(USERS).json(str(landing)))


def _assert_documented(spark: SparkSession, result: Any) -> None:
    assert result.status == "COMPLETED", result.error
    current, history = documented_cdc_tables(spark)
    assert_df_equality(result.table("users_current"), current, ignore_row_order=True)
    assert_df_equality(result.table("users_history"), history, ignore_row_order=True)


def test_late_events_in_a_later_run_give_the_documented_tables(spark, tmp_path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    pipeline = _cdc_pipeline(spark, landing)
    _drop(landing, "0001", FIRST)
    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert_df_equality(first.table("users_current"), spark.createDataFrame(
        [(124, "Raul", "Oaxaca"), (125, "Mercedes", "Guadalajara"), (126, "Lily", "Cancun")],
        CURRENT), ignore_row_order=True)

    _drop(landing, "0002", LATE)
    _assert_documented(spark, run(pipeline, spark=spark, warehouse=warehouse))
    _assert_documented(spark, run(pipeline, spark=spark, warehouse=warehouse,
                                  full_refresh=True))
    assert spark.table("default.users_history").count() == 7  # published in the catalog


def test_a_processed_file_is_never_read_again(spark, tmp_path) -> None:
    """A file already consumed is rewritten; only a full refresh sees its new content."""
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    pipeline = _cdc_pipeline(spark, landing)
    _drop(landing, "0001", FIRST)
    run(pipeline, spark=spark, warehouse=warehouse)
    _drop(landing, "0001", FIRST + [(124, "Raul", "Puebla", "UPDATE", 9)])
    _drop(landing, "0002", LATE)
    second = run(pipeline, spark=spark, warehouse=warehouse)
    _assert_documented(spark, second)  # Puebla was not picked up: 0001 was not re-read

    rebuilt = run(pipeline, spark=spark, warehouse=warehouse, full_refresh=["users_current"])
    assert rebuilt.status == "COMPLETED", rebuilt.error
    cities = {r["userId"]: r["city"] for r in rebuilt.table("users_current").collect()}
    assert cities == {124: "Puebla", 125: "Guadalajara", 126: "Cancun"}
    assert rebuilt.table("users_history").where("__END_AT IS NULL AND userId = 124") \
        .first()["city"] == "Oaxaca"  # not refreshed: still incremental


def test_batch_source_recomputes_from_the_whole_history(spark, tmp_path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    pipeline = _cdc_pipeline(spark, landing, streaming=False)
    _drop(landing, "0001", FIRST + LATE)
    _assert_documented(spark, run(pipeline, spark=spark, warehouse=warehouse))
    _assert_documented(spark, run(pipeline, spark=spark, warehouse=warehouse))


def test_snapshot_function_applies_each_new_snapshot_once(spark, tmp_path) -> None:
    snapshots = {1: [(1, "Oaxaca"), (2, "Monterrey")], 2: [(2, "Carmel"), (3, "Tijuana")]}
    def next_snapshot(latest: Any) -> tuple[DataFrame, int] | None:
        newer = sorted(v for v in snapshots if latest is None or v > latest)
        if not newer:
            return None
        return spark.createDataFrame(snapshots[newer[0]], "userId long, city string"), newer[0]

    def pipeline() -> None:
        dlt.create_streaming_table("cities")
        dlt.apply_changes_from_snapshot(target="cities", source=next_snapshot,
                                        keys=["userId"], stored_as_scd_type=2)

    warehouse = tmp_path / "wh"
    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    expected = spark.createDataFrame(
        [(1, "Oaxaca", 1, 2), (2, "Monterrey", 1, 2), (2, "Carmel", 2, None),
         (3, "Tijuana", 2, None)], "userId long, city string, __START_AT long, __END_AT long")
    assert_df_equality(first.table("cities"), expected, ignore_row_order=True)
    snapshots[3] = [(3, "Tijuana")]
    second = run(pipeline, spark=spark, warehouse=warehouse)
    assert second.status == "COMPLETED", second.error
    expected = spark.createDataFrame(
        [(1, "Oaxaca", 1, 2), (2, "Monterrey", 1, 2), (2, "Carmel", 2, 3),
         (3, "Tijuana", 2, None)], "userId long, city string, __START_AT long, __END_AT long")
    assert_df_equality(second.table("cities"), expected, ignore_row_order=True)


def test_streaming_cdc_sample_gives_the_documented_history(spark, tmp_path) -> None:
    """The sample seeds the first events; the late ones arrive before the second run."""
    sample = ROOT / "samples/pipelines/streaming_cdc.py"
    conf, warehouse = ROOT / "conf/streaming_cdc.yml", tmp_path / "wh"
    first = run(sample, spark=spark, conf=conf, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert first.table("users_history").count() == 5
    streaming_cdc.write_batch(warehouse / "cdc_landing", "changes-0002",
                              streaming_cdc.LATE_EVENTS)
    second = run(sample, spark=spark, conf=conf, warehouse=warehouse)
    assert second.status == "COMPLETED", second.error
    assert_df_equality(second.table("users_history"), documented_cdc_tables(spark)[1],
                       ignore_row_order=True)
