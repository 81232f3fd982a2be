"""Left-to-right layered layout of a pipeline graph, computed in Python.

Sugiyama's method in its simplest honest form:

1. **Layers** by longest path: a node sits one column right of its furthest upstream.
2. **Dummies**: an edge spanning several columns gets a small placeholder in each
   column it passes, so it is routed through a free slot and never across a box.
3. **Order** within a column by barycenter sweeps (down and up, several rounds),
   keeping the order with the fewest edge crossings.
4. **Coordinates**: columns at fixed x; within a column boxes keep their order, pulled
   toward their neighbours' centres, never closer than a fixed gap.

Every edge segment then runs either in the empty gap between two columns or through a
dummy's free slot, so no edge crosses a node's box (and label). The coordinates are
written into the page, so tests check overlaps from what was drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dltflow.report.model import Edge, PipelineGraph

__all__ = ["Box", "Layout", "RoutedEdge", "layout"]

NODE_WIDTH = 220
DATASET_HEIGHT = 88
SMALL_HEIGHT = 48
DUMMY_HEIGHT = 10
COLUMN_GAP = 90
ROW_GAP = 22
DUMMY_GAP = 4
MARGIN = 20
_SWEEPS = 12


@dataclass(frozen=True)
class Box:
    """A node's rectangle (top-left corner, width, height), in SVG user units."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any interior point."""
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass(frozen=True)
class RoutedEdge:
    """An edge and the points it passes: out of its source's right side, through each
    dummy slot, into its target's left side."""

    edge: Edge
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Layout:
    """Where everything goes.

    Args:
        boxes: node id -> its rectangle.
        edges: every edge with its route.
        columns: node id -> its column (0 = sources).
        width: the drawing's width.
        height: the drawing's height.
    """

    boxes: dict[str, Box]
    edges: tuple[RoutedEdge, ...]
    columns: dict[str, int]
    width: float
    height: float


def _height(kind: str) -> float:
    return SMALL_HEIGHT if kind in ("flow", "input") else DATASET_HEIGHT


def _layers(ids: Sequence[str], edges: Sequence[Edge]) -> dict[str, int]:
    """Longest-path columns; an edge closing a cycle (only in a hand-edited log) is ignored."""
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for e in edges:
        preds[e.target].append(e.source)
        succs[e.source].append(e.target)
    indegree = {i: len(preds[i]) for i in ids}
    layer = dict.fromkeys(ids, 0)
    ready = [i for i in ids if indegree[i] == 0]
    done: set[str] = set()
    while len(done) < len(ids):
        if not ready:  # a cycle: release the first waiting node
            ready = [next(i for i in ids if i not in done)]
        current = ready.pop(0)
        if current in done:
            continue
        done.add(current)
        for nxt in succs[current]:
            if nxt not in done:
                layer[nxt] = max(layer[nxt], layer[current] + 1)
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
    return layer


class _Grid:
    """Columns of real and dummy nodes, and the adjacent-column links between them."""

    def __init__(self, graph: PipelineGraph) -> None:
        ids = [n.id for n in graph.nodes]
        self.kind = {n.id: n.kind for n in graph.nodes}
        self.layer = _layers(ids, graph.edges)
        self.chains: dict[Edge, list[str]] = {}
        self.links: list[tuple[str, str]] = []
        for edge in graph.edges:
            self._chain(edge)
        depth = max(self.layer.values(), default=-1) + 1
        self.columns: list[list[str]] = [[] for _ in range(depth)]
        for node_id in self.layer:
            self.columns[self.layer[node_id]].append(node_id)
        self.up: dict[str, list[str]] = {n: [] for n in self.layer}
        self.down: dict[str, list[str]] = {n: [] for n in self.layer}
        for a, b in self.links:
            self.down[a].append(b)
            self.up[b].append(a)

    def _chain(self, edge: Edge) -> None:
        start, end = self.layer[edge.source], self.layer[edge.target]
        chain = [edge.source]
        for column in range(start + 1, end):
            dummy = f"\0{len(self.kind)}"
            self.kind[dummy] = "dummy"
            self.layer[dummy] = column
            chain.append(dummy)
        chain.append(edge.target)
        self.chains[edge] = chain
        self.links.extend((a, b) for a, b in zip(chain, chain[1:], strict=False) if
                          self.layer[b] == self.layer[a] + 1)

    def crossings(self, columns: list[list[str]]) -> int:
        total = 0
        for left, right in zip(columns, columns[1:], strict=False):
            pos_l = {n: i for i, n in enumerate(left)}
            pos_r = {n: i for i, n in enumerate(right)}
            pairs = sorted((pos_l[a], pos_r[b]) for a in left for b in self.down[a]
                           if b in pos_r)
            for i, (a1, b1) in enumerate(pairs):
                total += sum(1 for a2, b2 in pairs[i + 1:] if a2 > a1 and b2 < b1)
        return total


