"""Loading pipeline definitions: a plain DLT file, a ``pyspark.pipelines`` file, a mixin.

A plain DLT file does ``import dlt``: while it executes, ``sys.modules["dlt"]`` is
:mod:`dltflow.graph.api`, whose decorators register with the active (local) registry.
A ``from pyspark import pipelines as dp`` file registers with pyspark's own registry:
:class:`PipelinesAdapter` implements pyspark's ``GraphElementRegistry`` and converts
its ``Output``/``Flow`` objects into dltflow elements. A file that only *defines* a
``DLTMetaMixin`` class (and registers nothing) is instantiated with ``spark`` and the
config, then its datasets are registered.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.causes import defining_exit
from dltflow.configfile import check_path_text
from dltflow.exceptions import ConfigError, DLTException, GraphError
from dltflow.graph.elements import AppendFlow, ApplyChangesFlow, SourceLocation, Table, View
from dltflow.local.registry import LocalRegistry

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_STORED_KINDS = {"MaterializedView": "materialized_view", "StreamingTable": "table",
                 "Table": "table"}


@contextmanager
def _dlt_module() -> Iterator[None]:
    """``import dlt`` and ``from pyspark import pipelines as dp`` give dltflow's local DLT
    surface inside the block (Databricks' ``dp`` has ``expect*``, AUTO CDC flows and
    sinks, which open-source ``pyspark.pipelines`` lacks); both are restored after it."""
    from dltflow.graph import api

    missing = object()
    package = sys.modules.get("pyspark")
    saved = {name: sys.modules.get(name, missing) for name in _SURFACE_NAMES}
    saved_attribute = getattr(package, "pipelines", missing) if package else missing
    for name in _SURFACE_NAMES:
        sys.modules[name] = api
    if package is not None:
        package.pipelines = api  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is missing:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous  # type: ignore[assignment]
        if package is not None:
            if saved_attribute is missing:
                vars(package).pop("pipelines", None)
            else:
                package.pipelines = saved_attribute  # type: ignore[attr-defined]


_SURFACE_NAMES = ("dlt", "pyspark.pipelines")


@contextmanager
def declaring(registry: LocalRegistry) -> Iterator[None]:
    """Inside the block, ``import dlt`` and ``pyspark.pipelines`` declare into ``registry``.

    pyspark's own registration context is entered first (its modules are imported
    then), so code importing ``pyspark.pipelines.api`` directly still reaches
    ``registry`` through :class:`PipelinesAdapter`.
    """
    adapter = PipelinesAdapter(registry)
    with adapter.active(), _dlt_module():
        yield
    adapter.flush()


def load_file(path: str | Path, registry: LocalRegistry, spark: SparkSession,
              conf: str | Path | Mapping[str, Any] | None = None) -> None:
    """Execute a pipeline source file so that it declares its datasets into ``registry``.

    Raises:
        ConfigError: the file does not exist or declares nothing.
    """
    check_path_text(path, field="definition")
    if isinstance(conf, (str, Path)):
        check_path_text(conf, field="conf")
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"pipeline file {path} does not exist", source=str(path),
                          hint="pass the path of a Python file that declares datasets.")
    with declaring(registry):
        try:
            namespace = runpy.run_path(str(file), init_globals={"spark": spark},
                                       run_name="__main__")
        except DLTException:
            raise
        except SystemExit as err:
            raise defining_exit(str(path), err) from None
        except Exception as err:
            raise ConfigError(f"{path} failed while declaring its datasets: "
                              f"{type(err).__name__}: {err}", source=str(path),
                              hint="fix the error in the pipeline file.") from err
        if registry.is_empty() and not registry.problems:
            _instantiate_mixin(namespace, spark, conf)
    registry.raise_problems()  # a misspelled option says so, not "declares no datasets"
    if registry.is_empty():
        raise ConfigError(f"{path} declares no datasets", source=str(path),
                          hint="decorate functions with @dlt.table / @dlt.view, or define a "
                               "DLTMetaMixin class with a `dlt:` config (--conf).")


def _instantiate_mixin(namespace: dict[str, Any], spark: SparkSession,
                       conf: str | Path | Mapping[str, Any] | None) -> None:
    """A file that only defines one ``DLTMetaMixin`` class: build it, register it."""
    import inspect

    from dltflow.quality import DLTMetaMixin
    from dltflow.quality.construct import build_pipeline

    classes = [v for v in namespace.values() if isinstance(v, type)
               and issubclass(v, DLTMetaMixin) and v is not DLTMetaMixin
               and not inspect.isabstract(v)
               and getattr(v, "__module__", None) == namespace.get("__name__")]
    if len(classes) == 1:
        build_pipeline(classes[0], spark, conf).register_datasets()


class PipelinesAdapter:
    """Receives ``pyspark.pipelines`` declarations and forwards them to a LocalRegistry."""

    def __init__(self, registry: LocalRegistry) -> None:
        self.registry = registry
        self.outputs: dict[str, Any] = {}
        self.flows: list[Any] = []
        self._impl: Any = None

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make pyspark's registration context point here (when pyspark has one)."""
        try:
            from pyspark.pipelines.graph_element_registry import (
                graph_element_registration_context,
            )
        except ImportError:
            yield
            return
        with graph_element_registration_context(self._registry_impl()):
            yield

    def _registry_impl(self) -> Any:
        from pyspark.pipelines.graph_element_registry import GraphElementRegistry

        adapter = self

        class _Impl(GraphElementRegistry):
            def register_output(self, output: Any) -> None:
                adapter.outputs[output.name] = output

            def register_flow(self, flow: Any) -> None:
                adapter.flows.append(flow)

            def register_auto_cdc_flow(self, flow: Any) -> None:
                adapter.flows.append(flow)

            def register_sql(self, sql_text: str, file_path: Path) -> None:
                raise ConfigError("SQL pipeline definitions cannot run locally yet",
                                  source=str(file_path), hint="declare datasets in Python.")

        return _Impl()

    def flush(self) -> None:
        """Convert what pyspark declared into dltflow elements."""
        implicit = {f.name: f for f in self.flows
                    if type(f).__name__ == "Flow" and f.name == f.target}
        for name, output in self.outputs.items():
            self.registry.register_dataset(_dataset(output, implicit.get(name)))
        for flow in self.flows:
            if type(flow).__name__ == "AutoCdcFlow":
                self.registry.register_flow(_cdc_flow(flow))
            elif implicit.get(flow.target) is not flow:
                self.registry.register_flow(AppendFlow(
                    name=flow.name, target=flow.target, query=flow.func,
                    spark_conf=dict(flow.spark_conf or {}), source_location=_loc(flow)))
        self.outputs.clear()
        self.flows.clear()


