"""The pipeline graph: elements, the registry they are declared to, and backends."""

from dltflow.graph.elements import (
    AppendFlow,
    ApplyChangesFlow,
    Dataset,
    ExpectationSpec,
    Flow,
    QueryFunction,
    SnapshotFlow,
    SourceLocation,
    Table,
    View,
)
from dltflow.graph.memory import DatasetRead, InMemoryRegistry
from dltflow.graph.registry import (
    GraphRegistry,
    active_registry,
    registration_context,
)

__all__ = [
    "AppendFlow", "ApplyChangesFlow", "Dataset", "DatasetRead", "ExpectationSpec", "Flow",
    "GraphRegistry", "InMemoryRegistry", "QueryFunction", "SnapshotFlow", "SourceLocation",
    "Table", "View", "active_registry", "registration_context",
]
