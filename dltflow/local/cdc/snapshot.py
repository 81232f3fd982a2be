"""``apply_changes_from_snapshot``: changes derived by comparing full snapshots.

Each call compares a new snapshot with the target: keys only in the snapshot are
inserts, keys only in the target are deletes, keys in both whose values differ are
updates. SCD 1 then shows exactly the latest snapshot; SCD 2 closes changed and
missing rows at the snapshot's version and opens new versions there (``__START_AT`` /
``__END_AT`` hold snapshot versions). Changes to columns excluded from history
tracking update the current version in place.

The state carries a ``marker`` row with the version of the last snapshot applied, so
the engine can ask a snapshot function for the next one
(:func:`last_snapshot_version`) and a snapshot older than the last one is skipped,
as DLT documents.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import GraphError
from dltflow.local.cdc.events import (
    END_AT,
    KIND,
    MARKER,
    ROW,
    START_AT,
    tracked_columns,
    union,
    user_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from dltflow.graph.elements import SnapshotFlow

VERSION = "__dltflow_version"


def last_snapshot_version(state: DataFrame | None) -> Any:
    """The version of the last snapshot applied to ``state``; None before the first."""
    from pyspark.sql import functions as F

    if state is None:
        return None
    row = state.where(F.col(KIND) == MARKER).select(VERSION).first()
    return None if row is None else row[0]


def apply_snapshot(state: DataFrame | None, snapshot: DataFrame, flow: SnapshotFlow, *,
                   version: Any = None) -> DataFrame:
    """The state after applying one snapshot (see :func:`dltflow.local.cdc.apply_snapshot`)."""
    last = last_snapshot_version(state)
    if version is None:
        version = 0 if last is None else last + 1
    elif last is not None and version <= last:
        assert state is not None
        return state
    _check_keys(snapshot, flow)
    snapshot = _one_row_per_key(snapshot, flow.keys)
    rows = (_scd2_rows(state, snapshot, flow, version) if int(flow.stored_as_scd_type) == 2
            else _scd1_rows(snapshot))
    return union([rows, _marker(snapshot, version)])


def _check_keys(snapshot: DataFrame, flow: SnapshotFlow) -> None:
    missing = [k for k in flow.keys if k not in snapshot.columns]
    if missing:
        raise GraphError(f"apply_changes_from_snapshot flow '{flow.name}': key column(s) "
                         f"{missing} are not in the snapshot (columns: {snapshot.columns})",
                         names=[flow.name], hint="check `keys` against the snapshot's schema.",
                         location=str(flow.source_location) if flow.source_location else None)


def _one_row_per_key(snapshot: DataFrame, keys: tuple[str, ...]) -> DataFrame:
    """A snapshot should hold one row per key; extra rows are dropped deterministically."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    columns = snapshot.columns
    pick = Window.partitionBy(*keys).orderBy(F.xxhash64(*columns).desc())
    return (snapshot.withColumn("__dltflow_pick", F.row_number().over(pick))
            .where("__dltflow_pick = 1").select(*columns))


def _marker(snapshot: DataFrame, version: Any) -> DataFrame:
    from pyspark.sql import functions as F

    return snapshot.sparkSession.range(1).select(
        _literal(version).alias(VERSION), F.lit(MARKER).alias(KIND))


def _literal(version: Any) -> Column:
    """The version as a literal; Python ints are always BIGINT so the type never changes."""
    from pyspark.sql import functions as F

    if isinstance(version, int) and not isinstance(version, bool):
        return F.lit(version).cast("bigint")
    return F.lit(version)


def _scd1_rows(snapshot: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return snapshot.withColumn(KIND, F.lit(ROW))


def _scd2_rows(state: DataFrame | None, snapshot: DataFrame, flow: SnapshotFlow,
               version: Any) -> DataFrame:
    from pyspark.sql import functions as F

    at = _literal(version)
    columns = snapshot.columns
    values = [c for c in columns if c not in flow.keys]
    new = snapshot.select(*flow.keys, F.struct(*columns).alias("__n"))
    if state is None:
        return new.select(*[F.col("__n." + c).alias(c) for c in columns],
                          at.alias(START_AT), F.when(F.lit(False), at).alias(END_AT),
                          F.lit(ROW).alias(KIND))
    rows = state.where(F.col(KIND) == ROW)
    old_columns = user_columns(rows)
    old = rows.where(F.col(END_AT).isNull()).select(
        *flow.keys, F.struct(*old_columns).alias("__o"), START_AT)
    joined = old.join(new, on=list(flow.keys), how="full_outer")
    both = F.col("__o").isNotNull() & F.col("__n").isNotNull()
    changed = both & ~_same(tracked_columns(columns, flow))
    closed = joined.where(F.col("__o").isNotNull() & (F.col("__n").isNull() | changed)).select(
        *flow.keys, *[F.col("__o." + c).alias(c) for c in old_columns if c not in flow.keys],
        START_AT, at.alias(END_AT), F.lit(ROW).alias(KIND))
    start = F.when(both & ~changed, F.col(START_AT)).otherwise(at)
    opened = joined.where(F.col("__n").isNotNull()).select(
        *flow.keys, *[F.col("__n." + c).alias(c) for c in values],
        start.alias(START_AT), F.when(F.lit(False), at).alias(END_AT), F.lit(ROW).alias(KIND))
    history = rows.where(F.col(END_AT).isNotNull()).select(
        *old_columns, START_AT, END_AT, KIND)
    return union([opened, closed, history])


def _same(tracked: list[str]) -> Column:
    from pyspark.sql import functions as F

    checks = [F.col("__o." + c).eqNullSafe(F.col("__n." + c)) for c in tracked]
    return reduce(lambda a, b: a & b, checks, F.lit(True))
