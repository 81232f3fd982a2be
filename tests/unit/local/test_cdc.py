"""apply_changes against DLT's documented CDC example and each option."""

from __future__ import annotations

from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.exceptions import GraphError
from dltflow.graph.elements import ApplyChangesFlow
from dltflow.local.cdc import apply_changes, visible

USERS = "userId long, name string, city string, operation string, sequenceNum long"
DOCUMENTED_EVENTS = [
    (124, "Raul", "Oaxaca", "INSERT", 1),
    (123, "Isabel", "Monterrey", "INSERT", 1),
    (125, "Mercedes", "Tijuana", "INSERT", 2),
    (126, "Lily", "Cancun", "INSERT", 2),
    (123, None, None, "DELETE", 6),
    (125, "Mercedes", "Guadalajara", "UPDATE", 6),
    (125, "Mercedes", "Mexicali", "UPDATE", 5),
    (123, "Isabel", "Chihuahua", "UPDATE", 5),
]
TRUNCATE_EVENT = (None, None, None, "TRUNCATE", 3)
CURRENT = "userId long, name string, city string"
HISTORY = CURRENT + ", __START_AT long, __END_AT long"


def users_flow(**options: Any) -> ApplyChangesFlow:
    """The documented flow: keys userId, sequence sequenceNum, deletes and truncates."""
    settings: dict[str, Any] = {
        "name": "target", "target": "target", "source": "users", "keys": ("userId",),
        "sequence_by": F.col("sequenceNum"),
        "apply_as_deletes": F.expr("operation = 'DELETE'"),
        "except_column_list": ("operation", "sequenceNum"),
    }
    settings.update(options)
    return ApplyChangesFlow(**settings)


def run(spark: SparkSession, batches: list[list[tuple[Any, ...]]], flow: ApplyChangesFlow,
        schema: str = USERS) -> DataFrame:
    state = None
    for batch in batches:
        # The engine stores the state between batches; a checkpoint does the same here
        # and keeps the plans from nesting batch after batch.
        state = apply_changes(state, spark.createDataFrame(batch, schema), flow).localCheckpoint()
    assert state is not None
    return visible(state, flow)


def test_documented_scd1_example(spark: SparkSession) -> None:
    flow = users_flow(apply_as_truncates="operation = 'TRUNCATE'", stored_as_scd_type=1)
    expected = spark.createDataFrame(
        [(124, "Raul", "Oaxaca"), (125, "Mercedes", "Guadalajara"), (126, "Lily", "Cancun")],
        CURRENT)
    assert_df_equality(run(spark, [DOCUMENTED_EVENTS], flow), expected, ignore_row_order=True)


def test_documented_scd1_example_with_truncate(spark: SparkSession) -> None:
    flow = users_flow(apply_as_truncates=F.expr("operation = 'TRUNCATE'"), stored_as_scd_type=1)
    expected = spark.createDataFrame([(125, "Mercedes", "Guadalajara")], CURRENT)
    result = run(spark, [DOCUMENTED_EVENTS + [TRUNCATE_EVENT]], flow)
    assert_df_equality(result, expected, ignore_row_order=True)


def test_documented_scd2_example(spark: SparkSession) -> None:
    flow = users_flow(stored_as_scd_type=2)
    expected = spark.createDataFrame([
        (123, "Isabel", "Monterrey", 1, 5),
        (123, "Isabel", "Chihuahua", 5, 6),
        (124, "Raul", "Oaxaca", 1, None),
        (125, "Mercedes", "Tijuana", 2, 5),
        (125, "Mercedes", "Mexicali", 5, 6),
        (125, "Mercedes", "Guadalajara", 6, None),
        (126, "Lily", "Cancun", 2, None),
    ], HISTORY)
    assert_df_equality(run(spark, [DOCUMENTED_EVENTS], flow), expected, ignore_row_order=True)


def test_documented_scd2_example_without_city_history(spark: SparkSession) -> None:
    flow = users_flow(stored_as_scd_type=2, track_history_except_column_list=("city",))
    expected = spark.createDataFrame([
        (123, "Isabel", "Chihuahua", 1, 6),
        (124, "Raul", "Oaxaca", 1, None),
        (125, "Mercedes", "Guadalajara", 2, None),
        (126, "Lily", "Cancun", 2, None),
    ], HISTORY)
    assert_df_equality(run(spark, [DOCUMENTED_EVENTS], flow), expected, ignore_row_order=True)


