"""See the pipeline: its planned graph (Mermaid, DOT or HTML) and a run's report as one
self-contained web page, built only from the event log.

Example:
    >>> from dltflow.local import explain
    >>> from dltflow.report import graph_of, render_graph, report_html
    >>> print(render_graph(graph_of(explain("pipelines/p.py")), "mermaid"))
    >>> Path("report.html").write_text(report_html(".dltflow"))  # the latest run
"""

from __future__ import annotations

from dltflow.report.figures import NodeFigures
from dltflow.report.model import Edge, Node, PipelineGraph, build_graph
from dltflow.report.pages import GraphFormat, graph_of, graph_of_pipeline, render_graph, report_html
from dltflow.report.runlog import RunLog, RunSummary, list_runs, load_run

__all__ = [
    "Edge",
    "GraphFormat",
    "Node",
    "NodeFigures",
    "PipelineGraph",
    "RunLog",
    "RunSummary",
    "build_graph",
    "graph_of",
    "graph_of_pipeline",
    "list_runs",
    "load_run",
    "render_graph",
    "report_html",
]