def _loc(element: Any) -> SourceLocation | None:
    loc = getattr(element, "source_code_location", None)
    return SourceLocation(loc.filename, loc.line_number) if loc else None


def _dataset(output: Any, flow: Any) -> Table | View:
    kind = type(output).__name__
    query = flow.func if flow is not None else None
    if kind == "TemporaryView":
        if query is None:
            raise GraphError(f"temporary view '{output.name}' has no query",
                             names=[output.name], location=str(_loc(output) or "") or None,
                             hint="decorate a function that returns a DataFrame.")
        return View(name=output.name, query=query, comment=output.comment,
                    spark_conf=dict(flow.spark_conf or {}), source_location=_loc(output))
    if kind not in _STORED_KINDS:
        raise ConfigError(f"{kind} '{output.name}' is not supported by the local engine",
                          hint="sinks write to external systems; run them on a cluster.")
    table_kind: Any = _STORED_KINDS[kind] if query is not None else "streaming_table"
    return Table(name=output.name, query=query, kind=table_kind, comment=output.comment,
                 table_properties=dict(output.table_properties or {}),
                 partition_cols=tuple(output.partition_cols or ()),
                 cluster_by=tuple(output.cluster_by or ()), schema=output.schema,
                 format=output.format, source_location=_loc(output),
                 spark_conf=dict(flow.spark_conf or {}) if flow is not None else {})


def _column_name(column: Any) -> Any:
    """A Spark Connect column (what ``pyspark.pipelines`` builds) as a name or SQL text."""
    if column is None or isinstance(column, str):
        return column
    expr = getattr(column, "_expr", None)
    name = getattr(expr, "_unparsed_identifier", None)
    if name is not None:
        return name
    sql = getattr(expr, "_expr", None)
    return sql if isinstance(sql, str) else str(column)


def _names(columns: Any) -> tuple[str, ...] | None:
    return None if not columns else tuple(str(_column_name(c)) for c in columns)


def _cdc_flow(flow: Any) -> ApplyChangesFlow:
    return ApplyChangesFlow(
        name=flow.name or flow.target, target=flow.target, source=flow.source,
        keys=_names(flow.keys) or (), sequence_by=_column_name(flow.sequence_by),
        apply_as_deletes=_column_name(flow.apply_as_deletes),
        column_list=_names(flow.column_list), except_column_list=_names(flow.except_column_list),
        stored_as_scd_type=int(flow.stored_as_scd_type or 1),
        track_history_column_list=_names(flow.track_history_column_list),
        track_history_except_column_list=_names(flow.track_history_except_column_list),
        spark_conf=dict(getattr(flow, "spark_conf", None) or {}), source_location=_loc(flow))
