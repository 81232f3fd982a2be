"""Property tests: CDC results do not depend on how the history is split into batches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chispa import assert_df_equality
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import DataFrame, SparkSession

from dltflow.graph.elements import ApplyChangesFlow
from dltflow.local.cdc import apply_changes, visible

SCHEMA = "id long, value string, op string, seq long"
Event = tuple[Any, ...]

_event = st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from(["a", "b", None]),
                   st.sampled_from(["UPSERT", "UPSERT", "DELETE"]), st.integers(1, 12))
_truncate = st.tuples(st.none(), st.none(), st.just("TRUNCATE"), st.integers(1, 12))


def _history(events: list[Event]) -> list[Event]:
    """One event per key and sequence value (DLT's contract; ties are tested elsewhere)."""
    seen: set[tuple[Any, int]] = set()
    unique = []
    for event in events:
        if (event[0], event[3]) not in seen:
            seen.add((event[0], event[3]))
            unique.append(event)
    return unique


@st.composite
def histories_and_splits(draw: st.DrawFn, truncates: bool) -> tuple[list[Event], list[int]]:
    events = draw(st.lists(_event, min_size=1, max_size=10))
    if truncates:
        events += draw(st.lists(_truncate, max_size=1))
    events = _history(draw(st.permutations(events)))
    cuts = draw(st.lists(st.integers(1, max(1, len(events) - 1)), max_size=2, unique=True))
    return events, sorted(c for c in cuts if c < len(events))


def _batches(events: list[Event], cuts: list[int]) -> list[list[Event]]:
    bounds = [0, *cuts, len(events)]
    return [events[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _flow(scd: int) -> ApplyChangesFlow:
    return ApplyChangesFlow(
        name="t", target="t", source="s", keys=("id",), sequence_by="seq",
        apply_as_deletes="op = 'DELETE'",
        apply_as_truncates="op = 'TRUNCATE'" if scd == 1 else None,
        except_column_list=("op",), stored_as_scd_type=scd)


def _run(spark: SparkSession, batches: list[list[Event]], flow: ApplyChangesFlow) -> DataFrame:
    state = None
    for batch in batches:
        state = apply_changes(state, spark.createDataFrame(batch, SCHEMA), flow).localCheckpoint()
    assert state is not None
    return visible(state, flow)


@pytest.fixture(scope="module", autouse=True)
def _one_shuffle_partition(spark: SparkSession) -> Iterator[None]:
    """Tiny data: one shuffle partition keeps each example fast."""
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "1")
    yield
    spark.conf.set("spark.sql.shuffle.partitions", previous)


_spark_settings = settings(max_examples=10, deadline=None,  # Spark is slow; keep examples few
                           suppress_health_check=[HealthCheck.function_scoped_fixture])


def _scd1_model(events: list[Event]) -> list[tuple[Any, ...]]:
    """SCD 1 in plain Python: per key the newest event after the newest truncate."""
    truncated = max((e[3] for e in events if e[2] == "TRUNCATE"), default=0)
    newest: dict[Any, Event] = {}
    for event in events:
        if event[2] != "TRUNCATE" and event[3] > truncated:
            if event[0] not in newest or event[3] > newest[event[0]][3]:
                newest[event[0]] = event
    return sorted((e[0], e[1], e[3]) for e in newest.values() if e[2] == "UPSERT")


@_spark_settings
@given(case=histories_and_splits(truncates=True))
def test_scd1_result_is_independent_of_batch_splits(spark: SparkSession,
                                                     case: tuple[list[Event], list[int]]) -> None:
    events, cuts = case
    flow = _flow(1)
    split = _run(spark, _batches(events, cuts), flow)
    # Compared with a plain-Python model, so every split (none included) agrees with
    # every other and with DLT's one-batch semantics.
    expected = spark.createDataFrame(_scd1_model(events), "id long, value string, seq long")
    assert_df_equality(split, expected, ignore_row_order=True)


def _assert_gap_free(rows: list[Any], events: list[Event]) -> None:
    """Per key: ordered, non-overlapping versions; a gap only after a delete; only the
    last version open, and open exactly when the key's newest event is not a delete."""
    for key in {e[0] for e in events}:
        versions = sorted((r for r in rows if r["id"] == key), key=lambda r: r["__START_AT"])
        mine = sorted((e for e in events if e[0] == key), key=lambda e: e[3])
        deletes = {e[3] for e in mine if e[2] == "DELETE"}
        for before, after in zip(versions, versions[1:], strict=False):
            assert before["__END_AT"] is not None, f"key {key}: an open version is not last"
            assert before["__START_AT"] < before["__END_AT"] <= after["__START_AT"]
            assert before["__END_AT"] == after["__START_AT"] or before["__END_AT"] in deletes
        if versions:
            last = versions[-1]
            deleted = mine[-1][2] == "DELETE"
            assert (last["__END_AT"] is None) == (not deleted), f"key {key}: {versions}"
            if deleted:
                # Closed by the first delete after it opened; later deletes are no-ops.
                assert last["__END_AT"] == min(d for d in deletes if d > last["__START_AT"])
        else:
            assert all(e[2] == "DELETE" for e in mine)


@_spark_settings
@given(case=histories_and_splits(truncates=False))
def test_scd2_history_is_gap_free_for_any_batch_split(spark: SparkSession,
                                                      case: tuple[list[Event], list[int]]) -> None:
    events, cuts = case
    flow = _flow(2)
    split = _run(spark, _batches(events, cuts), flow)
    rows = split.collect()
    _assert_gap_free(rows, events)
    assert_df_equality(split, _run(spark, [events], flow), ignore_row_order=True)
