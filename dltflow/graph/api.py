"""The DLT Python surface (``table``, ``view``, ``expect*``, ``append_flow``, ...) on top
of the active registry.

A plain DLT source file that does ``import dlt`` runs locally because the local engine
puts this module in its place; the names, arguments and stacking order are DLT's own.
Decorators validate when applied and record where the user declared the element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from dltflow.exceptions import ConfigError
from dltflow.graph.elements import (
    SINK_FORMATS,
    AppendFlow,
    ApplyChangesFlow,
    ExpectationAction,
    ExpectationSpec,
    QueryFunction,
    Sink,
    SinkHandler,
    SnapshotFlow,
    SnapshotFunction,
    SourceLocation,
    Table,
    TableKind,
    View,
)
from dltflow.graph.registry import active_registry

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = [
    "table", "view", "materialized_view", "temporary_view", "create_table", "create_view",
    "create_streaming_table", "create_target_table", "append_flow", "apply_changes",
    "create_auto_cdc_flow", "apply_changes_from_snapshot", "create_auto_cdc_from_snapshot_flow",
    "create_sink", "foreach_batch_sink", "on_event_hook", "expect", "expect_or_drop",
    "expect_or_fail", "expect_all", "expect_all_or_drop", "expect_all_or_fail", "read",
    "read_stream",
]

F = TypeVar("F", bound=Callable[..., Any])
_EXPECTATIONS_ATTR = "__dltflow_expectations__"

_EXPECT_OPTIONS = frozenset({"expect_all", "expect_all_or_drop", "expect_all_or_fail"})
_TABLE_OPTIONS = frozenset({
    "name", "comment", "spark_conf", "table_properties", "path", "partition_cols",
    "cluster_by", "cluster_by_auto", "schema", "row_filter", "temporary", "private", "format",
}) | _EXPECT_OPTIONS
_VIEW_OPTIONS = frozenset({"name", "comment", "spark_conf"})
_STREAMING_TABLE_OPTIONS = _TABLE_OPTIONS - {"name"}


def _validate_options(decorator: str, options: Mapping[str, Any], allowed: frozenset[str],
                      func: Any = None) -> bool:
    """Reject an option DLT does not have, naming it and the nearest valid one.

    Returns:
        True when the options are valid. A registry that reports every declaration
        problem of a pipeline at once (``report_problem``) collects the error and the
        element is not declared (False); otherwise the error is raised.
    """
    import difflib

    unknown = sorted(set(options) - allowed)
    if not unknown:
        return True
    where = SourceLocation.of(func) if callable(func) else SourceLocation.caller()
    problems = []
    for option in unknown:
        near = difflib.get_close_matches(option, sorted(allowed), n=1)
        problems.append(f"@dlt.{decorator}: unknown option '{option}'"
                        + (f" (did you mean '{near[0]}'?)" if near else "")
                        + (f" at {where}" if where else ""))
    error = ConfigError(problems,
                        hint=f"@dlt.{decorator} accepts: {', '.join(sorted(allowed))}.")
    collect = getattr(active_registry(f"@dlt.{decorator}"), "report_problem", None)
    if collect is None:
        raise error
    collect(error)
    return False


def _validate_decorated(func: Any, decorator: str) -> None:
    if not callable(func):
        raise ConfigError(
            f"@{decorator} must decorate a function, got {type(func).__name__}",
            hint=f"write `@dlt.{decorator}` or `@dlt.{decorator}(name=...)` above a `def`.",
        )


def _expectations_of(func: Callable[..., Any]) -> tuple[ExpectationSpec, ...]:
    return tuple(getattr(func, _EXPECTATIONS_ATTR, ()))


def _add_expectations(func: F, rules: Mapping[str, str], action: ExpectationAction) -> F:
    _validate_decorated(func, "expect")
    existing = list(getattr(func, _EXPECTATIONS_ATTR, ()))
    existing.extend(ExpectationSpec(n, c, action) for n, c in rules.items())
    setattr(func, _EXPECTATIONS_ATTR, existing)
    return func


def expect(name: str, constraint: str) -> Callable[[F], F]:
    """Keep rows that fail ``constraint`` but count them."""
    return lambda f: _add_expectations(f, {name: constraint}, "allow")


def expect_or_drop(name: str, constraint: str) -> Callable[[F], F]:
    """Drop rows that fail ``constraint``."""
    return lambda f: _add_expectations(f, {name: constraint}, "drop")


def expect_or_fail(name: str, constraint: str) -> Callable[[F], F]:
    """Stop the update when a row fails ``constraint``."""
    return lambda f: _add_expectations(f, {name: constraint}, "fail")


def expect_all(expectations: Mapping[str, str]) -> Callable[[F], F]:
    """:func:`expect` for each name -> constraint pair."""
    return lambda f: _add_expectations(f, expectations, "allow")


def expect_all_or_drop(expectations: Mapping[str, str]) -> Callable[[F], F]:
    """:func:`expect_or_drop` for each name -> constraint pair."""
    return lambda f: _add_expectations(f, expectations, "drop")


def expect_all_or_fail(expectations: Mapping[str, str]) -> Callable[[F], F]:
    """:func:`expect_or_fail` for each name -> constraint pair."""
    return lambda f: _add_expectations(f, expectations, "fail")


def _table_decorator(kind: TableKind, decorator: str, func: Any, options: dict[str, Any]) -> Any:
    def register(query: QueryFunction) -> QueryFunction:
        _validate_decorated(query, decorator)
        if not _validate_options(decorator, options, _TABLE_OPTIONS, query):
            return query
        active_registry(f"@dlt.{decorator}").register_dataset(
            _make_table(kind, query, dict(options)))
        return query

    return register(func) if func is not None else register


def _make_table(kind: TableKind, query: QueryFunction | None, options: dict[str, Any]) -> Table:
    name = options.pop("name", None)
    if name is None:
        name = getattr(query, "__name__", None)
    expectations = _expectations_of(query) if query else ()
    extra = options.pop("expect_all", None)
    if extra:
        expectations += tuple(ExpectationSpec(n, c, "allow") for n, c in extra.items())
    actions: tuple[tuple[str, ExpectationAction], ...] = (
        ("expect_all_or_drop", "drop"), ("expect_all_or_fail", "fail"))
    for key, action in actions:
        rules = options.pop(key, None) or {}
        expectations += tuple(ExpectationSpec(n, c, action) for n, c in rules.items())
    return Table(
        name=name,
        query=query,
        kind=kind,
        expectations=expectations,
        comment=options.pop("comment", None),
        spark_conf=dict(options.pop("spark_conf", None) or {}),
        table_properties=dict(options.pop("table_properties", None) or {}),
        partition_cols=tuple(options.pop("partition_cols", None) or ()),
        cluster_by=tuple(options.pop("cluster_by", None) or ()),
        path=options.pop("path", None),
        schema=options.pop("schema", None),
        # `private` is the current name of `temporary`: kept out of the catalog.
        temporary=bool(options.pop("temporary", False) or options.pop("private", False)),
        row_filter=options.pop("row_filter", None),
        format=options.pop("format", None),
        cluster_by_auto=bool(options.pop("cluster_by_auto", False)),
        source_location=SourceLocation.of(query) if query else SourceLocation.caller(),
    )


@overload
def table(query_function: F) -> F: ...
@overload
def table(query_function: None = None, **options: Any) -> Callable[[F], F]: ...
def table(query_function: Any = None, **options: Any) -> Any:
    """Declare a table: streaming when its query returns a streaming DataFrame.

    Example:
        >>> @dlt.table(name="clean", comment="valid rows")
        ... @dlt.expect_or_drop("positive", "amount > 0")
        ... def clean():
        ...     return dlt.read("raw")
    """
    return _table_decorator("table", "table", query_function, options)


@overload
def materialized_view(query_function: F) -> F: ...
@overload
def materialized_view(query_function: None = None, **options: Any) -> Callable[[F], F]: ...
def materialized_view(query_function: Any = None, **options: Any) -> Any:
    """Declare a materialized view: a table recomputed on every update."""
    return _table_decorator("materialized_view", "materialized_view", query_function, options)


def _view_decorator(decorator: str, func: Any, options: dict[str, Any]) -> Any:
    def register(query: QueryFunction) -> QueryFunction:
        _validate_decorated(query, decorator)
        if not _validate_options(decorator, options, _VIEW_OPTIONS, query):
            return query
        active_registry(f"@dlt.{decorator}").register_dataset(View(
            name=query.__name__ if options.get("name") is None else options["name"],
            query=query,
            expectations=_expectations_of(query),
            comment=options.get("comment"),
            spark_conf=dict(options.get("spark_conf") or {}),
            source_location=SourceLocation.of(query),
        ))
        return query

    return register(func) if func is not None else register


@overload
def view(query_function: F) -> F: ...
@overload
def view(query_function: None = None, **options: Any) -> Callable[[F], F]: ...
def view(query_function: Any = None, **options: Any) -> Any:
    """Declare a view: computed when read, never stored."""
    return _view_decorator("view", query_function, options)


@overload
def temporary_view(query_function: F) -> F: ...
@overload
def temporary_view(query_function: None = None, **options: Any) -> Callable[[F], F]: ...
def temporary_view(query_function: Any = None, **options: Any) -> Any:
    """``pyspark.pipelines`` spelling of :func:`view`."""
    return _view_decorator("temporary_view", query_function, options)


@overload
def create_table(query_function: F) -> F: ...
@overload
def create_table(query_function: None = None, **options: Any) -> Callable[[F], F]: ...
def create_table(query_function: Any = None, **options: Any) -> Any:
    """The legacy name of :func:`table` (Databricks' quickstart and demos still use it)."""
    return _table_decorator("table", "create_table", query_function, options)


@overload
def create_view(query_function: F) -> F: ...
@overload
def create_view(query_function: None = None, **options: Any) -> Callable[[F], F]: ...
def create_view(query_function: Any = None, **options: Any) -> Any:
    """The legacy name of :func:`view`."""
    return _view_decorator("create_view", query_function, options)


def create_streaming_table(name: str, **options: Any) -> None:
    """Declare a streaming table that append, CDC or snapshot flows write into.

    Example:
        >>> dlt.create_streaming_table("events", expect_all_or_drop={"has_id": "id IS NOT NULL"})
    """
    if not _validate_options("create_streaming_table", options, _STREAMING_TABLE_OPTIONS):
        return
    active_registry("dlt.create_streaming_table").register_dataset(
        _make_table("streaming_table", None, {"name": name, **options})
    )


create_target_table = create_streaming_table


def append_flow(*, target: str, name: str | None = None, once: bool = False,
                comment: str | None = None, spark_conf: Mapping[str, str] | None = None
                ) -> Callable[[F], F]:
    """Declare a flow that appends its query's rows to the streaming table ``target``.

    Example:
        >>> @dlt.append_flow(target="events")
        ... def from_kafka():
        ...     return spark.readStream.table("raw_events")
    """

    def register(query: F) -> F:
        _validate_decorated(query, "append_flow")
        active_registry("@dlt.append_flow").register_flow(AppendFlow(
            name=query.__name__ if name is None else name, target=target, query=query, once=once,
            comment=comment, spark_conf=dict(spark_conf or {}),
            source_location=SourceLocation.of(query),
        ))
        return query

    return register


def _columns(value: Iterable[Any] | None) -> tuple[str, ...] | None:
    """Column lists as names: DLT takes strings, ``dp`` examples also pass ``col("x")``."""
    return None if value is None else tuple(_column_name(v) for v in value)


def _column_name(value: Any) -> str:
    """The name of a plain column reference (classic or Spark Connect ``Column``)."""
    if isinstance(value, str):
        return value
    jc = getattr(value, "_jc", None)  # classic Column: the JVM expression's text
    if jc is not None:
        return str(jc.toString()).strip("`")
    expr = getattr(value, "_expr", None)  # Spark Connect Column: an unresolved attribute
    name = getattr(expr, "_unparsed_identifier", None)
    return str(name) if name is not None else str(value)


def apply_changes(*, target: str, source: str, keys: Iterable[str], sequence_by: Any,
                  where: Any = None, ignore_null_updates: bool = False,
                  apply_as_deletes: Any = None, apply_as_truncates: Any = None,
                  column_list: Iterable[str] | None = None,
                  except_column_list: Iterable[str] | None = None,
                  stored_as_scd_type: int | str = 1,
                  track_history_column_list: Iterable[str] | None = None,
                  track_history_except_column_list: Iterable[str] | None = None,
                  flow_name: str | None = None, name: str | None = None,
                  once: bool = False, spark_conf: Mapping[str, str] | None = None) -> None:
    """Apply the change events of ``source`` to the streaming table ``target``.

    Example:
        >>> dlt.create_streaming_table("users")
        >>> dlt.apply_changes(target="users", source="user_changes", keys=["userId"],
        ...                   sequence_by="sequenceNum", stored_as_scd_type=2)
    """
    active_registry("dlt.apply_changes").register_flow(ApplyChangesFlow(
        name=next((n for n in (flow_name, name) if n is not None), target),
        target=target, source=source,
        keys=_columns(keys) or (), sequence_by=sequence_by, where=where,
        ignore_null_updates=ignore_null_updates, apply_as_deletes=apply_as_deletes,
        apply_as_truncates=apply_as_truncates, column_list=_columns(column_list),
        except_column_list=_columns(except_column_list),
        stored_as_scd_type=int(stored_as_scd_type),
        track_history_column_list=_columns(track_history_column_list),
        track_history_except_column_list=_columns(track_history_except_column_list),
        once=once, spark_conf=dict(spark_conf or {}),
        source_location=SourceLocation.caller(),
    ))


create_auto_cdc_flow = apply_changes


def apply_changes_from_snapshot(*, target: str, source: Any = None,
                                keys: Iterable[str], stored_as_scd_type: int | str = 1,
                                track_history_column_list: Iterable[str] | None = None,
                                track_history_except_column_list: Iterable[str] | None = None,
                                name: str | None = None, snapshot_and_version: Any = None
                                ) -> None:
    """Maintain ``target`` from successive full snapshots of ``source``.

    ``source`` (or its older name ``snapshot_and_version``) is a dataset name, a
    function ``f(last_version) -> (DataFrame, version) | None``, or one
    ``(DataFrame, version)`` pair, applied when its version is newer than the last.

    Example:
        >>> dlt.create_streaming_table("products")
        >>> dlt.apply_changes_from_snapshot(target="products", keys=["id"],
        ...     snapshot_and_version=next_snapshot, stored_as_scd_type=2)
    """
    if (source is None) == (snapshot_and_version is None):
        raise ConfigError(f"apply_changes_from_snapshot(target='{target}'): give exactly one "
                          "of source= and snapshot_and_version=",
                          hint="source='table_name', or snapshot_and_version=a function "
                               "returning (DataFrame, version) or None.")
    given = source if source is not None else snapshot_and_version
    active_registry("dlt.apply_changes_from_snapshot").register_flow(SnapshotFlow(
        name=target if name is None else name, target=target,
        source=_snapshot_source(target, given),
        keys=_columns(keys) or (), stored_as_scd_type=int(stored_as_scd_type),
        track_history_column_list=_columns(track_history_column_list),
        track_history_except_column_list=_columns(track_history_except_column_list),
        source_location=(SourceLocation.of(given) if callable(given)
                         else SourceLocation.caller()),
    ))


def _snapshot_source(target: str, given: Any) -> str | SnapshotFunction:
    """A dataset name, or a snapshot function that says None when nothing is newer."""
    if isinstance(given, str):
        return given
    if isinstance(given, tuple) and len(given) == 2 and hasattr(given[0], "schema"):
        frame, version = given

        def one_snapshot(last: Any) -> tuple[DataFrame, Any] | None:
            return (frame, version) if last is None or version > last else None

        return one_snapshot
    if callable(given):
        function = given

        def next_snapshot(last: Any) -> tuple[DataFrame, Any] | None:
            result = function(last)
            # DLT's examples end with `return None` or `return (None, None)`.
            return None if result is None or result[0] is None else result

        next_snapshot.__wrapped__ = function  # type: ignore[attr-defined]
        next_snapshot.__qualname__ = getattr(function, "__qualname__", "next_snapshot")
        next_snapshot.__module__ = getattr(function, "__module__", __name__)
        return next_snapshot
    raise ConfigError(f"apply_changes_from_snapshot(target='{target}'): the snapshot source "
                      f"is a {type(given).__name__}",
                      hint="pass a table name, a function returning (DataFrame, version) "
                           "or None, or one (DataFrame, version) pair.")


create_auto_cdc_from_snapshot_flow = apply_changes_from_snapshot


def create_sink(name: str, format: str,  # noqa: A002 - Databricks' parameter name
                options: Mapping[str, str] | None = None) -> None:
    """Declare a sink that append flows write into (``@dp.append_flow(target=name)``).

    Locally ``delta``, ``parquet``, ``json``, ``csv`` and ``orc`` sinks keep their rows in
    the warehouse, exactly once per micro-batch (see :class:`~dltflow.graph.elements.Sink`).

    Raises:
        ConfigError: a Kafka, Event Hubs or other external sink (a local run must not
            send data to an external system), naming the sink and where it is declared.

    Example:
        >>> dp.create_sink("exports", "delta", {"path": "/Volumes/main/raw/exports"})
    """
    active_registry("dlt.create_sink").register_dataset(
        file_sink(name, format, options, SourceLocation.caller()))


def file_sink(name: str, format: str, options: Mapping[str, str] | None,  # noqa: A002
              where: SourceLocation | None) -> Sink:
    """The sink ``create_sink`` declares (also for ``pyspark.pipelines``' own sinks).

    Raises:
        ConfigError: a format a local run cannot write (Kafka, Event Hubs, ...).
    """
    fmt = str(format).lower()
    if fmt not in SINK_FORMATS or fmt == "foreach_batch":
        raise ConfigError(f"sink '{name}' (format '{format}'"
                          + (f", {where}" if where else "") + ") cannot run locally: it sends "
                          "data to an external system", source=str(where) if where else None,
                          hint="run this pipeline on Databricks, or give the sink a file "
                               f"format ({', '.join(SINK_FORMATS[:-1])}) for local runs.")
    return Sink(name=name, sink_format=fmt, options=dict(options or {}), source_location=where)


def foreach_batch_sink(func: SinkHandler | None = None, *, name: str | None = None) -> Any:
    """Declare a sink whose function is called with each micro-batch and its batch id.

    Each batch id reaches the function once per update and is never repeated once the
    call returned and the batch was recorded (a crash inside the call replays it, with
    the same id and rows: write idempotently by batch id).

    Example:
        >>> @dp.foreach_batch_sink(name="audit")
        ... def audit(df, batch_id):
        ...     df.write.mode("append").json(f"/tmp/audit/{batch_id}")
    """

    def register(handler: SinkHandler) -> SinkHandler:
        _validate_decorated(handler, "foreach_batch_sink")
        active_registry("@dlt.foreach_batch_sink").register_dataset(Sink(
            name=name or handler.__name__, sink_format="foreach_batch", handler=handler,
            source_location=SourceLocation.of(handler)))
        return handler

    return register(func) if func is not None else register


def on_event_hook(func: Any = None, *, max_allowable_consecutive_failures: int | None = None
                  ) -> Any:
    """Register a function called with every event of the update (a dict shaped like
    DLT's event log record). A hook that keeps failing is disabled, as on Databricks.

    Example:
        >>> @dlt.on_event_hook(max_allowable_consecutive_failures=3)
        ... def alert(event):
        ...     if event["event_type"] == "update_progress": print(event["details"])
    """

    def register(hook: Any) -> Any:
        _validate_decorated(hook, "on_event_hook")
        registry = active_registry("@dlt.on_event_hook")
        add = getattr(registry, "register_event_hook", None)
        if add is None:
            raise ConfigError("@dlt.on_event_hook is not supported by this backend",
                              hint="run the pipeline with `dltflow run` or on Databricks.")
        add(hook, max_allowable_consecutive_failures)
        return hook

    return register(func) if func is not None else register


def read(name: str) -> DataFrame:
    """Read a dataset of this pipeline (batch)."""
    return active_registry("dlt.read").read(name, streaming=False)


def read_stream(name: str) -> DataFrame:
    """Read a dataset of this pipeline as a stream."""
    return active_registry("dlt.read_stream").read(name, streaming=True)
