"""The flows of a plan: a dataset's own query, append flows, CDC and snapshot flows.

Every way of filling a dataset becomes one :class:`PlannedFlow`, so the planner and
the runner walk a single list per dataset. Also here: how a table name read inside a
query (``LIVE.x``, ``x``, ``<schema>.x``) maps to a dataset of the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from dltflow.graph.elements import (
    AppendFlow,
    ApplyChangesFlow,
    Dataset,
    Flow,
    SnapshotFlow,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.local.inputs import ExternalInput
    from dltflow.local.registry import Resolver

FlowKind = Literal["query", "append", "apply_changes", "snapshot"]


@dataclass(frozen=True)
class PlannedFlow:
    """One flow into a dataset, with what analysis found out about it.

    Args:
        name: the flow's name (a dataset's own query is named after the dataset).
        target: the dataset it fills.
        kind: ``query`` (the dataset's own function), ``append``, ``apply_changes``
            or ``snapshot``.
        element: the declared dataset (for ``query``) or flow.
        reads: the datasets its query read during analysis.
        streaming: whether its query returned a streaming DataFrame.
        inputs: what its query reads from outside the pipeline (files, tables).
    """

    name: str
    target: str
    kind: FlowKind
    element: Dataset | Flow
    reads: tuple[str, ...] = ()
    streaming: bool = False
    inputs: tuple[ExternalInput, ...] = ()

    @property
    def query(self) -> Callable[[], DataFrame]:
        """The user's function (``query`` and ``append`` flows)."""
        query: Callable[[], DataFrame] | None = getattr(self.element, "query", None)
        assert query is not None, f"flow {self.name} has no query function"
        return query

    @property
    def source(self) -> Any:
        """The source dataset name (or snapshot function) of a CDC or snapshot flow."""
        return getattr(self.element, "source", None)

    @property
    def once(self) -> bool:
        """Whether the flow runs only once (a backfill)."""
        return bool(getattr(self.element, "once", False))

    @property
    def function_name(self) -> str:
        """The user's function, for error messages."""
        func = getattr(self.element, "query", None) or self.source
        if callable(func):
            return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"
        return self.name

    def analysed(self, reads: tuple[str, ...], streaming: bool,
                 inputs: tuple[ExternalInput, ...] = ()) -> PlannedFlow:
        """This flow with the analysis' findings."""
        return replace(self, reads=reads, streaming=streaming, inputs=inputs)

    def analyse(self, resolver: Resolver) -> DataFrame | None:
        """Run the flow's definition against empty inputs; the result carries the schema."""
        if self.kind in ("query", "append"):
            return self.query()
        if self.kind == "apply_changes":
            assert isinstance(self.element, ApplyChangesFlow)
            changes = resolver.read(self.element.source, streaming=False)
            return _cdc_schema_frame(changes, self.element)
        assert isinstance(self.element, SnapshotFlow)
        if isinstance(self.element.source, str):
            snapshot = resolver.read(self.element.source, streaming=False)
            return _snapshot_schema_frame(snapshot, self.element)
        # A snapshot function: its first snapshot (usually a lazy read) gives the schema.
        first = self.element.source(None)
        return None if first is None else _snapshot_schema_frame(first[0], self.element)


def _cdc_schema_frame(changes: DataFrame, flow: ApplyChangesFlow) -> DataFrame:
    """What the target of a CDC flow looks like, computed on empty changes."""
    try:
        from dltflow.local import cdc
    except ImportError:  # the CDC module is optional until it lands
        return changes
    return cdc.visible(cdc.apply_changes(None, changes, flow), flow)


def _snapshot_schema_frame(snapshot: DataFrame, flow: SnapshotFlow) -> DataFrame:
    try:
        from dltflow.local import cdc
    except ImportError:
        return snapshot
    return cdc.visible(cdc.apply_snapshot(None, snapshot, flow), flow)


def flows_by_target(datasets: Iterable[Dataset], flows: Iterable[Flow]
                    ) -> dict[str, list[PlannedFlow]]:
    """Each dataset's flows: its own query first, then the flows declared into it."""
    result: dict[str, list[PlannedFlow]] = {}
    for dataset in datasets:
        own = [PlannedFlow(dataset.name, dataset.name, "query", dataset)] if dataset.query else []
        result[dataset.name] = own
    for flow in flows:
        kind: FlowKind = ("append" if isinstance(flow, AppendFlow) else
                          "apply_changes" if isinstance(flow, ApplyChangesFlow) else "snapshot")
        result.setdefault(flow.target, []).append(PlannedFlow(flow.name, flow.target, kind, flow))
    return result


def _parts(table_name: str) -> list[str]:
    return [p.strip().strip("`") for p in table_name.split(".")]


def lookup_name(table_name: str, datasets: Iterable[str], schema: str) -> str | None:
    """The dataset ``table_name`` refers to inside a query, or None for a catalog table.

    ``LIVE.x`` always means dataset ``x`` (an unknown ``x`` is then reported by the
    read); ``x`` and ``<schema>.x`` mean the dataset only when the pipeline declares it.
    """
    parts = _parts(table_name)
    names = set(datasets)
    if len(parts) == 2 and parts[0].lower() == "live":
        return parts[1]
    if len(parts) == 1 and parts[0] in names:
        return parts[0]
    if len(parts) == 2 and parts[0] == schema and parts[1] in names:
        return parts[1]
    return None
