"""SCD type 1: the target holds the latest row of each key.

State rows (``__dltflow_kind``):

- ``row``: a visible row, with ``__dltflow_order`` of the newest event applied to it.
- ``tombstone``: a deleted key and the order of its delete, so that a late, older
  event cannot bring the key back (DLT keeps such tombstones too; the local engine
  never garbage-collects them).
- ``marker``: the newest truncate; every event ordered before it is void.

Applying a batch replays the surviving events of each key in sequence order, with the
state's row or tombstone as the key's first event. An event older than what the
target already holds for its key is discarded, as DLT documents for stale events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dltflow.local.cdc.events import (
    DELETE,
    KIND,
    MARKER,
    OP,
    ORDER,
    ROW,
    TOMBSTONE,
    TRUNCATE,
    UPSERT,
    one_event_per_sequence,
    prepare,
    union,
    window_order,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.graph.elements import ApplyChangesFlow

_PRIOR = "__dltflow_prior"
_TRUNCATED_AT = "__dltflow_truncated_at"


def apply_scd1(state: DataFrame | None, changes: DataFrame,
               flow: ApplyChangesFlow) -> DataFrame:
    """The SCD 1 state after applying one batch of change rows to ``state``."""
    from pyspark.sql import functions as F

    events = prepare(changes, flow)
    truncated_at = _truncate_watermark(state, events)
    current = events.where(F.col(OP) != TRUNCATE).withColumn(_PRIOR, F.lit(False))
    if state is not None:
        current = union([current, _as_events(state)])
    columns = [c for c in current.columns if c not in (OP, ORDER, _PRIOR)]
    current = one_event_per_sequence(current, flow.keys)
    current = _drop_stale(current, flow.keys)
    current = (current.crossJoin(truncated_at)
               .where(F.col(_TRUNCATED_AT).isNull() | (F.col(ORDER) > F.col(_TRUNCATED_AT)))
               .drop(_TRUNCATED_AT))
    rows, tombstones = _resolve(current, columns, flow)
    marker = truncated_at.where(F.col(_TRUNCATED_AT).isNotNull()).select(
        F.col(_TRUNCATED_AT).alias(ORDER), F.lit(MARKER).alias(KIND))
    return union([rows, tombstones, marker])


def _as_events(state: DataFrame) -> DataFrame:
    """The state's rows and tombstones as the first event of their key."""
    from pyspark.sql import functions as F

    op = F.when(F.col(KIND) == TOMBSTONE, F.lit(DELETE)).otherwise(F.lit(UPSERT))
    return (state.where(F.col(KIND).isin(ROW, TOMBSTONE))
            .withColumn(OP, op).withColumn(_PRIOR, F.lit(True)).drop(KIND))


def _truncate_watermark(state: DataFrame | None, events: DataFrame) -> DataFrame:
    """One row: the order of the newest truncate seen so far (NULL when none)."""
    from pyspark.sql import functions as F

    truncates = events.where(F.col(OP) == TRUNCATE).select(ORDER)
    if state is not None:
        truncates = truncates.unionByName(state.where(F.col(KIND) == MARKER).select(ORDER))
    return truncates.agg(F.max(ORDER).alias(_TRUNCATED_AT))


def _drop_stale(events: DataFrame, keys: tuple[str, ...]) -> DataFrame:
    """Discard new events ordered before the target's current row or tombstone."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    held = F.max(F.when(F.col(_PRIOR), F.col(ORDER))).over(Window.partitionBy(*keys))
    return (events.withColumn("__dltflow_held", held)
            .where(F.col("__dltflow_held").isNull() | (F.col(ORDER) >= F.col("__dltflow_held")))
            .drop("__dltflow_held", _PRIOR))


def _resolve(events: DataFrame, columns: list[str],
             flow: ApplyChangesFlow) -> tuple[DataFrame, DataFrame]:
    """Per key: a tombstone when its newest event is a delete, else its resulting row."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_key = Window.partitionBy(*flow.keys)
    events = (events.withColumn("__dltflow_last", F.max(ORDER).over(by_key))
              .withColumn("__dltflow_last_delete",
                          F.max(F.when(F.col(OP) == DELETE, F.col(ORDER))).over(by_key)))
    newest = F.col(ORDER) == F.col("__dltflow_last")
    tombstones = events.where(newest & (F.col(OP) == DELETE)).select(
        *flow.keys, ORDER, F.lit(TOMBSTONE).alias(KIND))
    live = events.where(F.col("__dltflow_last_delete").isNull()
                        | (F.col(ORDER) > F.col("__dltflow_last_delete")))
    if flow.ignore_null_updates:
        replay = by_key.orderBy(*window_order(events)).rowsBetween(
            Window.unboundedPreceding, Window.currentRow)
        live = live.select(*[F.col(c) if c in flow.keys
                             else F.last(c, ignorenulls=True).over(replay).alias(c)
                             for c in columns], ORDER, "__dltflow_last")
    rows = live.where(newest).select(*columns, ORDER, F.lit(ROW).alias(KIND))
    return rows, tombstones
