"""The report's entry points: a plan's or a broken pipeline's graph, the graph in a
text format or as a page, and a run's report page from the event log."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from dltflow.exceptions import DLTException
from dltflow.local import (
    DatasetDefined,
    ExecutionPlan,
    FlowDefined,
    graph_events,
    partial_graph_events,
    partial_plan_of,
)
from dltflow.report.figures import NodeFigures, node_figures
from dltflow.report.html import RunContext, render_page
from dltflow.report.model import Node, PipelineGraph, build_graph
from dltflow.report.runlog import load_run
from dltflow.report.text import to_dot, to_mermaid

__all__ = ["GraphFormat", "graph_of", "graph_of_pipeline", "render_graph", "report_html"]

GraphFormat = Literal["html", "mermaid", "dot"]


def graph_of(plan: ExecutionPlan) -> PipelineGraph:
    """The graph of a plan (what ``dltflow run`` would record at its start)."""
    return build_graph(graph_events(plan))


def graph_of_pipeline(**explain_arguments: Any) -> tuple[PipelineGraph, DLTException | None]:
    """The graph of a pipeline, broken or not (``explain_arguments`` as for
    :func:`dltflow.local.explain`).

    Returns:
        The graph, and the planning error when a dataset's query cannot be analysed:
        then every declared dataset is drawn, the failing ones carrying their error.

    Raises:
        ConfigError, GraphError: the declarations themselves are wrong (nothing to draw).
    """
    from dltflow.local import explain

    try:
        return graph_of(explain(**explain_arguments)), None
    except DLTException as err:
        partial = partial_plan_of(err)
        if partial is None:
            raise
        return build_graph(partial_graph_events(partial)), err


def render_graph(graph: PipelineGraph, fmt: GraphFormat, *, title: str = "pipeline") -> str:
    """The graph as Mermaid, DOT, or an HTML page without run figures."""
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph)
    return render_page(graph, title=title)


def _with_run_only_datasets(graph: PipelineGraph, figures: dict[str, NodeFigures]
                            ) -> PipelineGraph:
    """A dataset that failed while being planned has figures but no definition."""
    known = {n.id for n in graph.nodes}
    extra = tuple(Node(node_id, node_id[3:], "dataset") for node_id in figures
                  if node_id not in known)
    return PipelineGraph(graph.nodes + extra, graph.edges) if extra else graph


def report_html(warehouse: str | Path, run_id: str | None = None) -> str:
    """The report page of run ``run_id`` (default: the latest) of ``warehouse``.

    Raises:
        EventLogError: no runs, an unknown run id, or a broken event-log line.
    """
    log, runs = load_run(Path(warehouse), run_id)
    graph = build_graph(e for e in log.events if isinstance(e, (DatasetDefined, FlowDefined)))
    figures = node_figures(graph, log.events)
    graph = _with_run_only_datasets(graph, figures)
    context = RunContext(log, runs, str(Path(warehouse).resolve()))
    return render_page(graph, title=log.pipeline, figures=figures, run=context)
