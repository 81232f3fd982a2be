"""The graph as inline SVG: one linked group per node (with its coordinates written as
``data-x/y/w/h``), one path per edge (with its route as ``data-points``).

Each node is an SVG ``<a href="#d…">`` to its details panel, so clicking works with
JavaScript off; the page's script only adds opening and highlighting.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from dltflow.report.figures import NodeFigures, worst_expectation
from dltflow.report.layout import Box, Layout, RoutedEdge
from dltflow.report.model import Node, PipelineGraph
from dltflow.report.text import kind_word

__all__ = ["dom_ids", "render_svg", "rows_text", "seconds"]

_LABEL_CHARS = 27
_LINE_CHARS = 31


def dom_ids(graph: PipelineGraph) -> dict[str, str]:
    """Node id -> a short DOM id (node ids hold paths and any character)."""
    return {node.id: f"n{i}" for i, node in enumerate(graph.nodes)}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _label(node: Node) -> str:
    if node.kind == "input" and node.detail == "path":
        parts = [p for p in node.name.replace("\\", "/").split("/") if p]
        tail = "/".join(parts[-2:]) if parts else node.name
        return _short(tail, _LABEL_CHARS)
    return _short(node.name, _LABEL_CHARS)


def rows_text(value: int | None) -> str:
    """A row count for people (``-`` for a view that was not counted)."""
    return "-" if value is None else f"{value:,}"


def seconds(value: float) -> str:
    """A duration for people."""
    return f"{value:.2f}s" if value < 60 else f"{int(value // 60)}m {value % 60:04.1f}s"


def _text(x: float, y: float, cls: str, text: str) -> str:
    return f'<text x="{x:g}" y="{y:g}" class="{cls}">{escape(text)}</text>'


def _figure_lines(box: Box, figures: NodeFigures | None) -> list[str]:
    x = box.x + 10
    if figures is None:
        return []
    if figures.status == "SKIPPED":
        return [_text(x, box.y + 56, "figs", "not run: an upstream failed")]
    parts = [_text(x, box.y + 56, "figs", _short(
        f"{rows_text(figures.output_rows)} rows \u00b7 {figures.dropped_rows:,} dropped "
        f"\u00b7 {seconds(figures.duration_s)}", _LINE_CHARS))]
    worst = worst_expectation(figures)
    if worst is not None and box.h > 70:
        name, rate = worst
        parts.append(_text(x, box.y + 74, "worst",
                           _short(f"{rate:.1%} {name}", _LINE_CHARS - 9)))
        bar_x, width = box.x + box.w - 62, 52.0
        parts.append(f'<rect class="bar-bg" x="{bar_x:g}" y="{box.y + 66:g}" '
                     f'width="{width:g}" height="8" rx="2"/>')
        parts.append(f'<rect class="bar-ok" x="{bar_x:g}" y="{box.y + 66:g}" '
                     f'width="{width * rate:.1f}" height="8" rx="2"/>')
    return parts


def _static_lines(node: Node, box: Box) -> list[str]:
    if node.expectations and box.h > 70:
        worded = f"{len(node.expectations)} expectation(s)"
        return [_text(box.x + 10, box.y + 56, "figs", worded)]
    return []


def _node(node: Node, dom: str, box: Box, figures: NodeFigures | None) -> str:
    status = figures.status if figures else ""
    kind = "quarantine table" if node.kind == "quarantine" else kind_word(node)
    second = kind + (f" \u00b7 {status}" if status else "")
    attrs = (f'id="{dom}" class="node k-{node.kind} s-{status.lower() or "none"}" '
             f'data-id="{escape(node.id)}" data-name="{escape(node.name)}" '
             f'data-kind="{node.kind}" data-status="{status}" '
             f'data-x="{box.x:g}" data-y="{box.y:g}" data-w="{box.w:g}" data-h="{box.h:g}"')
    if figures is not None:
        rows = "" if figures.output_rows is None else str(figures.output_rows)
        attrs += f' data-rows="{rows}" data-dropped="{figures.dropped_rows}"'
    parts = [f'<a href="#d{dom[1:]}" class="node-link"><g {attrs}>',
             f"<title>{escape(node.name)} ({escape(kind_word(node))})</title>",
             f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.w:g}" height="{box.h:g}" rx="8"/>',
             _text(box.x + 10, box.y + 20, "label", _label(node)),
             _text(box.x + 10, box.y + 37, "kind", _short(second, _LINE_CHARS))]
    parts += _figure_lines(box, figures) if figures else _static_lines(node, box)
    parts.append("</g></a>")
    return "".join(parts)


def _path(points: tuple[tuple[float, float], ...]) -> str:
    """Cubic curves across column gaps, straight lines through dummy slots: each curve
    stays inside the box spanned by its two end points, so it stays in the gap."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{x0:g},{y0:g}"]
    for i, (x, y) in enumerate(rest):
        px, py = points[i]
        if y == py and i % 2 == 1:
            d.append(f"L{x:g},{y:g}")
        else:
            mid = (px + x) / 2
            d.append(f"C{mid:g},{py:g} {mid:g},{y:g} {x:g},{y:g}")
    return " ".join(d)


def _edge(routed: RoutedEdge, ids: Mapping[str, str]) -> str:
    points = " ".join(f"{x:g},{y:g}" for x, y in routed.points)
    edge = routed.edge
    return (f'<path class="edge e-{edge.kind}" d="{_path(routed.points)}" '
            f'data-source="{ids[edge.source]}" data-target="{ids[edge.target]}" '
            f'data-kind="{edge.kind}" data-points="{points}" marker-end="url(#arrow)"/>')


def render_svg(graph: PipelineGraph, layout: Layout,
               figures: Mapping[str, NodeFigures] | None) -> str:
    """The ``<svg>`` element of the graph (no XML namespace needed inline in HTML5)."""
    ids = dom_ids(graph)
    parts = [f'<svg class="graph" width="{layout.width:g}" height="{layout.height:g}" '
             f'viewBox="0 0 {layout.width:g} {layout.height:g}" role="img" '
             f'aria-label="pipeline graph, {len(graph.nodes)} nodes">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>',
             '<g class="edges">']
    parts += [_edge(routed, ids) for routed in layout.edges]
    parts.append('</g><g class="nodes">')
    for node in graph.nodes:
        parts.append(_node(node, ids[node.id], layout.boxes[node.id],
                           (figures or {}).get(node.id)))
    parts.append("</g></svg>")
    return "\n".join(parts)
