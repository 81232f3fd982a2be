"""The layout on generated graphs: every node and edge drawn, no overlapping boxes, no
edge through a box, few crossings; checked on the page's own coordinates."""

from __future__ import annotations

import random

import pytest

from dltflow.local.events import DatasetDefined, FlowDefined
from dltflow.local.plan.inputs import ExternalInput
from dltflow.report import build_graph, render_graph
from dltflow.report.layout import layout
from dltflow.report.model import PipelineGraph
from tests.support.report_page import check_drawing


def generated(size: int, seed: int) -> list[DatasetDefined | FlowDefined]:
    """A random DAG of ``size`` datasets: each reads up to three earlier ones; a few read
    files, one table takes two append flows, one has a quarantine table."""
    rng = random.Random(seed)
    events: list[DatasetDefined | FlowDefined] = []
    for i in range(size):
        name = f"dataset_{i:02d}"
        kind = rng.choice(["materialized_view", "streaming_table", "view"])
        events.append(DatasetDefined(name, kind, (("positive", "x > 0", "drop"),)))
        earlier = [f"dataset_{j:02d}" for j in range(max(0, i - 12), i)]
        reads = tuple(sorted(rng.sample(earlier, k=min(len(earlier), rng.randint(1, 3)))))
        inputs = (ExternalInput("path", f"/landing/source_{i}"),) if i < 3 else ()
        events.append(FlowDefined(name, name, "query", reads if i >= 3 else (), inputs))
    events.append(DatasetDefined("orders", "streaming_table"))
    for flow in ("orders_web", "orders_store"):
        events.append(FlowDefined(flow, "orders", "append", ("dataset_01",),
                                  (ExternalInput("path", f"/landing/{flow}"),), True))
    events.append(DatasetDefined("dataset_10_quarantine", "materialized_view",
                                 quarantine_of="dataset_10"))
    events.append(FlowDefined("dataset_10_quarantine", "dataset_10_quarantine", "query",
                              ("dataset_05",)))
    return events


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fifty_datasets_are_all_drawn_without_overlaps(seed: int) -> None:
    events = generated(50, seed)
    graph = build_graph(events)
    html = render_graph(graph, "html", title="generated")
    page = check_drawing(html)

    datasets = {f"ds:{e.dataset}" for e in events if isinstance(e, DatasetDefined)}
    assert len(datasets) == 52
    assert datasets <= set(page.nodes)
    assert {"flow:orders_web", "flow:orders_store"} <= set(page.nodes)
    assert page.nodes["ds:dataset_10_quarantine"]["data-kind"] == "quarantine"
    expected_edges = set()
    for e in events:
        if isinstance(e, FlowDefined):
            into = f"ds:{e.dataset}" if e.flow_type == "query" else f"flow:{e.flow}"
            expected_edges |= {(f"ds:{r}", into) for r in e.input_datasets}
            expected_edges |= {(f"in:path:{i.name}", into) for i in e.input_sources}
            if into != f"ds:{e.dataset}":
                expected_edges.add((into, f"ds:{e.dataset}"))
    expected_edges.add(("ds:dataset_10", "ds:dataset_10_quarantine"))
    assert page.edge_pairs() == expected_edges
    assert len(page.edges) == len(expected_edges)


def test_columns_follow_the_longest_path() -> None:
    graph = build_graph([
        DatasetDefined("a", "materialized_view"), DatasetDefined("b", "materialized_view"),
        DatasetDefined("c", "materialized_view"),
        FlowDefined("a", "a"), FlowDefined("b", "b", input_datasets=("a",)),
        FlowDefined("c", "c", input_datasets=("a", "b"))])
    placed = layout(graph)
    assert placed.columns == {"ds:a": 0, "ds:b": 1, "ds:c": 2}
    a, b, c = (placed.boxes[f"ds:{n}"] for n in "abc")
    assert a.x < b.x < c.x
    long_edge = next(r for r in placed.edges if r.edge.source == "ds:a"
                     and r.edge.target == "ds:c")
    assert len(long_edge.points) == 4  # routed through a free slot in b's column


def _crossings(graph: PipelineGraph) -> int:
    placed = layout(graph)
    segments = [(r.points[0], r.points[-1]) for r in placed.edges]
    count = 0
    for i, ((ax1, ay1), (ax2, ay2)) in enumerate(segments):
        for (bx1, by1), (bx2, by2) in segments[i + 1:]:
            if ax1 == bx1 and ax2 == bx2 and (ay1 - by1) * (ay2 - by2) < 0:
                count += 1
    return count


def test_ordering_removes_avoidable_crossings() -> None:
    # Two independent chains declared in crossing order: a1->b2, a2->b1.
    graph = build_graph([
        DatasetDefined("a1", "view"), DatasetDefined("a2", "view"),
        DatasetDefined("b2", "view"), DatasetDefined("b1", "view"),
        FlowDefined("b2", "b2", input_datasets=("a1",)),
        FlowDefined("b1", "b1", input_datasets=("a2",))])
    assert _crossings(graph) == 0


def test_a_lonely_dataset_and_an_empty_graph() -> None:
    single = layout(build_graph([DatasetDefined("x", "view")]))
    assert single.boxes["ds:x"].x > 0 and single.width > single.boxes["ds:x"].w
    empty = layout(PipelineGraph((), ()))
    assert empty.boxes == {} and empty.edges == ()