def _barycenter_order(grid: _Grid) -> list[list[str]]:
    columns = [list(c) for c in grid.columns]
    best, best_score = [list(c) for c in columns], grid.crossings(columns)
    for sweep in range(_SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(columns)) if downward else range(len(columns) - 2, -1, -1)
        for i in indices:
            ref = columns[i - 1] if downward else columns[i + 1]
            pos = {n: k for k, n in enumerate(ref)}
            neighbours = grid.up if downward else grid.down

            def key(node: str, column: list[str] = columns[i], pos: dict[str, int] = pos,
                    neighbours: dict[str, list[str]] = neighbours) -> tuple[float, int]:
                near = [pos[n] for n in neighbours[node] if n in pos]
                centre = sum(near) / len(near) if near else float(column.index(node))
                return centre, column.index(node)

            columns[i] = sorted(columns[i], key=key)
        score = grid.crossings(columns)
        if score < best_score:
            best, best_score = [list(c) for c in columns], score
    return best


def _heights(grid: _Grid, column: list[str]) -> list[float]:
    return [DUMMY_HEIGHT if grid.kind[n] == "dummy" else _height(grid.kind[n]) for n in column]


def _gaps(grid: _Grid, column: list[str]) -> list[float]:
    """The space above each node: dummies (edges passing by) may bunch up closely."""
    gaps = [0.0]
    for above, below in zip(column, column[1:], strict=False):
        both_dummies = grid.kind[above] == grid.kind[below] == "dummy"
        gaps.append(DUMMY_GAP if both_dummies else ROW_GAP)
    return gaps


def _place_column(wanted: list[float], heights: list[float], gaps: list[float]
                  ) -> list[float]:
    """Tops as close to ``wanted`` centres as the order and the gaps allow."""
    tops = [c - h / 2 for c, h in zip(wanted, heights, strict=True)]
    for i in range(1, len(tops)):
        tops[i] = max(tops[i], tops[i - 1] + heights[i - 1] + gaps[i])
    # Pushing down only would let columns drift: shift back by the mean displacement.
    shifts = [c - h / 2 - t for c, h, t in zip(wanted, heights, tops, strict=True)]
    drift = sum(shifts) / max(len(tops), 1)
    return [t + drift for t in tops]


def _vertical(grid: _Grid, columns: list[list[str]]) -> dict[str, float]:
    top: dict[str, float] = {}
    for column in columns:
        y = 0.0
        for node, h, gap in zip(column, _heights(grid, column), _gaps(grid, column),
                                strict=True):
            y += gap
            top[node] = y
            y += h
    for rnd in range(4):
        order = columns if rnd % 2 == 0 else columns[::-1]
        for column in order:
            heights = _heights(grid, column)
            neighbours = grid.up if rnd % 2 == 0 else grid.down
            wanted = []
            for node, h in zip(column, heights, strict=True):
                near = [top[n] + _heights(grid, [n])[0] / 2 for n in neighbours[node]]
                wanted.append(sum(near) / len(near) if near else top[node] + h / 2)
            placed = _place_column(wanted, heights, _gaps(grid, column))
            for node, t in zip(column, placed, strict=True):
                top[node] = t
    return top


def _route(grid: _Grid, boxes: dict[str, Box]) -> tuple[RoutedEdge, ...]:
    routed = []
    for edge, chain in grid.chains.items():
        src, dst = boxes[chain[0]], boxes[chain[-1]]
        points = [(src.x + src.w, src.cy)]
        for dummy in chain[1:-1]:
            box = boxes[dummy]
            points += [(box.x, box.cy), (box.x + box.w, box.cy)]
        points.append((dst.x, dst.cy))
        routed.append(RoutedEdge(edge, tuple((round(x, 1), round(y, 1)) for x, y in points)))
    return tuple(routed)


def layout(graph: PipelineGraph) -> Layout:
    """Lay ``graph`` out left to right; see the module docstring for how."""
    grid = _Grid(graph)
    columns = _barycenter_order(grid)
    top = _vertical(grid, columns)
    shift = MARGIN - min(top.values(), default=0.0)
    boxes: dict[str, Box] = {}
    for index, column in enumerate(columns):
        x = MARGIN + index * (NODE_WIDTH + COLUMN_GAP)
        for node, h in zip(column, _heights(grid, column), strict=True):
            boxes[node] = Box(float(x), round(top[node] + shift, 1), float(NODE_WIDTH), h)
    routed = _route(grid, boxes)
    real = {n.id: boxes[n.id] for n in graph.nodes}
    width = MARGIN * 2 + max(len(columns), 1) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP
    height = max((b.y + b.h for b in boxes.values()), default=0.0) + MARGIN
    return Layout(real, routed, {n: grid.layer[n] for n in real}, float(width), height)