def test_documented_example_one_event_per_batch_in_arrival_order(spark: SparkSession) -> None:
    """Late events arriving in later batches are resolved by sequence, like one batch."""
    flow = users_flow(stored_as_scd_type=1)
    expected = spark.createDataFrame(
        [(124, "Raul", "Oaxaca"), (125, "Mercedes", "Guadalajara"), (126, "Lily", "Cancun")],
        CURRENT)
    batches = [[event] for event in DOCUMENTED_EVENTS]
    assert_df_equality(run(spark, batches, flow), expected, ignore_row_order=True)


def test_scd2_late_events_are_backfilled_across_batches(spark: SparkSession) -> None:
    flow = users_flow(stored_as_scd_type=2)
    expected = run(spark, [DOCUMENTED_EVENTS], flow)
    batches = [DOCUMENTED_EVENTS[:6], DOCUMENTED_EVENTS[6:]]
    assert_df_equality(run(spark, batches, flow), expected, ignore_row_order=True)


def test_stale_event_is_discarded_with_ignore_null_updates(spark: SparkSession) -> None:
    """An event older than the target's row is dropped, not merged into it."""
    flow = users_flow(stored_as_scd_type=1, ignore_null_updates=True)
    batches = [[(1, "Ann", None, "UPSERT", 5)], [(1, None, "Paris", "UPSERT", 3)]]
    expected = spark.createDataFrame([(1, "Ann", None)], CURRENT)
    assert_df_equality(run(spark, batches, flow), expected, ignore_row_order=True)


def test_ignore_null_updates_keeps_existing_values(spark: SparkSession) -> None:
    events = [(1, "Ann", "Rome", "UPSERT", 1), (1, None, "Paris", "UPSERT", 2),
              (2, "Bob", "Oslo", "UPSERT", 1), (2, "Bo", None, "UPSERT", 2)]
    keep = run(spark, [events], users_flow(ignore_null_updates=True))
    overwrite = run(spark, [events], users_flow(ignore_null_updates=False))
    assert_df_equality(keep, spark.createDataFrame(
        [(1, "Ann", "Paris"), (2, "Bo", "Oslo")], CURRENT), ignore_row_order=True)
    assert_df_equality(overwrite, spark.createDataFrame(
        [(1, None, "Paris"), (2, "Bo", None)], CURRENT), ignore_row_order=True)


def test_ignore_null_updates_in_scd2_fills_the_new_version(spark: SparkSession) -> None:
    events = [(1, "Ann", "Rome", "UPSERT", 1), (1, None, "Paris", "UPSERT", 2)]
    result = run(spark, [events], users_flow(stored_as_scd_type=2, ignore_null_updates=True))
    expected = spark.createDataFrame(
        [(1, "Ann", "Rome", 1, 2), (1, "Ann", "Paris", 2, None)], HISTORY)
    assert_df_equality(result, expected, ignore_row_order=True)


def test_late_older_event_does_not_resurrect_a_deleted_key(spark: SparkSession) -> None:
    flow = users_flow()
    batches = [[(1, "Ann", "Rome", "INSERT", 1)], [(1, None, None, "DELETE", 5)],
               [(1, "Ann", "Oslo", "UPDATE", 3)]]
    assert run(spark, batches, flow).count() == 0
    newer = batches + [[(1, "Ann", "Oslo", "UPDATE", 7)]]
    assert_df_equality(run(spark, newer, flow),
                       spark.createDataFrame([(1, "Ann", "Oslo")], CURRENT))


def test_delete_before_insert_closes_scd2_history_when_insert_arrives(
        spark: SparkSession) -> None:
    flow = users_flow(stored_as_scd_type=2)
    batches = [[(1, None, None, "DELETE", 6)], [(1, "Ann", "Rome", "INSERT", 2)]]
    expected = spark.createDataFrame([(1, "Ann", "Rome", 2, 6)], HISTORY)
    assert_df_equality(run(spark, batches, flow), expected)


