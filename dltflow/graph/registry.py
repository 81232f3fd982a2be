"""The registry that declared graph elements go to, and the context that selects it.

Declarations never import ``dlt`` or talk to an engine directly: they go to the
*active* registry, set with :func:`registration_context`. One registry forwards to
Databricks' ``dlt`` module, one to ``pyspark.pipelines``, one collects elements for the
local engine, one keeps them in memory for tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from dltflow.exceptions import NoActiveRegistryError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.graph.elements import Dataset, Flow


class GraphRegistry(ABC):
    """Receives the datasets and flows of one pipeline definition."""

    @abstractmethod
    def register_dataset(self, dataset: Dataset) -> None:
        """Declare a table or view."""

    @abstractmethod
    def register_flow(self, flow: Flow) -> None:
        """Declare an append, apply-changes or snapshot flow."""

    @abstractmethod
    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        """Read a dataset of this pipeline from inside another dataset's query."""


_active: ContextVar[GraphRegistry | None] = ContextVar("dltflow_active_registry", default=None)


@contextmanager
def registration_context(registry: GraphRegistry) -> Iterator[GraphRegistry]:
    """Make ``registry`` receive every declaration made inside the ``with`` block."""
    token = _active.set(registry)
    try:
        yield registry
    finally:
        _active.reset(token)


def active_registry_or_none() -> GraphRegistry | None:
    """The registry of the enclosing pipeline definition, if there is one."""
    return _active.get()


def active_registry(what: str = "A DLT declaration") -> GraphRegistry:
    """The active registry; raises :class:`NoActiveRegistryError` outside a definition."""
    registry = _active.get()
    if registry is None:
        raise NoActiveRegistryError(what)
    return registry
