"""The elements of a pipeline graph: datasets and the flows that fill them.

Each element is a small frozen record of *what was declared*; nothing here runs a
query. Backends turn elements into Databricks decorator calls, or the local engine
plans and executes them.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from dltflow.graph.names import validate_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

QueryFunction = Callable[[], "DataFrame"]
"""A user function that takes no arguments and returns the DataFrame of a dataset or flow."""

SnapshotFunction = Callable[[Any], "tuple[DataFrame, Any] | None"]
"""Given the last processed snapshot version (or None), returns the next (snapshot, version)."""

ExpectationAction = Literal["allow", "drop", "fail", "quarantine"]
TableKind = Literal["table", "materialized_view", "streaming_table"]


@dataclass(frozen=True)
class SourceLocation:
    """Where an element was declared, for error messages.

    Args:
        filename: the file that declared it.
        line: the line number, when known.
    """

    filename: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}" if self.line else self.filename

    @classmethod
    def of(cls, obj: Any) -> SourceLocation | None:
        """The location of a function or class, or None when Python cannot tell."""
        try:
            target = inspect.unwrap(obj)
            filename = inspect.getsourcefile(target) or inspect.getfile(target)
            _, line = inspect.getsourcelines(target)
        except (TypeError, OSError):
            return None
        return cls(_shown(filename), line)

    @classmethod
    def at(cls, filename: str, line: int | None) -> SourceLocation:
        """A location in ``filename``, shown relative to the working directory as the
        locations of functions are."""
        return cls(_shown(filename), line)

    @classmethod
    def caller(cls) -> SourceLocation | None:
        """The first frame outside dltflow: where a call such as
        ``dlt.create_streaming_table(...)`` was written, for its error messages."""
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        frame = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not os.path.abspath(filename).startswith(package + os.sep):
                return cls(_shown(filename), frame.f_lineno)
            frame = frame.f_back  # type: ignore[assignment]
        return None


def _shown(filename: str) -> str:
    """Relative to the working directory when the file is below it, else as given."""
    if filename.startswith("<"):
        return filename
    relative = os.path.relpath(filename)
    return filename if relative.startswith(os.pardir) else relative


@dataclass(frozen=True)
class ExpectationSpec:
    """One data-quality rule on a dataset.

    Args:
        name: unique within its dataset; reported in metrics and errors.
        constraint: a SQL boolean expression; a row passes only when it is true.
        action: what a failing row causes: kept (allow), removed (drop), a failed
            update (fail), or removed and routed to ``<dataset>_quarantine``.
    """

    name: str
    constraint: str
    action: ExpectationAction = "allow"


@dataclass(frozen=True)
class Dataset:
    """Fields common to every dataset.

    Args:
        name: the dataset's name in the pipeline.
        query: the function that computes it; None for a streaming table that
            only flows write into.
        expectations: data-quality rules applied to what the query returns.
        comment: a description shown in the catalog.
        source_location: where it was declared.
    """

    name: str
    query: QueryFunction | None = None
    expectations: tuple[ExpectationSpec, ...] = ()
    comment: str | None = None
    source_location: SourceLocation | None = None

    def __post_init__(self) -> None:
        validate_name(self.name, role="dataset", location=self.source_location)


@dataclass(frozen=True)
class Table(Dataset):
    """A stored dataset: a materialized view, a streaming table, or a plain ``table``.

    Args:
        kind: ``materialized_view`` (recomputed), ``streaming_table`` (appended to
            incrementally), or ``table`` (streaming when its query returns a
            streaming DataFrame, else materialized).
        spark_conf: Spark settings while computing it.
        table_properties: properties stored with the table.
        partition_cols: columns to partition by.
        cluster_by: columns to cluster by (liquid clustering on Databricks).
        path: an explicit storage location.
        schema: a DDL string or StructType for the table.
        temporary: do not publish the table outside the pipeline.
        row_filter: a row filter clause (Databricks only).
        format: the storage format (Databricks only; the local engine picks its own).
        cluster_by_auto: let Databricks choose clustering keys (no effect locally).
    """

    kind: TableKind = "table"
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    table_properties: Mapping[str, str] = field(default_factory=dict)
    partition_cols: tuple[str, ...] = ()
    cluster_by: tuple[str, ...] = ()
    path: str | None = None
    schema: Any = None
    temporary: bool = False
    row_filter: str | None = None
    format: str | None = None
    cluster_by_auto: bool = False


SinkHandler = Callable[[Any, int], None]
"""A ``foreach_batch_sink`` function: called with each micro-batch and its batch id."""

SINK_FORMATS = ("delta", "parquet", "json", "csv", "orc", "foreach_batch")
"""Sink formats a local run writes (into the warehouse); others (Kafka, Event Hubs)
send data to systems a local run must not touch."""


@dataclass(frozen=True)
class Sink(Table):
    """A destination outside the pipeline that append flows write into: declared with
    ``create_sink(name, format, options)`` or ``@foreach_batch_sink``. Flows write it;
    datasets cannot read it (as on Databricks).

    Locally a file sink's rows are kept in the warehouse, under the sink's name and in
    the warehouse's format (like every table: Parquet on JVM Spark, Delta on Sail), so
    they commit exactly once by the same protocol; ``options`` (``path``,
    ``tableName``) name the Databricks destination and are recorded, not written to.

    Args:
        sink_format: the declared format, or ``foreach_batch``.
        options: the sink's options.
        handler: a ``foreach_batch_sink`` function, else None.
    """

    kind: TableKind = "streaming_table"
    temporary: bool = True
    sink_format: str = "delta"
    options: Mapping[str, str] = field(default_factory=dict)
    handler: SinkHandler | None = None


@dataclass(frozen=True)
class View(Dataset):
    """A dataset that is computed when read and never stored.

    Args:
        spark_conf: Spark settings while computing it (``pyspark.pipelines``).
    """

    spark_conf: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AppendFlow:
    """A flow appending the rows of a (usually streaming) query to a streaming table.

    Args:
        name: the flow's name; also names its checkpoint.
        target: the streaming table it writes into.
        query: the function returning the rows to append.
        once: run only once (a backfill), not on every update.
        comment: a description.
        spark_conf: Spark settings while running it.
        source_location: where it was declared.
    """

    name: str
    target: str
    query: QueryFunction
    once: bool = False
    comment: str | None = None
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    source_location: SourceLocation | None = None

    def __post_init__(self) -> None:
        _validate_flow_names(self)


@dataclass(frozen=True)
class ApplyChangesFlow:
    """A CDC flow (``apply_changes`` / ``create_auto_cdc_flow``) into a streaming table.

    Args:
        name: the flow's name (defaults to the target's).
        target: the streaming table that holds the current state (SCD 1) or history (SCD 2).
        source: the dataset holding the change events.
        keys: columns that identify a row.
        sequence_by: a column name or Column ordering the events of one key.
        where: an optional filter on the events.
        ignore_null_updates: keep the target's value where an update carries NULL.
        apply_as_deletes: SQL condition marking an event as a delete.
        apply_as_truncates: SQL condition marking an event as a truncate (SCD 1 only).
        column_list: columns to keep from the events.
        except_column_list: columns to drop from the events.
        stored_as_scd_type: 1 (current state) or 2 (history with __START_AT/__END_AT).
        track_history_column_list: SCD 2: only changes to these columns open a new version.
        track_history_except_column_list: SCD 2: changes to all but these open a new version.
        once: process the source only once.
        spark_conf: Spark settings while running it.
        source_location: where it was declared.
    """

    name: str
    target: str
    source: str
    keys: tuple[str, ...]
    sequence_by: Any
    where: Any = None
    ignore_null_updates: bool = False
    apply_as_deletes: Any = None
    apply_as_truncates: Any = None
    column_list: tuple[str, ...] | None = None
    except_column_list: tuple[str, ...] | None = None
    stored_as_scd_type: int = 1
    track_history_column_list: tuple[str, ...] | None = None
    track_history_except_column_list: tuple[str, ...] | None = None
    once: bool = False
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    source_location: SourceLocation | None = None

    def __post_init__(self) -> None:
        _validate_flow_names(self)


@dataclass(frozen=True)
class SnapshotFlow:
    """``apply_changes_from_snapshot``: derive changes by comparing full snapshots.

    Args:
        name: the flow's name (defaults to the target's).
        target: the streaming table to maintain.
        source: a dataset name holding the latest snapshot, or a
            :data:`SnapshotFunction` returning the next snapshot and its version.
        keys: columns that identify a row.
        stored_as_scd_type: 1 or 2.
        track_history_column_list: SCD 2: only changes to these columns open a new version.
        track_history_except_column_list: SCD 2: changes to all but these open a new version.
        source_location: where it was declared.
    """

    name: str
    target: str
    source: str | SnapshotFunction
    keys: tuple[str, ...]
    stored_as_scd_type: int = 1
    track_history_column_list: tuple[str, ...] | None = None
    track_history_except_column_list: tuple[str, ...] | None = None
    source_location: SourceLocation | None = None

    def __post_init__(self) -> None:
        _validate_flow_names(self)


def _validate_flow_names(flow: AppendFlow | ApplyChangesFlow | SnapshotFlow) -> None:
    """A flow's own name, its target and a named source are all DLT names: the local
    engine builds checkpoint and state folders from them."""
    where = flow.source_location
    validate_name(flow.name, role="flow", location=where)
    validate_name(flow.target, role=f"target of flow {flow.name!r}", location=where)
    source = getattr(flow, "source", None)
    if isinstance(source, str) or (source is not None and not callable(source)):
        validate_name(source, role=f"source of flow {flow.name!r}", location=where)


Flow = AppendFlow | ApplyChangesFlow | SnapshotFlow
GraphElement = Table | View | AppendFlow | ApplyChangesFlow | SnapshotFlow
