"""The registry of the local engine: collects declarations, answers reads while queries run.

Declarations are only *collected* here; :mod:`dltflow.local.plan` checks and orders
them. Reads (``dlt.read``, a nested mixin method call, ``spark.read.table("LIVE.x")``)
are delegated to the *current resolver*: the planner's, which hands out empty
DataFrames while discovering dependencies, or the runner's, which hands out real data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from dltflow.exceptions import ConfigError, GraphError
from dltflow.graph.elements import Dataset, Flow
from dltflow.graph.registry import GraphRegistry

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


class Resolver(Protocol):
    """Turns a dataset name read inside a query into a DataFrame."""

    def lookup(self, name: str) -> str | None:
        """The pipeline dataset a table name refers to (``LIVE.x``, ``x``), or None."""

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        """The dataset ``name`` as seen by the query currently running."""


_resolver: ContextVar[Resolver | None] = ContextVar("dltflow_local_resolver", default=None)


@contextmanager
def resolving(resolver: Resolver) -> Iterator[Resolver]:
    """Route every read made inside the ``with`` block to ``resolver``."""
    token = _resolver.set(resolver)
    try:
        yield resolver
    finally:
        _resolver.reset(token)


def current_resolver() -> Resolver | None:
    """The resolver of the query running now, if any."""
    return _resolver.get()


_DATABRICKS_ONLY = (
    ("row_filter", "row filters are Unity Catalog security: not enforced locally"),
    ("path", "the local engine stores tables in its warehouse folder, not at `path`"),
)


def _warn_databricks_only(dataset: Dataset) -> None:
    """Options that are accepted but only take effect on Databricks say so, once each."""
    import warnings

    for option, effect in _DATABRICKS_ONLY:
        if getattr(dataset, option, None):
            where = f" ({dataset.source_location})" if dataset.source_location else ""
            warnings.warn(f"dataset '{dataset.name}'{where}: {option} applies only on "
                          f"Databricks; {effect}", UserWarning, stacklevel=4)


class EventHook:
    """A ``@dlt.on_event_hook`` function, disabled after too many failures in a row.

    Args:
        func: the user's function; receives each event-log record (a dict).
        max_failures: consecutive failures after which it is no longer called
            (None: never disabled).
    """

    def __init__(self, func: Callable[[dict[str, Any]], Any], max_failures: int | None) -> None:
        self.func = func
        self.max_failures = max_failures
        self.failures = 0

    def __call__(self, record: dict[str, Any]) -> None:
        if self.max_failures is not None and self.failures >= self.max_failures:
            return
        import warnings

        try:
            self.func(record)
        except Exception as err:  # noqa: BLE001 - a hook never fails the update (as in DLT)
            self.failures += 1
            warnings.warn(f"event hook {getattr(self.func, '__name__', self.func)} failed: "
                          f"{type(err).__name__}: {err}", stacklevel=2)
        else:
            self.failures = 0


@dataclass
class LocalRegistry(GraphRegistry):
    """Collects the datasets and flows of one local pipeline, in declaration order.

    Duplicates are kept (not rejected here) so the planner can report every
    declaration of a clashing name with its location.
    """

    datasets: list[Dataset] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    event_hooks: list[EventHook] = field(default_factory=list)
    problems: list[ConfigError] = field(default_factory=list)

    def report_problem(self, error: ConfigError) -> None:
        """Keep a declaration error, so every one of them is reported together."""
        self.problems.append(error)

    def raise_problems(self) -> None:
        """Raise one :class:`ConfigError` with every declaration problem, if any."""
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise ConfigError([p for e in self.problems for p in e.problems],
                              source=self.problems[0].source,
                              hint="fix each declaration above.")

    def register_event_hook(self, func: Callable[[dict[str, Any]], Any],
                            max_failures: int | None = None) -> None:
        """Call ``func`` with every event of the run (``@dlt.on_event_hook``)."""
        self.event_hooks.append(EventHook(func, max_failures))

    def register_dataset(self, dataset: Dataset) -> None:
        _warn_databricks_only(dataset)
        self.datasets.append(dataset)

    def register_flow(self, flow: Flow) -> None:
        self.flows.append(flow)

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        resolver = current_resolver()
        if resolver is None:
            raise GraphError(
                f"dataset '{name}' was read outside a dataset's query", names=[name],
                hint="call dlt.read()/dlt.read_stream() inside the decorated function, "
                     "not at module level.")
        return resolver.read(name, streaming=streaming)

    def size(self) -> int:
        """How many datasets and flows were declared so far."""
        return len(self.datasets) + len(self.flows)

    def is_empty(self) -> bool:
        """Whether nothing was declared."""
        return not self.datasets and not self.flows