def test_duplicate_events_are_deterministic(spark: SparkSession) -> None:
    """Same key and sequence: a delete wins; two different upserts resolve the same way
    whatever the batch split; an exact duplicate is applied once."""
    twins = [(1, "Ann", "Rome", "UPSERT", 4), (1, "Ann", "Oslo", "UPSERT", 4)]
    together = run(spark, [twins], users_flow()).collect()
    assert run(spark, [[twins[0]], [twins[1]]], users_flow()).collect() == together
    assert run(spark, [[twins[1]], [twins[0]]], users_flow()).collect() == together
    deleted = run(spark, [twins + [(1, None, None, "DELETE", 4)]], users_flow())
    assert deleted.count() == 0
    history = run(spark, [[twins[0]], [twins[0], twins[0]]], users_flow(stored_as_scd_type=2))
    assert_df_equality(history, spark.createDataFrame([(1, "Ann", "Rome", 4, None)], HISTORY))


def test_struct_sequence_breaks_ties(spark: SparkSession) -> None:
    schema = "id long, value string, ts long, tiebreak long"
    events = [(1, "b", 10, 2), (1, "a", 10, 1), (1, "c", 9, 5)]
    flow = ApplyChangesFlow(name="t", target="t", source="s", keys=("id",),
                            sequence_by=F.struct("ts", "tiebreak"),
                            except_column_list=("ts", "tiebreak"), stored_as_scd_type=2)
    result = run(spark, [events], flow, schema)
    assert [(r["value"], r["__START_AT"].asDict(), r["__END_AT"] and r["__END_AT"].asDict())
            for r in result.orderBy("__START_AT").collect()] == [
        ("c", {"ts": 9, "tiebreak": 5}, {"ts": 10, "tiebreak": 1}),
        ("a", {"ts": 10, "tiebreak": 1}, {"ts": 10, "tiebreak": 2}),
        ("b", {"ts": 10, "tiebreak": 2}, None),
    ]


def test_column_list_where_and_string_sequence(spark: SparkSession) -> None:
    flow = users_flow(sequence_by="sequenceNum", column_list=("userId", "city"),
                      except_column_list=None, where="userId <> 2")
    events = [(1, "Ann", "Rome", "INSERT", 1), (2, "Bob", "Oslo", "INSERT", 1)]
    expected = spark.createDataFrame([(1, "Rome")], "userId long, city string")
    assert_df_equality(run(spark, [events], flow), expected)


def test_sequence_column_stays_unless_excluded(spark: SparkSession) -> None:
    flow = users_flow(except_column_list=("operation",), stored_as_scd_type=2)
    result = run(spark, [[(1, "Ann", "Rome", "INSERT", 1)]], flow)
    assert result.columns == ["userId", "name", "city", "sequenceNum", "__START_AT", "__END_AT"]


def test_track_history_column_list_opens_versions_only_for_listed_columns(
        spark: SparkSession) -> None:
    events = [(1, "Ann", "Rome", "U", 1), (1, "Ann", "Oslo", "U", 2), (1, "Anna", "Oslo", "U", 3)]
    flow = users_flow(stored_as_scd_type=2, track_history_column_list=("name",))
    expected = spark.createDataFrame(
        [(1, "Ann", "Oslo", 1, 3), (1, "Anna", "Oslo", 3, None)], HISTORY)
    assert_df_equality(run(spark, [events], flow), expected, ignore_row_order=True)


def test_unchanged_update_does_not_open_a_version(spark: SparkSession) -> None:
    events = [(1, "Ann", "Rome", "U", 1), (1, "Ann", "Rome", "U", 2)]
    result = run(spark, [events], users_flow(stored_as_scd_type=2))
    assert_df_equality(result, spark.createDataFrame([(1, "Ann", "Rome", 1, None)], HISTORY))


def test_null_sequence_fails_the_batch(spark: SparkSession) -> None:
    with pytest.raises(Exception, match="NULL sequence_by"):
        run(spark, [[(1, "Ann", "Rome", "U", None)]], users_flow()).collect()


def test_truncate_on_scd2_is_a_definition_error(spark: SparkSession) -> None:
    flow = users_flow(stored_as_scd_type=2, apply_as_truncates="operation = 'TRUNCATE'")
    with pytest.raises(GraphError) as err:
        run(spark, [DOCUMENTED_EVENTS], flow)
    assert err.value.names == ["target"]


def test_unknown_key_is_a_definition_error(spark: SparkSession) -> None:
    with pytest.raises(GraphError) as err:
        run(spark, [DOCUMENTED_EVENTS], users_flow(keys=("id",)))
    assert err.value.names == ["target", "users"]
