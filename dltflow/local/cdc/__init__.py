"""CDC for the local engine: ``apply_changes`` and ``apply_changes_from_snapshot``.

Three pure DataFrame functions; the runner stores the state between micro-batches
and runs, and writes :func:`visible` of it as the target table:

- :func:`apply_changes` folds one batch of change events into the state.
- :func:`apply_snapshot` folds one full snapshot into the state.
- :func:`visible` is what the target shows.

The state is a DataFrame of the target's user columns plus bookkeeping columns
prefixed ``__dltflow_`` (event order, tombstones of deleted keys, the newest truncate,
the last snapshot version). Semantics follow DLT's documentation; see
:mod:`dltflow.local.cdc.scd1`, :mod:`dltflow.local.cdc.scd2` and
:mod:`dltflow.local.cdc.snapshot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltflow.local.cdc.events import END_AT, KIND, ROW, START_AT, user_columns
from dltflow.local.cdc.scd1 import apply_scd1
from dltflow.local.cdc.scd2 import apply_scd2
from dltflow.local.cdc.snapshot import apply_snapshot as _apply_snapshot
from dltflow.local.cdc.snapshot import last_snapshot_version

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.graph.elements import ApplyChangesFlow, SnapshotFlow

__all__ = ["apply_changes", "apply_snapshot", "last_snapshot_version", "visible"]


def apply_changes(state: DataFrame | None, changes: DataFrame,
                  flow: ApplyChangesFlow) -> DataFrame:
    """The new state after applying one batch of change events.

    Args:
        state: the state returned by the previous call; None on the first batch (or
            after a full refresh).
        changes: rows of the flow's source dataset, not yet filtered by ``flow.where``.
        flow: the ``apply_changes`` declaration.

    Returns:
        The new state (lazy). Store it and pass it to the next call; show
        :func:`visible` of it as the target.

    Raises:
        GraphError: a key or listed column is missing from the source, or
            ``apply_as_truncates`` is set on an SCD type 2 flow.
    """
    if int(flow.stored_as_scd_type) == 2:
        return apply_scd2(state, changes, flow)
    return apply_scd1(state, changes, flow)


def apply_snapshot(state: DataFrame | None, snapshot: DataFrame, flow: SnapshotFlow, *,
                   version: Any = None) -> DataFrame:
    """The new state after applying one full snapshot.

    Args:
        state: the previous state; None before the first snapshot.
        snapshot: the complete current contents of the source.
        flow: the ``apply_changes_from_snapshot`` declaration.
        version: the snapshot's version (what a snapshot function returned with it);
            SCD 2 writes it to ``__START_AT`` / ``__END_AT``. When None (a snapshot
            dataset), the next integer after :func:`last_snapshot_version` is used,
            starting at 0. A version not newer than the last one is skipped: the state
            is returned unchanged.

    Returns:
        The new state (lazy).
    """
    return _apply_snapshot(state, snapshot, flow, version=version)


def visible(state: DataFrame, flow: ApplyChangesFlow | SnapshotFlow) -> DataFrame:
    """What the target table shows: user columns, plus ``__START_AT`` / ``__END_AT`` for
    SCD type 2; no bookkeeping columns, tombstones or markers."""
    from pyspark.sql import functions as F

    rows = state.where(F.col(KIND) == ROW)
    extra = [START_AT, END_AT] if int(flow.stored_as_scd_type) == 2 else []
    return rows.select(*user_columns(state), *extra)
