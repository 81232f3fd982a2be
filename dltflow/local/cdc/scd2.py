"""SCD type 2: the target holds every version of each key.

State rows (``__dltflow_kind``):

- ``row``: a version, with ``__START_AT`` / ``__END_AT`` (sequence values; ``__END_AT``
  is NULL for the current version), plus ``__dltflow_start_order`` and
  ``__dltflow_last_order``: the orders of the event that opened the version and of the
  newest event folded into it (an update of untracked columns only, or a repeat).
- ``tombstone``: every delete seen, with its order, so that late events are placed
  correctly around it.

A batch only touches the keys it mentions. For those keys the state is turned back
into events (each version as an upsert at its start and at its last order, each
tombstone as a delete), merged with the new events, and the history is rebuilt in
sequence order. This is how late events are backfilled into the right place of the
history, as DLT does for SCD 2. Intermediate in-place updates are not kept, so a late
event that splits a version gives the earlier part the version's latest values of the
untracked columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dltflow.exceptions import GraphError
from dltflow.local.cdc.events import (
    DELETE,
    END_AT,
    KIND,
    OP,
    ORDER,
    ROW,
    START_AT,
    TOMBSTONE,
    UPSERT,
    one_event_per_sequence,
    prepare,
    tracked_columns,
    union,
    user_columns,
    window_order,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from dltflow.graph.elements import ApplyChangesFlow

START_ORDER = "__dltflow_start_order"
LAST_ORDER = "__dltflow_last_order"


def apply_scd2(state: DataFrame | None, changes: DataFrame,
               flow: ApplyChangesFlow) -> DataFrame:
    """The SCD 2 state after applying one batch of change rows to ``state``."""
    from pyspark.sql import functions as F

    if flow.apply_as_truncates is not None:
        raise GraphError(f"apply_changes flow '{flow.name}' sets apply_as_truncates with "
                         "stored_as_scd_type=2; DLT supports truncates only for SCD type 1",
                         names=[flow.name], hint="remove apply_as_truncates or use SCD type 1.",
                         location=str(flow.source_location) if flow.source_location else None)
    events = prepare(changes, flow)
    untouched = None
    if state is not None:
        touched, untouched = _split_by_keys(state, events, flow.keys)
        events = union([events, _as_events(touched)])
    columns = [c for c in events.columns if c not in (OP, ORDER)]
    events = one_event_per_sequence(events, flow.keys)
    if flow.ignore_null_updates:
        events = _fill_nulls(events, columns, flow.keys)
    versions = _versions(events, columns, flow)
    tombstones = events.where(F.col(OP) == DELETE).select(
        *flow.keys, ORDER, F.lit(TOMBSTONE).alias(KIND))
    parts = [versions, tombstones] + ([untouched] if untouched is not None else [])
    return union(parts)


def _key_match(right_keys: list[str], keys: tuple[str, ...]) -> Column:
    from functools import reduce

    from pyspark.sql import functions as F

    return reduce(lambda a, b: a & b, [F.col(k).eqNullSafe(F.col(r))
                                       for k, r in zip(keys, right_keys, strict=True)])


def _split_by_keys(state: DataFrame, events: DataFrame,
                   keys: tuple[str, ...]) -> tuple[DataFrame, DataFrame]:
    """The state rows of keys this batch mentions, and all the others."""
    from pyspark.sql import functions as F

    aliases = [f"__dltflow_key{i}" for i in range(len(keys))]
    mentioned = events.select(*[F.col(k).alias(a) for k, a in zip(keys, aliases, strict=True)])
    match = _key_match(aliases, keys)
    mentioned = mentioned.distinct()
    return (state.join(mentioned, match, "left_semi"),
            state.join(mentioned, match, "left_anti"))


def _as_events(state: DataFrame) -> DataFrame:
    """Versions and tombstones back as the events that produce them."""
    from pyspark.sql import functions as F

    user = user_columns(state)
    versions = state.where(F.col(KIND) == ROW)
    opened = versions.select(*user, F.col(START_ORDER).alias(ORDER), F.lit(UPSERT).alias(OP))
    latest = versions.where(F.col(LAST_ORDER) != F.col(START_ORDER)).select(
        *user, F.col(LAST_ORDER).alias(ORDER), F.lit(UPSERT).alias(OP))
    deletes = state.where(F.col(KIND) == TOMBSTONE).select(
        *user, ORDER, F.lit(DELETE).alias(OP))
    return union([opened, latest, deletes])


def _fill_nulls(events: DataFrame, columns: list[str], keys: tuple[str, ...]) -> DataFrame:
    """``ignore_null_updates``: a NULL keeps the value of the key's previous upsert
    (since its last delete)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ordered = Window.partitionBy(*keys).orderBy(*window_order(events))
    deletes_before = F.sum(F.when(F.col(OP) == DELETE, 1).otherwise(0)).over(
        ordered.rowsBetween(Window.unboundedPreceding, Window.currentRow))
    events = events.withColumn("__dltflow_segment", deletes_before)
    segment = (Window.partitionBy(*keys, "__dltflow_segment")
               .orderBy(*window_order(events))
               .rowsBetween(Window.unboundedPreceding, Window.currentRow))
    return events.select(*[F.col(c) if c in keys
                           else F.last(c, ignorenulls=True).over(segment).alias(c)
                           for c in columns], OP, ORDER)


def _versions(events: DataFrame, columns: list[str], flow: ApplyChangesFlow) -> DataFrame:
    """Group each key's consecutive upserts with unchanged tracked columns into versions."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    ordered = Window.partitionBy(*flow.keys).orderBy(*window_order(events))
    tracked = tracked_columns(columns, flow)
    same = F.lit(True)
    for c in tracked:
        same = same & F.col(c).eqNullSafe(F.lag(c).over(ordered))
    previous = F.lag(OP).over(ordered)
    opens = (F.col(OP) == UPSERT) & (previous.isNull() | (previous == DELETE) | ~same)
    running = ordered.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    marked = (events.withColumn("__dltflow_opens", opens.cast("int"))
              .withColumn("__dltflow_version", F.sum("__dltflow_opens").over(running))
              .withColumn("__dltflow_next", F.lead(F.col(ORDER + ".seq")).over(ordered)))
    values = [c for c in columns if c not in flow.keys]
    latest = [F.max_by(F.struct(*values), F.col(ORDER)).alias("__dltflow_values")] if values else []
    grouped = (marked.where(F.col(OP) == UPSERT)
               .groupBy(*flow.keys, "__dltflow_version")
               .agg(F.min(ORDER).alias(START_ORDER), F.max(ORDER).alias(LAST_ORDER),
                    F.max_by("__dltflow_next", F.col(ORDER)).alias(END_AT), *latest))
    return grouped.select(
        *[F.col(c) if c in flow.keys else F.col("__dltflow_values." + c).alias(c)
          for c in columns],
        F.col(START_ORDER + ".seq").alias(START_AT), F.col(END_AT),
        START_ORDER, LAST_ORDER, F.lit(ROW).alias(KIND))
