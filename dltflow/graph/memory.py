"""An in-memory registry that only records what was declared: for tests and tooling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dltflow.graph.elements import Dataset, Flow
from dltflow.graph.registry import GraphRegistry


@dataclass(frozen=True)
class DatasetRead:
    """What :meth:`InMemoryRegistry.read` returns: the name and mode of the read."""

    name: str
    streaming: bool = False


@dataclass
class InMemoryRegistry(GraphRegistry):
    """Keeps declared datasets, flows and reads in lists, in declaration order.

    Args:
        reader: answers reads, e.g. with a test DataFrame; without it a read returns
            a :class:`DatasetRead` record.
    """

    datasets: list[Dataset] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    reads: list[DatasetRead] = field(default_factory=list)
    reader: Callable[[str, bool], Any] | None = None

    def register_dataset(self, dataset: Dataset) -> None:
        self.datasets.append(dataset)

    def register_flow(self, flow: Flow) -> None:
        self.flows.append(flow)

    def read(self, name: str, *, streaming: bool = False) -> Any:
        record = DatasetRead(name, streaming)
        self.reads.append(record)
        return self.reader(name, streaming) if self.reader else record

    def dataset(self, name: str) -> Dataset:
        """The dataset declared under ``name``."""
        return next(d for d in self.datasets if d.name == name)
