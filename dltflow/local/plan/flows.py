"""The flows of a plan: a dataset's own query, append flows, CDC and snapshot flows.

Every way of filling a dataset becomes one planned flow, a typed variant per kind
(:class:`QueryFlow`, :class:`AppendFlowPlan`, :class:`ChangesFlowPlan`,
:class:`SnapshotFlowPlan`), so the planner and the runner walk a single list per
dataset and pick behaviour by type, never by a string. Also here: how a table name read inside a
query (``LIVE.x``, ``x``, ``<schema>.x``) maps to a dataset of the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Self

from dltflow.graph.elements import (
    AppendFlow,
    ApplyChangesFlow,
    Dataset,
    Flow,
    QueryFunction,
    SnapshotFlow,
    Table,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.local.plan.inputs import ExternalInput
    from dltflow.local.plan.registry import Resolver

@dataclass(frozen=True)
class _Planned:
    """What every planned flow has: its name, its target, and what analysis found.

    Args:
        name: the flow's name (a dataset's own query is named after the dataset).
        target: the dataset it fills.
        reads: the datasets its query read during analysis.
        streaming: whether its query returned a streaming DataFrame.
        inputs: what its query reads from outside the pipeline (files, tables).
        stateful: the first operator of its stream that needs state across
            micro-batches (``an aggregation``, ...), or None.
    """

    name: str
    target: str
    reads: tuple[str, ...] = field(default=(), kw_only=True)
    streaming: bool = field(default=False, kw_only=True)
    inputs: tuple[ExternalInput, ...] = field(default=(), kw_only=True)
    stateful: str | None = field(default=None, kw_only=True)

    kind: ClassVar[str]
    once: ClassVar[bool] = False

    @property
    def spark_conf(self) -> Mapping[str, str]:
        """Spark settings while the flow runs (none unless declared)."""
        return {}

    def analysed(self, reads: tuple[str, ...], streaming: bool,
                 inputs: tuple[ExternalInput, ...] = (), stateful: str | None = None) -> Self:
        """This flow with the analysis' findings."""
        return replace(self, reads=reads, streaming=streaming, inputs=inputs,
                       stateful=stateful)


class _RunsAQuery:
    """What the flows whose rows are a user query's result share."""

    name: str
    query: QueryFunction

    @property
    def function_name(self) -> str:
        """The user's function, for error messages."""
        return _function_name(self.query, self.name)

    def analyse(self, resolver: Resolver) -> DataFrame | None:
        """Run the query against empty inputs; the result carries the schema."""
        return self.query()


@dataclass(frozen=True)
class QueryFlow(_RunsAQuery, _Planned):
    """A dataset's own query (``@dlt.table`` / ``@dlt.view``): the dataset is its result."""

    element: Dataset
    query: QueryFunction
    kind: ClassVar[str] = "query"

    @property
    def spark_conf(self) -> Mapping[str, str]:
        """The table's ``spark_conf`` (views have none)."""
        return self.element.spark_conf if isinstance(self.element, Table) else {}


@dataclass(frozen=True)
class AppendFlowPlan(_RunsAQuery, _Planned):
    """An append flow (``@dlt.append_flow``) into a streaming table."""

    element: AppendFlow
    query: QueryFunction
    kind: ClassVar[str] = "append"

    @property
    def spark_conf(self) -> Mapping[str, str]:
        """The flow's ``spark_conf``."""
        return self.element.spark_conf

    @property
    def once(self) -> bool:  # type: ignore[override]
        """Whether the flow runs only once (a backfill)."""
        return self.element.once


@dataclass(frozen=True)
class ChangesFlowPlan(_Planned):
    """An ``apply_changes`` flow: change events of a source applied to its target."""

    element: ApplyChangesFlow
    kind: ClassVar[str] = "apply_changes"

    @property
    def once(self) -> bool:  # type: ignore[override]
        """Whether the flow runs only once (a backfill)."""
        return self.element.once

    @property
    def function_name(self) -> str:
        """The flow, for error messages (its source is a dataset, not a function)."""
        return self.name

    def analyse(self, resolver: Resolver) -> DataFrame | None:
        """What the target looks like, computed on the source's empty changes."""
        from dltflow.local import cdc

        changes = resolver.read(self.element.source, streaming=False)
        return cdc.visible(cdc.apply_changes(None, changes, self.element), self.element)


@dataclass(frozen=True)
class SnapshotFlowPlan(_Planned):
    """An ``apply_changes_from_snapshot`` flow: a source snapshot (or a snapshot function)."""

    element: SnapshotFlow
    kind: ClassVar[str] = "snapshot"

    @property
    def function_name(self) -> str:
        """The snapshot function (or the flow), for error messages."""
        return _function_name(self.element.source, self.name)

    def analyse(self, resolver: Resolver) -> DataFrame | None:
        """What the target looks like, computed on the first snapshot."""
        from dltflow.local import cdc

        source = self.element.source
        if isinstance(source, str):
            snapshot: DataFrame | None = resolver.read(source, streaming=False)
        else:  # a snapshot function: its first snapshot (usually a lazy read) gives the schema
            first = source(None)
            snapshot = None if first is None else first[0]
        if snapshot is None:
            return None
        return cdc.visible(cdc.apply_snapshot(None, snapshot, self.element), self.element)


PlannedFlow = QueryFlow | AppendFlowPlan | ChangesFlowPlan | SnapshotFlowPlan
"""One way of filling a dataset; the runner picks its executor by the variant's type."""


def _function_name(func: Any, default: str) -> str:
    if callable(func):
        return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"
    return default


def _planned(flow: Flow) -> PlannedFlow:
    if isinstance(flow, AppendFlow):
        return AppendFlowPlan(flow.name, flow.target, element=flow, query=flow.query)
    if isinstance(flow, ApplyChangesFlow):
        return ChangesFlowPlan(flow.name, flow.target, element=flow)
    return SnapshotFlowPlan(flow.name, flow.target, element=flow)


def flows_by_target(datasets: Iterable[Dataset], flows: Iterable[Flow]
                    ) -> dict[str, list[PlannedFlow]]:
    """Each dataset's flows: its own query first, then the flows declared into it."""
    result: dict[str, list[PlannedFlow]] = {}
    for dataset in datasets:
        own: list[PlannedFlow] = []
        if dataset.query is not None:
            own.append(QueryFlow(dataset.name, dataset.name, element=dataset,
                                 query=dataset.query))
        result[dataset.name] = own
    for flow in flows:
        result.setdefault(flow.target, []).append(_planned(flow))
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
