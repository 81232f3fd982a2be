"""The planned graph as events: one ``DatasetDefined`` per dataset, one ``FlowDefined``
per flow, emitted at the start of a run so the event log alone can redraw the graph."""

from __future__ import annotations

from collections.abc import Iterator

from dltflow.graph.elements import Sink, SourceLocation, Table, View
from dltflow.local.events import DatasetDefined, FlowDefined
from dltflow.local.plan.build import ExecutionPlan, PartialPlan, PlanStep

__all__ = ["QUARANTINE_SUFFIX", "graph_events", "partial_graph_events"]

QUARANTINE_SUFFIX = "_quarantine"


def _where(location: SourceLocation | None) -> str | None:
    return str(location) if location is not None else None


def _kind(step: PlanStep) -> str:
    if isinstance(step.dataset, Sink):
        return "sink"
    if isinstance(step.dataset, View):
        return "view"
    if isinstance(step.dataset, Table) and step.dataset.kind == "materialized_view":
        return "materialized_view"
    return "streaming_table" if step.mode == "streaming" else "materialized_view"


def _quarantine_of(name: str, datasets: tuple[str, ...]) -> str | None:
    """The dataset a ``<name>_quarantine`` table holds the failing rows of (quarantine
    expectations add such a table next to their dataset)."""
    base = name[:-len(QUARANTINE_SUFFIX)]
    return base if name.endswith(QUARANTINE_SUFFIX) and base in datasets else None


def graph_events(plan: ExecutionPlan) -> Iterator[DatasetDefined | FlowDefined]:
    """The definition events of ``plan``, in plan order."""
    for step in plan.steps:
        yield DatasetDefined(
            step.name, _kind(step),
            tuple((s.name, s.constraint, s.action) for s in step.dataset.expectations),
            _quarantine_of(step.name, plan.all_datasets),
            location=_where(step.dataset.source_location))
        for flow in step.flows:
            yield FlowDefined(flow.name, step.name, flow.kind, flow.reads, flow.inputs,
                              flow.streaming)


def partial_graph_events(partial: PartialPlan) -> Iterator[DatasetDefined | FlowDefined]:
    """The graph of a pipeline that could not be planned: every declared dataset with
    its declared expectations, what analysis found it reads, and why it failed."""
    names = tuple(d.name for d in partial.datasets)
    for dataset in partial.datasets:
        step = partial.steps.get(dataset.name)
        if step is not None:
            yield from graph_events(ExecutionPlan((step,), names, ""))
            continue
        kind = "view" if isinstance(dataset, View) else (
            "streaming_table" if isinstance(dataset, Table)
            and dataset.kind == "streaming_table" else "materialized_view")
        yield DatasetDefined(
            dataset.name, kind,
            tuple((s.name, s.constraint, s.action) for s in dataset.expectations),
            _quarantine_of(dataset.name, names), partial.errors.get(dataset.name),
            _where(dataset.source_location))
        yield FlowDefined(dataset.name, dataset.name, "query",
                          partial.reads.get(dataset.name, ()))
