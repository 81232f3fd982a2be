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
    AppendFlow,
    ApplyChangesFlow,
    ExpectationAction,
    ExpectationSpec,
    QueryFunction,
    SnapshotFlow,
    SnapshotFunction,
    SourceLocation,
    Table,
    TableKind,
    View,
)
from dltflow.graph.options import (
    TABLE_IGNORED,
    TABLE_OPTIONS,
    VIEW_IGNORED,
    VIEW_OPTIONS,
    check_options,
)
from dltflow.graph.registry import active_registry

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = [
    "table", "view", "materialized_view", "temporary_view", "create_streaming_table",
    "create_target_table", "append_flow", "apply_changes", "create_auto_cdc_flow",
    "apply_changes_from_snapshot", "create_auto_cdc_from_snapshot_flow", "expect",
    "expect_or_drop", "expect_or_fail", "expect_all", "expect_all_or_drop",
    "expect_all_or_fail", "read", "read_stream",
]

F = TypeVar("F", bound=Callable[..., Any])
_EXPECTATIONS_ATTR = "__dltflow_expectations__"


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
        table = _make_table(kind, query, dict(options), decorator)
        active_registry(f"@dlt.{decorator}").register_dataset(table)
        return query

    return register(func) if func is not None else register


def _make_table(kind: TableKind, query: QueryFunction | None, options: dict[str, Any],
                decorator: str) -> Table:
    name: Any = options.get("name")
    if name is None:
        name = getattr(query, "__name__", None)
    location = SourceLocation.of(query) if query else SourceLocation.caller()
    check_options(decorator, options, TABLE_OPTIONS, TABLE_IGNORED, name, location)
    options.pop("name", None)
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
        temporary=bool(options.pop("temporary", False)),
        row_filter=options.pop("row_filter", None),
        format=options.pop("format", None),
        source_location=location,
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
        name = query.__name__ if options.get("name") is None else options["name"]
        location = SourceLocation.of(query)
        check_options(decorator, options, VIEW_OPTIONS, VIEW_IGNORED, name, location)
        active_registry(f"@dlt.{decorator}").register_dataset(View(
            name=name,
            query=query,
            expectations=_expectations_of(query),
            comment=options.get("comment"),
            source_location=location,
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


def create_streaming_table(name: str, **options: Any) -> None:
    """Declare a streaming table that append, CDC or snapshot flows write into.

    Example:
        >>> dlt.create_streaming_table("events", expect_all_or_drop={"has_id": "id IS NOT NULL"})
    """
    active_registry("dlt.create_streaming_table").register_dataset(
        _make_table("streaming_table", None, {"name": name, **options},
                    "create_streaming_table")
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
    return None if value is None else tuple(str(v) for v in value)


def apply_changes(*, target: str, source: str, keys: Iterable[str], sequence_by: Any,
                  where: Any = None, ignore_null_updates: bool = False,
                  apply_as_deletes: Any = None, apply_as_truncates: Any = None,
                  column_list: Iterable[str] | None = None,
                  except_column_list: Iterable[str] | None = None,
                  stored_as_scd_type: int | str = 1,
                  track_history_column_list: Iterable[str] | None = None,
                  track_history_except_column_list: Iterable[str] | None = None,
                  flow_name: str | None = None, name: str | None = None,
                  once: bool = False) -> None:
    """Apply the change events of ``source`` to the streaming table ``target``.

    Example:
        >>> dlt.create_streaming_table("users")
        >>> dlt.apply_changes(target="users", source="user_changes", keys=["userId"],
        ...                   sequence_by="sequenceNum", stored_as_scd_type=2)
    """
    active_registry("dlt.apply_changes").register_flow(ApplyChangesFlow(
        name=next((n for n in (flow_name, name) if n is not None), target),
        target=target, source=source,
        keys=tuple(keys), sequence_by=sequence_by, where=where,
        ignore_null_updates=ignore_null_updates, apply_as_deletes=apply_as_deletes,
        apply_as_truncates=apply_as_truncates, column_list=_columns(column_list),
        except_column_list=_columns(except_column_list),
        stored_as_scd_type=int(stored_as_scd_type),
        track_history_column_list=_columns(track_history_column_list),
        track_history_except_column_list=_columns(track_history_except_column_list),
        once=once, source_location=SourceLocation.caller(),
    ))


create_auto_cdc_flow = apply_changes


def apply_changes_from_snapshot(*, target: str, source: str | SnapshotFunction,
                                keys: Iterable[str], stored_as_scd_type: int | str = 1,
                                track_history_column_list: Iterable[str] | None = None,
                                track_history_except_column_list: Iterable[str] | None = None,
                                name: str | None = None) -> None:
    """Maintain ``target`` from successive full snapshots of ``source``."""
    active_registry("dlt.apply_changes_from_snapshot").register_flow(SnapshotFlow(
        name=target if name is None else name, target=target, source=source,
        keys=tuple(keys),
        stored_as_scd_type=int(stored_as_scd_type),
        track_history_column_list=_columns(track_history_column_list),
        track_history_except_column_list=_columns(track_history_except_column_list),
        source_location=(SourceLocation.of(source) if callable(source)
                         else SourceLocation.caller()),
    ))


create_auto_cdc_from_snapshot_flow = apply_changes_from_snapshot


def read(name: str) -> DataFrame:
    """Read a dataset of this pipeline (batch)."""
    return active_registry("dlt.read").read(name, streaming=False)


def read_stream(name: str) -> DataFrame:
    """Read a dataset of this pipeline as a stream."""
    return active_registry("dlt.read_stream").read(name, streaming=True)
