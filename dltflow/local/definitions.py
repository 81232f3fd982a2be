"""The planned graph as events: one ``DatasetDefined`` per dataset, one ``FlowDefined``
per flow, emitted at the start of a run so the event log alone can redraw the graph."""

from __future__ import annotations

from collections.abc import Iterator

from dltflow.graph.elements import Table, View
from dltflow.local.events import DatasetDefined, FlowDefined
from dltflow.local.plan import ExecutionPlan, PlanStep

__all__ = ["QUARANTINE_SUFFIX", "definitions"]

QUARANTINE_SUFFIX = "_quarantine"


def _kind(step: PlanStep) -> str:
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


def definitions(plan: ExecutionPlan) -> Iterator[DatasetDefined | FlowDefined]:
    """The definition events of ``plan``, in plan order."""
    for step in plan.steps:
        yield DatasetDefined(
            step.name, _kind(step),
            tuple((s.name, s.constraint, s.action) for s in step.dataset.expectations),
            _quarantine_of(step.name, plan.all_datasets))
        for flow in step.flows:
            yield FlowDefined(flow.name, step.name, flow.kind, flow.reads, flow.inputs,
                              flow.streaming)
