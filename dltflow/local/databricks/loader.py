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

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.configfile import check_path_text
from dltflow.definition_file import execute
from dltflow.exceptions import ConfigError, GraphError
from dltflow.graph.api import file_sink
from dltflow.graph.elements import AppendFlow, ApplyChangesFlow, SourceLocation, Table, View
from dltflow.local.databricks.patches import patched
from dltflow.local.plan.registry import LocalRegistry

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_STORED_KINDS = {"MaterializedView": "materialized_view", "StreamingTable": "table",
                 "Table": "table"}


@contextmanager
def declaring(registry: LocalRegistry) -> Iterator[None]:
    """Inside the block, ``import dlt`` and ``pyspark.pipelines`` declare into ``registry``
(with :mod:`.patches` in place: ``dlt`` and ``pyspark.pipelines`` are dltflow's API).

    pyspark's own registration context is entered first (its modules are imported
    then), so code importing ``pyspark.pipelines.api`` directly still reaches
    ``registry`` through :class:`PipelinesAdapter`.
    """
    adapter = PipelinesAdapter(registry)
    with patched(), adapter.active():
        yield
    adapter.flush()


SOURCE_SUFFIXES = (".py", ".sql")
"""The files a pipeline folder contributes, as a pipeline's ``libraries`` glob would."""


def pipeline_files(paths: Sequence[str | Path]) -> list[Path]:
    """The source files of ``paths``: each file as given, every ``.py`` and ``.sql``
    below each folder (sorted, hidden and ``__pycache__`` entries left out).

    Raises:
        ConfigError: a path does not exist, is neither Python nor SQL, or a folder
            holds no source file.
    """
    files: list[Path] = []
    for given in paths:
        check_path_text(given, field="definition")
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SOURCE_SUFFIXES
                           and p.is_file() and not _hidden(p.relative_to(path)))
            if not found:
                raise ConfigError(f"folder {given} holds no .py or .sql file",
                                  source=str(given),
                                  hint="name a folder of pipeline source files.")
            files += found
        elif not path.is_file():
            raise ConfigError(f"pipeline file {given} does not exist", source=str(given),
                              hint="pass the path of a Python or SQL file (or a folder of "
                                   "them) that declares datasets.")
        elif path.suffix not in SOURCE_SUFFIXES:
            raise ConfigError(f"{given} is neither a Python nor a SQL file",
                              source=str(given),
                              hint="pipeline sources end in .py or .sql.")
        else:
            files.append(path)
    return list(dict.fromkeys(files))


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "_")) and part != "__init__.py"
               for part in relative.parts[:-1]) or relative.name.startswith(".") \
        or "__pycache__" in relative.parts


def load_file(path: str | Path | Sequence[str | Path], registry: LocalRegistry,
              spark: SparkSession, conf: str | Path | Mapping[str, Any] | None = None
              ) -> None:
    """Execute pipeline source files so that they declare their datasets into ``registry``.

    ``path`` is one file or folder, or several: Python files (``import dlt``,
    ``from pyspark import pipelines as dp``, or a mixin class) and pipeline SQL files,
    declaring into one graph, so datasets read each other across files and languages.

    Raises:
        ConfigError: a file does not exist, fails while declaring, or nothing is declared.
    """
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    if isinstance(conf, (str, Path)):
        check_path_text(conf, field="conf")
    files = pipeline_files(paths)
    with declaring(registry):
        for file in files:
            if file.suffix == ".sql":
                _declare_sql(file, spark)
            else:
                _run_python(file, registry, spark, conf)
    registry.raise_problems()  # a misspelled option says so, not "declares no datasets"
    if registry.is_empty():
        shown = ", ".join(str(p) for p in paths)
        raise ConfigError(f"{shown} declares no datasets", source=shown,
                          hint="decorate functions with @dlt.table / @dp.table, write "
                               "CREATE ... statements in a .sql file, or define a "
                               "DLTMetaMixin class with a `dlt:` config (--conf).")


def _declare_sql(file: Path, spark: SparkSession) -> None:
    from dltflow.local.databricks.configuration import current_configuration
    from dltflow.sql import declare_file

    declare_file(file, spark=spark, configuration=dict(current_configuration()))


def _run_python(file: Path, registry: LocalRegistry, spark: SparkSession,
                conf: str | Path | Mapping[str, Any] | None) -> None:
    before = registry.size()
    namespace = execute(file, spark)
    if registry.size() == before and not registry.problems:
        _instantiate_mixin(namespace, spark, conf)


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
    return SourceLocation.at(loc.filename, loc.line_number) if loc else None


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
    if kind == "Sink":
        return file_sink(output.name, output.format, output.options, _loc(output))
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
