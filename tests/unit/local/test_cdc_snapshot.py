"""apply_changes_from_snapshot: DLT's documented snapshot example, then a third snapshot."""

from __future__ import annotations

from typing import Any

from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.graph.elements import SnapshotFlow
from dltflow.local.cdc import apply_snapshot, last_snapshot_version, visible

SCHEMA = "userId long, city string"
HISTORY = SCHEMA + ", __START_AT long, __END_AT long"
SNAPSHOTS = [
    [(1, "Oaxaca"), (2, "Monterrey"), (3, "Tijuana")],
    [(2, "Carmel"), (3, "Los Angeles"), (4, "Death Valley"), (6, "Kings Canyon")],
    [(1, "Oaxaca"), (2, "Carmel"), (3, "Los Angeles"), (4, "Sequoia")],
]


def _apply_all(spark: SparkSession, flow: SnapshotFlow, versions: list[Any],
               snapshots: list[list[tuple[Any, ...]]] = SNAPSHOTS) -> list[DataFrame]:
    """Apply each snapshot in turn; the target after each one."""
    state, shown = None, []
    for rows, version in zip(snapshots, versions, strict=True):
        snapshot = spark.createDataFrame(rows, SCHEMA)
        state = apply_snapshot(state, snapshot, flow, version=version).localCheckpoint()
        shown.append(visible(state, flow))
    return shown


def _flow(scd: int, **options: Any) -> SnapshotFlow:
    return SnapshotFlow(name="target", target="target", source="source", keys=("userId",),
                        stored_as_scd_type=scd, **options)


def test_scd1_shows_the_latest_snapshot(spark: SparkSession) -> None:
    for shown, rows in zip(_apply_all(spark, _flow(1), [1, 2, 3]), SNAPSHOTS, strict=True):
        assert_df_equality(shown, spark.createDataFrame(rows, SCHEMA), ignore_row_order=True)


def test_scd2_documented_example_then_a_third_snapshot(spark: SparkSession) -> None:
    """Versions default to 0, 1, 2 (the documented ingestion-order example shows 0 and 1)."""
    first, second, third = _apply_all(spark, _flow(2), [None, None, None])
    assert_df_equality(first, spark.createDataFrame(
        [(1, "Oaxaca", 0, None), (2, "Monterrey", 0, None), (3, "Tijuana", 0, None)], HISTORY),
        ignore_row_order=True)
    documented = [(1, "Oaxaca", 0, 1), (2, "Monterrey", 0, 1), (2, "Carmel", 1, None),
                  (3, "Tijuana", 0, 1), (3, "Los Angeles", 1, None),
                  (4, "Death Valley", 1, None), (6, "Kings Canyon", 1, None)]
    assert_df_equality(second, spark.createDataFrame(documented, HISTORY),
                       ignore_row_order=True)
    third_expected = [row for row in documented if row[0] not in (4, 6)] + [
        (4, "Death Valley", 1, 2), (4, "Sequoia", 2, None), (6, "Kings Canyon", 1, 2),
        (1, "Oaxaca", 2, None)]
    assert_df_equality(third, spark.createDataFrame(third_expected, HISTORY),
                       ignore_row_order=True)


def test_scd2_uses_the_given_versions(spark: SparkSession) -> None:
    *_, last = _apply_all(spark, _flow(2), [10, 20, 30], SNAPSHOTS[:2] + [SNAPSHOTS[1]])
    assert sorted(tuple(r) for r in last.where("userId = 2").collect()) == [
        (2, "Carmel", 20, None), (2, "Monterrey", 10, 20)]


def test_untracked_column_changes_update_in_place(spark: SparkSession) -> None:
    *_, last = _apply_all(spark, _flow(2, track_history_except_column_list=("city",)), [1, 2, 3])
    expected = [(1, "Oaxaca", 1, 2), (1, "Oaxaca", 3, None), (2, "Carmel", 1, None),
                (3, "Los Angeles", 1, None), (4, "Sequoia", 2, None), (6, "Kings Canyon", 2, 3)]
    assert_df_equality(last, spark.createDataFrame(expected, HISTORY), ignore_row_order=True)


def test_an_older_snapshot_is_skipped(spark: SparkSession) -> None:
    flow = _flow(2)
    state = apply_snapshot(None, spark.createDataFrame(SNAPSHOTS[0], SCHEMA), flow, version=5)
    state = state.localCheckpoint()
    assert last_snapshot_version(state) == 5
    older = apply_snapshot(state, spark.createDataFrame(SNAPSHOTS[1], SCHEMA), flow, version=4)
    assert_df_equality(visible(older, flow), visible(state, flow), ignore_row_order=True)
    assert last_snapshot_version(None) is None
