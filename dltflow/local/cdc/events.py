"""Change events as the CDC functions see them: ordered, classified, projected.

Every CDC batch first becomes a frame of *events*: the target's user columns plus
bookkeeping columns prefixed ``__dltflow_``. The ordering column is a struct
``(seq, rank, tie)`` so that one comparison decides which of two events is newer,
the same way within a batch and across batches (which is what makes the result
independent of how the history was split into micro-batches):

- ``seq``: the ``sequence_by`` value (a struct for multi-column sequencing).
- ``rank``: at an equal sequence value an upsert (0) comes before a delete (1), which
  comes before a truncate (2), so deletes and truncates win ties.
- ``tie``: a hash of the event's user columns, so two different upserts of one key at
  one sequence value resolve the same way on every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import GraphError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from dltflow.graph.elements import ApplyChangesFlow, SnapshotFlow

PREFIX = "__dltflow_"
ORDER = "__dltflow_order"
OP = "__dltflow_op"
KIND = "__dltflow_kind"
START_AT = "__START_AT"
END_AT = "__END_AT"

UPSERT, DELETE, TRUNCATE = "upsert", "delete", "truncate"

ROW, TOMBSTONE, MARKER = "row", "tombstone", "marker"
"""State row kinds: a visible row, a remembered delete, a table-level marker."""


def user_columns(frame: DataFrame) -> list[str]:
    """The columns of a state frame the target shows (no bookkeeping, no SCD 2 columns)."""
    return [c for c in frame.columns
            if not c.startswith(PREFIX) and c not in (START_AT, END_AT)]


def selected_columns(columns: Sequence[str], flow: ApplyChangesFlow) -> list[str]:
    """The source columns the target keeps: ``column_list`` / ``except_column_list``.

    Keys are always kept (a row without its key cannot be matched), in source order.
    """
    missing = [c for c in (*flow.keys, *(flow.column_list or ()),
                           *(flow.except_column_list or ())) if c not in columns]
    if missing:
        raise GraphError(f"apply_changes flow '{flow.name}': column(s) {missing} are not in "
                         f"the source '{flow.source}' (columns: {list(columns)})",
                         names=[flow.name, flow.source], location=_where(flow),
                         hint="check keys, column_list and except_column_list against the "
                              "source's schema.")
    if flow.column_list is not None:
        wanted = set(flow.column_list) | set(flow.keys)
        return [c for c in columns if c in wanted]
    dropped = set(flow.except_column_list or ()) - set(flow.keys)
    return [c for c in columns if c not in dropped]


def tracked_columns(columns: Sequence[str], flow: ApplyChangesFlow | SnapshotFlow) -> list[str]:
    """SCD 2: the non-key columns whose change opens a new version."""
    candidates = [c for c in columns if c not in flow.keys]
    if flow.track_history_column_list is not None:
        return [c for c in candidates if c in set(flow.track_history_column_list)]
    excluded = set(flow.track_history_except_column_list or ())
    return [c for c in candidates if c not in excluded]


def condition(value: Any) -> Column | None:
    """A SQL string or Column condition; NULL counts as false."""
    from pyspark.sql import Column
    from pyspark.sql import functions as F

    if value is None:
        return None
    column = value if isinstance(value, Column) else F.expr(value)
    return F.coalesce(column, F.lit(False))


def sequence(flow: ApplyChangesFlow) -> Column:
    """The ``sequence_by`` expression; a NULL sequence value fails the update, as in DLT."""
    from pyspark.sql import Column
    from pyspark.sql import functions as F

    seq = flow.sequence_by if isinstance(flow.sequence_by, Column) else F.col(flow.sequence_by)
    message = (f"apply_changes flow '{flow.name}': an event of '{flow.source}' has a NULL "
               f"sequence_by value; DLT does not support NULL sequencing values")
    return F.when(seq.isNull(), F.raise_error(F.lit(message))).otherwise(seq)


def prepare(changes: DataFrame, flow: ApplyChangesFlow) -> DataFrame:
    """Turn raw change rows into events: selected columns + ``__dltflow_op`` + order."""
    from pyspark.sql import functions as F

    where = condition(flow.where)
    if where is not None:
        changes = changes.where(where)
    columns = selected_columns(changes.columns, flow)
    truncate, delete = condition(flow.apply_as_truncates), condition(flow.apply_as_deletes)
    op = F.lit(UPSERT)
    if delete is not None:
        op = F.when(delete, F.lit(DELETE)).otherwise(op)
    if truncate is not None:
        op = F.when(truncate, F.lit(TRUNCATE)).otherwise(op)
    events = changes.select(*columns, sequence(flow).alias("__dltflow_seq"), op.alias(OP))
    # no `otherwise`: a nullable rank, like the state's (Sail unions structs only when
    # their fields' nullability agrees)
    rank = F.when(F.col(OP) == UPSERT, 0).when(F.col(OP) == DELETE, 1).when(
        F.col(OP) == TRUNCATE, 2)
    tie = F.xxhash64(*[F.col(c) for c in columns])
    return events.select(*columns, F.col(OP), F.struct(
        F.col("__dltflow_seq").alias("seq"), rank.alias("rank"), tie.alias("tie")).alias(ORDER))


def one_event_per_sequence(events: DataFrame, keys: Iterable[str]) -> DataFrame:
    """Keep, per key and sequence value, only the winning event (highest rank, then tie).

    DLT expects one distinct change per key per sequence value; collapsing the rest
    deterministically makes duplicates (a replayed file, a double-sent event) harmless.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy(*keys, F.col(ORDER + ".seq")).orderBy(
        *window_order(events, descending=True))
    return (events.withColumn("__dltflow_pick", F.row_number().over(window))
            .where("__dltflow_pick = 1").drop("__dltflow_pick"))


def union(frames: Sequence[DataFrame]) -> DataFrame:
    """Union by name, tolerating columns that only some frames have (schema evolution).

    A column a frame lacks is added to it as a NULL of the type the other frames give
    it, rather than left to ``allowMissingColumns``: Sail then reports the column as
    ``void`` while it holds values, and the stored schema would be wrong.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import NullType

    types: dict[str, Any] = {}
    for frame in frames:
        for field in frame.schema.fields:
            if isinstance(types.get(field.name, NullType()), NullType):
                types[field.name] = field.dataType
    result = None
    for frame in frames:
        present = set(frame.columns)
        padded = frame.select(*frame.columns, *[F.lit(None).cast(kind).alias(name)
                                                for name, kind in types.items()
                                                if name not in present])
        result = padded if result is None else result.unionByName(padded)
    assert result is not None, "union of no frames"
    return result


def _where(flow: ApplyChangesFlow | SnapshotFlow) -> str | None:
    return str(flow.source_location) if flow.source_location else None


def window_order(frame: DataFrame, *, descending: bool = False) -> list[Column]:
    """The fields of ``frame``'s order struct, one by one, to order a window by.

    The same order as comparing the struct itself, but some engines (Sail) cannot order a
    window by a struct column, so windows never do.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    def fields(path: str, kind: Any) -> list[str]:
        if isinstance(kind, StructType):
            return [p for f in kind.fields for p in fields(f"{path}.`{f.name}`", f.dataType)]
        return [path]

    paths = fields(f"`{ORDER}`", frame.schema[ORDER].dataType)
    return [F.col(p).desc() if descending else F.col(p).asc() for p in paths]
