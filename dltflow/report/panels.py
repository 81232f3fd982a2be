"""Server-rendered HTML for the parts beside the drawing: the datasets table, one details
panel per node, the failures box and the list of runs. All readable with JavaScript off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from dltflow.report.figures import NodeFigures, pass_rate, worst_expectation
from dltflow.report.model import Node, PipelineGraph
from dltflow.report.runlog import RunSummary
from dltflow.report.svg import dom_ids, rows_text, seconds
from dltflow.report.text import kind_word

__all__ = ["datasets_table", "failures_box", "node_panels", "runs_table", "status_badge"]


def status_badge(status: str) -> str:
    """A coloured status word (colour and word both, for colour-blind readers)."""
    return f'<span class="badge s-{escape(status.lower())}">{escape(status)}</span>'


def _rate_bar(counts: Mapping[str, int]) -> str:
    rate = pass_rate(counts)
    if rate is None:
        return "-"
    return (f'<span class="rate" title="{rate:.1%} passed"><span style="width:{rate * 100:.1f}%">'
            f"</span></span>{rate:.1%}")


def _expectations(node: Node, figures: NodeFigures | None) -> str:
    specs = {name: (constraint, action) for name, constraint, action in node.expectations}
    names = list(specs) + [n for n in (figures.expectations if figures else {}) if n not in specs]
    if not names:
        return ""
    rows = ['<table class="expectations"><tr><th>expectation</th><th>action</th>'
            "<th>constraint</th><th>passed</th><th>failed</th><th>pass rate</th></tr>"]
    for name in names:
        constraint, action = specs.get(name, ("", ""))
        counts = figures.expectations.get(name) if figures else None
        cells = ('<td class="num">-</td><td class="num">-</td><td>-</td>' if counts is None else
                 f'<td class="num">{counts["passed_records"]:,}</td>'
                 f'<td class="num">{counts["failed_records"]:,}</td><td>{_rate_bar(counts)}</td>')
        data = ("" if counts is None else f' data-passed="{counts["passed_records"]}" '
                f'data-failed="{counts["failed_records"]}"')
        rows.append(f'<tr data-expectation="{escape(name)}"{data}><td>{escape(name)}</td>'
                    f"<td>{escape(action)}</td><td><code>{escape(constraint)}</code></td>"
                    f"{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _names(graph: PipelineGraph, ids: Sequence[str]) -> str:
    dom = dom_ids(graph)
    links = [f'<a href="#d{dom[i][1:]}">{escape(graph.node(i).name)}</a>' for i in ids]
    return ", ".join(links) or "-"


def _facts(node: Node, graph: PipelineGraph, figures: NodeFigures | None) -> str:
    reads = [e.source for e in graph.edges if e.target == node.id]
    read_by = [e.target for e in graph.edges if e.source == node.id]
    facts = [("kind", escape(kind_word(node)))]
    if node.kind == "input":
        facts.append(("location", f"<code>{escape(node.name)}</code>"))
    if figures is not None:
        facts += [("status", status_badge(figures.status)),
                  ("rows written", rows_text(figures.output_rows)),
                  ("rows dropped", f"{figures.dropped_rows:,}"),
                  ("duration", seconds(figures.duration_s))]
    facts += [("reads", _names(graph, reads)), ("read by", _names(graph, read_by))]
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return f"<dl>{items}</dl>"


def node_panels(graph: PipelineGraph, figures: Mapping[str, NodeFigures] | None) -> str:
    """One ``<details>`` per node; failed ones start open."""
    dom = dom_ids(graph)
    panels = []
    for node in graph.nodes:
        fig = (figures or {}).get(node.id)
        status = status_badge(fig.status) + " " if fig else ""
        body = [_facts(node, graph, fig), _expectations(node, fig)]
        error = fig.error if fig and fig.error else node.error
        if error:
            body.append(f"<p><strong>Error</strong></p><pre>{escape(error)}</pre>")
        if fig and fig.skipped:
            body.append("<p><strong>Skipped downstream:</strong> "
                        + escape(", ".join(fig.skipped)) + "</p>")
        is_open = " open" if (fig and fig.status == "FAILED") or node.error else ""
        panels.append(
            f'<details class="panel" id="d{dom[node.id][1:]}" data-node="{escape(node.id)}"'
            f"{is_open}><summary>{status}{escape(node.name)} <small>"
            f"{escape(kind_word(node))}</small></summary>{''.join(body)}</details>")
    return '<div class="panels">' + "\n".join(panels) + "</div>"


def datasets_table(graph: PipelineGraph, figures: Mapping[str, NodeFigures] | None) -> str:
    """Every dataset in one table: status, rows, dropped, duration, worst expectation."""
    dom = dom_ids(graph)
    head = ("<tr><th>dataset</th><th>kind</th><th>status</th><th>rows written</th>"
            "<th>rows dropped</th><th>duration</th><th>worst expectation</th></tr>"
            if figures is not None else
            "<tr><th>dataset</th><th>kind</th><th>reads</th><th>expectations</th></tr>")
    rows = [head]
    for node in graph.datasets:
        link = f'<a href="#d{dom[node.id][1:]}">{escape(node.name)}</a>'
        if figures is None:
            reads = _names(graph, [e.source for e in graph.edges if e.target == node.id])
            rows.append(f'<tr data-dataset="{escape(node.name)}"><td>{link}</td>'
                        f"<td>{escape(kind_word(node))}</td><td>{reads}</td>"
                        f"<td>{escape(', '.join(n for n, _, _ in node.expectations)) or '-'}"
                        "</td></tr>")
            continue
        fig = figures.get(node.id)
        if fig is None:
            rows.append(f'<tr data-dataset="{escape(node.name)}"><td>{link}</td>'
                        f"<td>{escape(kind_word(node))}</td><td>not run</td>"
                        "<td></td><td></td><td></td><td></td></tr>")
            continue
        worst = worst_expectation(fig)
        worst_text = "-" if worst is None else f"{escape(worst[0])}: {worst[1]:.1%}"
        rows.append(f'<tr data-dataset="{escape(node.name)}"><td>{link}</td>'
                    f"<td>{escape(kind_word(node))}</td><td>{status_badge(fig.status)}</td>"
                    f'<td class="num">{rows_text(fig.output_rows)}</td>'
                    f'<td class="num">{fig.dropped_rows:,}</td>'
                    f'<td class="num">{seconds(fig.duration_s)}</td><td>{worst_text}</td></tr>')
    return '<table class="datasets">' + "".join(rows) + "</table>"


def failures_box(graph: PipelineGraph, figures: Mapping[str, NodeFigures]) -> str:
    """The failed datasets with their errors and what they skipped; empty when none."""
    failed = [(n, figures[n.id]) for n in graph.datasets
              if n.id in figures and figures[n.id].status == "FAILED"]
    if not failed:
        return ""
    items = []
    for node, fig in failed:
        skipped = (f"<p>Skipped downstream: {escape(', '.join(fig.skipped))}</p>"
                   if fig.skipped else "<p>Nothing downstream was skipped.</p>")
        items.append(f'<div class="failure" data-failed="{escape(node.name)}">'
                     f"<strong>{escape(node.name)}</strong> failed"
                     f"<pre>{escape(fig.error or 'no error message recorded')}</pre>"
                     f"{skipped}</div>")
    return ('<section class="failures" id="failures"><h2>What failed</h2>'
            + "".join(items) + "</section>")


def runs_table(runs: Sequence[RunSummary], current: str | None) -> str:
    """Every run of the warehouse, newest first; the reported one marked."""
    rows = ["<tr><th>run</th><th>started</th><th>status</th><th>duration</th></tr>"]
    for run in runs:
        mark = " (this report)" if run.run_id == current else ""
        duration = "-" if run.duration_s is None else seconds(float(run.duration_s))
        rows.append(f'<tr data-run="{escape(run.run_id)}"><td><code>{escape(run.run_id)}</code>'
                    f"{mark}</td><td>{escape(run.started)}</td>"
                    f"<td>{status_badge(run.status)}</td><td>{duration}</td></tr>")
    return '<table class="runs">' + "".join(rows) + "</table>"
