"""The pipeline graph as drawn: nodes (datasets, flows, external inputs) and edges.

Built from definition events (:class:`~dltflow.local.events.DatasetDefined`,
:class:`~dltflow.local.events.FlowDefined`), which come either from a fresh analysis
(``dltflow graph``) or from a run's event log (``dltflow report``): one construction, so
the graph of a report is exactly the graph of ``dltflow graph`` at the time of the run.

A dataset's own query is not a node: its reads are edges into the dataset. Every other
flow (append, apply_changes, snapshot) is a node of its own between what it reads and
the table it writes, so several flows into one table show as several nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dltflow.local import DatasetDefined, ExternalInput, FlowDefined

__all__ = ["Edge", "Node", "PipelineGraph", "build_graph", "dataset_id", "flow_id"]


@dataclass(frozen=True)
class Node:
    """One box of the graph.

    Args:
        id: unique: ``ds:<name>``, ``flow:<name>`` or ``in:<kind>:<name>``.
        name: the dataset's, flow's or input's name.
        kind: ``materialized_view``, ``streaming_table``, ``view``, ``quarantine``,
            ``dataset`` (read but not defined in this graph), ``flow`` or ``input``.
        detail: the flow type, the input's kind, or the quarantined dataset.
        expectations: a dataset's ``(name, constraint, action)`` rules.
        error: why a dataset could not be planned (its query, or an upstream's).
    """

    id: str
    name: str
    kind: str
    detail: str = ""
    expectations: tuple[tuple[str, str, str], ...] = ()
    error: str = ""

    @property
    def is_dataset(self) -> bool:
        """Whether the node is a dataset of the pipeline (it has run figures)."""
        return self.id.startswith("ds:")


@dataclass(frozen=True)
class Edge:
    """A dependency: ``target`` reads ``source`` (or a flow writes its table).

    Args:
        source: the upstream node's id.
        target: the downstream node's id.
        kind: ``read``, ``stream`` (an incremental read), ``write`` (a flow into its
            table) or ``quarantine`` (a dataset's failing rows into its quarantine table).
    """

    source: str
    target: str
    kind: str = "read"


@dataclass(frozen=True)
class PipelineGraph:
    """Nodes in definition order and their edges.

    Args:
        nodes: every node, datasets in plan order first as they were defined.
        edges: every edge, without duplicates.
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, node_id: str) -> Node:
        """The node with id ``node_id``."""
        return next(n for n in self.nodes if n.id == node_id)

    @property
    def datasets(self) -> tuple[Node, ...]:
        """The dataset nodes."""
        return tuple(n for n in self.nodes if n.is_dataset)

    def downstream(self, node_id: str) -> list[str]:
        """Every node reachable from ``node_id``, nearest first."""
        seen: list[str] = []
        todo = [node_id]
        while todo:
            current = todo.pop(0)
            for edge in self.edges:
                if edge.source == current and edge.target not in seen and edge.target != node_id:
                    seen.append(edge.target)
                    todo.append(edge.target)
        return seen


def dataset_id(name: str) -> str:
    """The node id of dataset ``name``."""
    return f"ds:{name}"


def flow_id(name: str) -> str:
    """The node id of flow ``name``."""
    return f"flow:{name}"


def _input_id(source: ExternalInput) -> str:
    return f"in:{source.kind}:{source.name}"


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: dict[Edge, None] = {}

    def add(self, node: Node) -> str:
        known = self.nodes.get(node.id)
        if known is None or (known.kind == "dataset" and node.kind != "dataset"):
            self.nodes[node.id] = node
        return node.id

    def link(self, source: str, target: str, kind: str) -> None:
        if source != target:
            self.edges.setdefault(Edge(source, target, kind), None)

    def dataset(self, event: DatasetDefined) -> None:
        kind = "quarantine" if event.quarantine_of else event.kind
        self.add(Node(dataset_id(event.dataset), event.dataset, kind,
                      event.quarantine_of or "", event.expectations, event.error or ""))
        if event.quarantine_of:
            base = self.add(Node(dataset_id(event.quarantine_of), event.quarantine_of,
                                 "dataset"))
            self.link(base, dataset_id(event.dataset), "quarantine")

    def flow(self, event: FlowDefined) -> None:
        table = self.add(Node(dataset_id(event.dataset), event.dataset, "dataset"))
        into = table
        if event.flow_type != "query":
            into = self.add(Node(flow_id(event.flow), event.flow, "flow", event.flow_type))
            self.link(into, table, "write")
        read = "stream" if event.streaming else "read"
        for name in event.input_datasets:
            self.link(self.add(Node(dataset_id(name), name, "dataset")), into, read)
        for source in event.input_sources:
            node = Node(_input_id(source), source.name, "input", source.kind)
            self.link(self.add(node), into, read)


def build_graph(definitions: Iterable[DatasetDefined | FlowDefined]) -> PipelineGraph:
    """The graph of the given definition events (other events are ignored)."""
    builder = _Builder()
    events = list(definitions)
    for event in events:
        if isinstance(event, DatasetDefined):
            builder.dataset(event)
    for event in events:
        if isinstance(event, FlowDefined):
            builder.flow(event)
    return PipelineGraph(tuple(builder.nodes.values()), tuple(builder.edges))
