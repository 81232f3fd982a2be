"""What cannot run one micro-batch at a time: stateful operators of a streaming query.

dltflow's incremental reads (:mod:`dltflow.local.streaming`) see each batch alone, so
an aggregation, ``dropDuplicates``, a join of two streams, a sort or a limit would be
computed per batch; the planner finds them here and such a flow is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dltflow.local.engines.capabilities import classic_frame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["is_streaming", "stateful_operator"]

_CLASSIC_STATEFUL = {
    "Aggregate": "an aggregation", "Deduplicate": "dropDuplicates",
    "DeduplicateWithinWatermark": "dropDuplicatesWithinWatermark",
    "FlatMapGroupsWithState": "a stateful function (mapGroupsWithState)",
    "FlatMapGroupsInPandasWithState": "a stateful function (applyInPandasWithState)",
    "TransformWithState": "a stateful processor (transformWithState)",
    "TransformWithStateInPandas": "a stateful processor (transformWithState)",
    "Sort": "a sort", "GlobalLimit": "a limit", "LocalLimit": "a limit",
}
_CONNECT_STATEFUL = {
    "aggregate": "an aggregation", "deduplicate": "dropDuplicates",
    "group_map": "a stateful function (mapGroupsWithState)",
    "apply_in_pandas_with_state": "a stateful function (applyInPandasWithState)",
    "transform_with_state": "a stateful processor (transformWithState)",
    "sort": "a sort", "limit": "a limit", "tail": "a limit",
}


def stateful_operator(df: DataFrame | None) -> str | None:
    """The first operator of a streaming DataFrame that needs state across micro-batches
    (an aggregation, ``dropDuplicates``, a join of two streams, a sort or limit), or None.

    Incremental reads see each batch alone, so such a flow would silently compute per
    batch what Structured Streaming computes over the whole stream; the planner asks
    this once per streaming flow and the flow is refused instead.
    """
    if df is None or not is_streaming(df):
        return None
    jdf = classic_frame(df)
    try:
        if jdf is not None:
            return _classic_stateful(jdf.queryExecution().analyzed())
        plan = getattr(df, "_plan", None)
        if plan is None:
            return None
        return _connect_stateful(plan.to_proto(df.sparkSession.client))
    except Exception:  # noqa: BLE001 - an unreadable plan is not refused here
        return None


def is_streaming(df: DataFrame) -> bool:
    """Whether ``df`` is a streaming DataFrame.

    Spark Connect answers this with a round trip per query; a plan without a streaming
    read cannot stream, and most of a pipeline's queries are batch, so their plans are
    looked at first and the server asked only when one has a streaming read.
    """
    if classic_frame(df) is None:
        plan = getattr(df, "_plan", None)
        try:
            if plan is not None and not _streams(plan.to_proto(df.sparkSession.client)):
                return False
        except Exception:  # noqa: BLE001, S110 - an unreadable plan: the server says
            pass
    return bool(df.isStreaming)


def _classic_stateful(node: Any) -> str | None:
    if node.isStreaming():
        kind = node.nodeName()
        if kind in _CLASSIC_STATEFUL:
            return _CLASSIC_STATEFUL[kind]
        if kind == "Join" and node.left().isStreaming() and node.right().isStreaming():
            return "a join of two streams"
    children = node.children()
    for index in range(children.size()):
        found = _classic_stateful(children.apply(index))
        if found is not None:
            return found
    return None


def _relations(message: Any) -> Iterator[Any]:
    """Every Spark Connect relation nested in ``message`` (itself included)."""
    if type(message).__name__ == "Relation":
        yield message
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        repeated = not hasattr(value, "ListFields")  # a repeated field or a map
        for item in (value.values() if hasattr(value, "values") else value) if repeated \
                else [value]:
            if hasattr(item, "ListFields"):
                yield from _relations(item)


def _streams(relation: Any) -> bool:
    return any(r.WhichOneof("rel_type") == "read" and r.read.is_streaming
               for r in _relations(relation))


def _connect_stateful(plan: Any) -> str | None:
    for relation in _relations(plan):
        kind = relation.WhichOneof("rel_type")
        if kind in _CONNECT_STATEFUL and _streams(relation):
            return _CONNECT_STATEFUL[kind]
        if kind == "join" and _streams(relation.join.left) and _streams(relation.join.right):
            return "a join of two streams"
    return None
