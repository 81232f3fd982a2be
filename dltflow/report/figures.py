"""Per-node figures of one run, from its events: status, rows, dropped rows, duration,
expectation counts, the error, and what a failure skipped downstream.

Dataset figures come from :func:`dltflow.local.result.summarize`, the same function that
builds the run's own result, so the page and ``dltflow run`` agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dltflow.local import Event, FlowFinished, summarize
from dltflow.report.model import PipelineGraph, dataset_id, flow_id

__all__ = ["NodeFigures", "node_figures", "pass_rate", "worst_expectation"]


@dataclass(frozen=True)
class NodeFigures:
    """What one dataset or flow did in the run.

    Args:
        status: ``COMPLETED``, ``FAILED`` or ``SKIPPED``.
        output_rows: rows written (None: a view that was not materialized).
        dropped_rows: rows removed by ``drop``/``quarantine`` expectations.
        duration_s: wall time of its flows, summed.
        expectations: name -> ``{"passed_records", "failed_records"}``.
        error: the error message when it failed.
        skipped: for a failed dataset, the datasets it caused to be skipped.
    """

    status: str
    output_rows: int | None
    dropped_rows: int
    duration_s: float
    expectations: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    error: str | None = None
    skipped: tuple[str, ...] = ()


def pass_rate(counts: Mapping[str, int]) -> float | None:
    """Passed / (passed + failed), or None when no record was checked."""
    total = counts["passed_records"] + counts["failed_records"]
    return counts["passed_records"] / total if total else None


def worst_expectation(figures: NodeFigures) -> tuple[str, float] | None:
    """The expectation with the lowest pass rate (ties: the first), or None."""
    rated = [(name, rate) for name, counts in figures.expectations.items()
             if (rate := pass_rate(counts)) is not None]
    return min(rated, key=lambda item: item[1]) if rated else None


def _flows(events: Iterable[Event]) -> dict[str, list[FlowFinished]]:
    finished: dict[str, list[FlowFinished]] = {}
    for event in events:
        if isinstance(event, FlowFinished):
            finished.setdefault(event.flow, []).append(event)
    return finished


def node_figures(graph: PipelineGraph, events: Iterable[Event]) -> dict[str, NodeFigures]:
    """Node id -> figures, for every dataset and flow node the run touched."""
    events = list(events)
    per_dataset = summarize(events)
    finished = [e for e in events if isinstance(e, FlowFinished)]
    figures: dict[str, NodeFigures] = {}
    for name, result in per_dataset.items():
        own = [e for e in finished if e.dataset == name]
        error = next((e.error for e in own if e.error), None)
        figures[dataset_id(name)] = NodeFigures(
            result.status, result.output_rows, result.dropped_rows,
            sum(e.duration_s for e in own), result.expectations, error)
    for name, runs in _flows(finished).items():
        node = flow_id(name)
        if not any(n.id == node for n in graph.nodes):
            continue
        status = "FAILED" if any(e.status == "FAILED" for e in runs) else runs[-1].status
        rows = [e.output_rows for e in runs if e.output_rows is not None]
        figures[node] = NodeFigures(status, sum(rows) if rows else None,
                                    sum(e.dropped_rows for e in runs),
                                    sum(e.duration_s for e in runs), {},
                                    next((e.error for e in runs if e.error), None))
    return _with_skipped(graph, figures)


def _with_skipped(graph: PipelineGraph, figures: dict[str, NodeFigures]
                  ) -> dict[str, NodeFigures]:
    """A failed dataset lists the skipped datasets downstream of it."""
    for node_id, fig in list(figures.items()):
        if fig.status != "FAILED" or not node_id.startswith("ds:"):
            continue
        skipped = tuple(graph.node(n).name for n in graph.downstream(node_id)
                        if n.startswith("ds:") and figures.get(n)
                        and figures[n].status == "SKIPPED")
        figures[node_id] = NodeFigures(fig.status, fig.output_rows, fig.dropped_rows,
                                       fig.duration_s, fig.expectations, fig.error, skipped)
    return figures
