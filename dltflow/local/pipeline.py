"""``run()``: declare, plan, execute, report — the local engine's one entry point.

Definition errors (:class:`ConfigError`, :class:`GraphError`) are *raised*: the input
is wrong and nothing ran. Anything that goes wrong while data moves (a failing query,
a violated ``fail`` expectation) is *recorded*: the result's status is ``FAILED`` and
``result.error`` holds the exception, like a failed DLT update.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from dltflow.causes import defining_exit, describe_failure
from dltflow.exceptions import ConfigError, DatasetFailed, GraphError
from dltflow.graph.expectations import sharing_checks
from dltflow.graph.registry import registration_context
from dltflow.local.databricks import autoloader, live
from dltflow.local.databricks.configuration import pipeline_configuration
from dltflow.local.databricks.loader import declaring, load_file
from dltflow.local.databricks.patches import patched
from dltflow.local.engines.capabilities import capabilities, streaming_mode, table_format
from dltflow.local.events import (
    Event,
    EventLog,
    FlowFinished,
    Recovered,
    RunFinished,
    RunStarted,
)
from dltflow.local.execution.definition_events import graph_events, partial_graph_events
from dltflow.local.execution.runner import Runner
from dltflow.local.plan.build import ExecutionPlan, build_plan, partial_plan_of
from dltflow.local.plan.refusal import refuse_unsupported
from dltflow.local.plan.registry import EventHook, LocalRegistry
from dltflow.local.result import PipelineResult, summarize
from dltflow.local.storage import Warehouse
from dltflow.local.storage.lock import lock_timeout, warehouse_lock

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.quality import DLTMetaMixin

DEFAULT_WAREHOUSE = ".dltflow"
_current_warehouse: ContextVar[Path | None] = ContextVar("dltflow_warehouse", default=None)


def current_warehouse() -> Path | None:
    """The warehouse folder of the local run in progress (None outside a run).

    Lets a pipeline place local inputs (e.g. a landing folder) beside its tables.
    """
    return _current_warehouse.get()
Definition = Union["DLTMetaMixin", str, Path, Sequence[str | Path], Callable[[], object]]
"""What :func:`run` runs: a ``DLTMetaMixin`` instance, a pipeline source (a Python DLT
or ``dp`` file, a file defining one mixin class, a pipeline SQL file, a folder of them,
or a list of these: one pipeline), or a zero-argument function that declares
datasets with the DLT API when called (e.g. a deployment file's definition, from
:func:`dltflow.deploy.deployment_definition`)."""


def _declare(definition: Definition, registry: LocalRegistry, spark: SparkSession,
             conf: str | Path | Mapping[str, Any] | None) -> str:
    """Let ``definition`` declare its datasets into ``registry``; returns the pipeline's name."""
    if isinstance(definition, (str, Path)):
        load_file(definition, registry, spark, conf)
        return Path(definition).stem
    if isinstance(definition, (list, tuple)) and definition and all(
            isinstance(p, (str, Path)) for p in definition):
        load_file(definition, registry, spark, conf)
        return Path(definition[0]).stem if len(definition) == 1 else "pipeline"
    from dltflow.quality import DLTMetaMixin  # lazy: a file needs the mixin only if it has one

    if conf is not None:
        raise ConfigError("conf= is the config of a pipeline file",
                          hint="build the instance with its config instead: "
                               "MyPipeline(spark, init_conf=conf).")
    if isinstance(definition, DLTMetaMixin):
        definition.register_datasets()
        return type(definition).__name__
    if callable(definition) and not isinstance(definition, type):
        with declaring(registry):
            try:
                definition()
            except SystemExit as err:
                raise defining_exit(getattr(definition, "__qualname__", "the definition"),
                                    err) from None
        sources = getattr(definition, "sources", ())  # a deployment file's SQL and folders
        if sources:
            load_file(list(sources), registry, spark, None)
        return getattr(definition, "__name__", "pipeline")
    raise ConfigError(f"cannot run {definition!r}" if isinstance(definition, type)
                      else f"cannot run a {type(definition).__name__}",
                      hint="pass a DLTMetaMixin instance (MyPipeline(spark, init_conf=conf)), "
                           "a pipeline file, or a function that declares datasets.")


def _refresh_set(full_refresh: bool | Sequence[str] | str, plan: ExecutionPlan
                 ) -> bool | Collection[str]:
    if isinstance(full_refresh, bool):
        return full_refresh
    names = [full_refresh] if isinstance(full_refresh, str) else list(full_refresh)
    unknown = [n for n in names if n not in plan.all_datasets]
    if unknown:
        raise GraphError(f"full refresh names unknown dataset(s): {', '.join(unknown)}",
                         names=unknown, hint=f"choose from: {sorted(plan.all_datasets)}.")
    return frozenset(names)


def with_definition_configuration(definition: Definition,
                                  configuration: Mapping[str, Any] | None
                                  ) -> Mapping[str, Any] | None:
    """A definition may carry pipeline parameters of its own (a deployment file's
    ``configuration:``); values given to the run explicitly win over them."""
    carried = getattr(definition, "configuration", None)
    if not isinstance(carried, Mapping) or not carried:
        return configuration
    return {**carried, **(configuration or {})}


def plan_pipeline(definition: Definition, *, spark: SparkSession, registry: LocalRegistry,
                  warehouse: Warehouse, mode: str, conf: Any = None,
                  select: Sequence[str] | None = None) -> tuple[str, ExecutionPlan]:
    """Declare and plan (inside :func:`definition_scope`), refusing what the streaming
    ``mode`` cannot run: the one preparation :func:`run` and :func:`explain` share."""
    name = _declare(definition, registry, spark, conf)
    registry.raise_problems()
    if registry.is_empty():
        raise ConfigError(f"{name} declares no datasets",
                          hint="check the `dlt:` config, or the decorators of the file.")
    plan = build_plan(spark, registry, scratch=warehouse.scratch,
                      schema=warehouse.schema, select=select,
                      stored_schema=warehouse.stored_schema)
    refuse_unsupported(spark, plan, mode)
    return name, plan


def _prepare(spark: SparkSession | None, warehouse: str | Path | None, schema: str,
             format: str | None, streaming: str | None  # noqa: A002 - Spark's own word
             ) -> tuple[SparkSession, Warehouse, str]:
    """The session (a local one by default), the warehouse and the streaming mode,
    chosen as :func:`run` and :func:`explain` both choose them."""
    from dltflow.local.engines.session import get_spark

    spark = spark or get_spark()
    store = Warehouse(spark, Path(warehouse or DEFAULT_WAREHOUSE), schema,
                      format=table_format(spark, format))
    return spark, store, streaming_mode(spark, streaming)


def explain(definition: Definition, *, spark: SparkSession | None = None,
            conf: str | Path | Mapping[str, Any] | None = None,
            warehouse: str | Path | None = None, select: Sequence[str] | None = None,
            schema: str = "default", configuration: Mapping[str, Any] | None = None,
            streaming: str | None = None) -> ExecutionPlan:
    """Declare and plan ``definition`` as :func:`run` does (the same preparation, the
    same refusals of what the engine cannot run), without running it or writing.

    Returns:
        The plan; :func:`~dltflow.local.plan.text.describe` renders it.

    Raises:
        ConfigError: the definition or its config is invalid.
        GraphError: an unknown reference, a cycle or a duplicate name.
        EngineUnsupported: the engine (or ``streaming`` mode) cannot run a flow.
    """
    spark, store, mode = _prepare(spark, warehouse, schema, None, streaming)
    registry = LocalRegistry()
    configuration = with_definition_configuration(definition, configuration)
    with definition_scope(spark, store, registry, configuration=configuration, dry_run=True):
        _, plan = plan_pipeline(definition, spark=spark, registry=registry, warehouse=store,
                                mode=mode, conf=conf, select=select)
    return plan


def run(definition: Definition, *, spark: SparkSession | None = None,
        conf: str | Path | Mapping[str, Any] | None = None,
        warehouse: str | Path | None = None, full_refresh: bool | Sequence[str] = False,
        select: Sequence[str] | None = None, schema: str = "default",
        on_event: Callable[[Event], None] | None = None,
        configuration: Mapping[str, Any] | None = None,
        lock_wait: float | None = None,
        format: str | None = None,  # noqa: A002 - Spark's own word
        streaming: str | None = None) -> PipelineResult:
    """Run a pipeline locally, as one DLT update.

    One update at a time writes a warehouse: the run holds its lock throughout, and
    begins by finishing or cleaning whatever a killed run left mid-write (reported as
    a :class:`~dltflow.local.events.Recovered` event).

    Args:
        definition: a ``DLTMetaMixin`` instance; a pipeline file (``import dlt``,
            ``from pyspark import pipelines as dp``, or one mixin class); or a
            zero-argument function declaring datasets when called.
        spark: the session to use (classic or Spark Connect); a local one by default.
        conf: the config of a pipeline file's mixin class (a path or a dict).
        warehouse: the warehouse folder (default ``.dltflow`` in the working directory).
        full_refresh: True to reset every streaming table and its checkpoints, or the
            names of the tables to reset.
        select: compute only these datasets and their upstreams.
        schema: the catalog schema tables are published in.
        on_event: called with every event as it happens.
        configuration: the pipeline's parameters, readable with ``spark.conf.get(KEY)``
            (and ``dbutils.widgets.get(KEY)``) while the pipeline is defined and run,
            restored afterwards; a deployment file's workflow ``configuration`` is
            applied underneath (these values win).
        lock_wait: seconds to wait while another update holds the warehouse; by
            default ``DLTFLOW_LOCK_TIMEOUT``, else 0 (fail at once).
        format: how tables are written, ``delta`` or ``parquet``; by default Delta
            on the Sail engine and Parquet on JVM Spark (Delta there needs a session
            with delta-spark configured).
        streaming: how streaming flows run: ``structured`` (Spark's Structured
            Streaming, the default on JVM Spark) or ``incremental`` (dltflow's own
            incremental reads of new files, the only mode on Sail).

    Returns:
        The run's :class:`PipelineResult`.

    Raises:
        ConfigError: the definition or its config is invalid.
        GraphError: an unknown reference, a cycle or a duplicate name.
        WarehouseLocked: another update holds the warehouse.
    """
    spark, store, mode = _prepare(spark, warehouse, schema, format, streaming)
    with warehouse_lock(store.root, timeout=lock_timeout(lock_wait)):
        recovered = Recovered(tuple(sorted(store.recover().items())))
        return _update(definition, spark=spark, store=store, conf=conf,
                       full_refresh=full_refresh, select=select, on_event=on_event,
                       configuration=configuration, recovered=recovered, streaming=mode)


def _update(definition: Definition, *, spark: SparkSession, store: Warehouse, conf: Any,
            full_refresh: bool | Sequence[str], select: Sequence[str] | None,
            on_event: Callable[[Event], None] | None,
            configuration: Mapping[str, Any] | None, recovered: Recovered,
            streaming: str) -> PipelineResult:
    """One update, with the warehouse locked and recovered (see :func:`run`)."""
    registry = LocalRegistry()
    events: list[Event] = []
    run_id = uuid.uuid4().hex[:12]
    start = time.perf_counter()
    # `declaring` stays active while queries run: they may `import dlt` lazily.
    configuration = with_definition_configuration(definition, configuration)
    with definition_scope(spark, store, registry, configuration=configuration), \
            declaring(registry), sharing_checks():
        store.register_existing()
        try:
            name, plan = plan_pipeline(definition, spark=spark, registry=registry,
                                       warehouse=store, conf=conf, select=select,
                                       mode=streaming)
        except DatasetFailed as err:
            emit = _emitter(events, EventLog(store.root, run_id), on_event)
            _planning_failed(emit, run_id, err, [d.name for d in registry.datasets], recovered)
            return _finish(emit, events, run_id, "FAILED", err, start, spark, store)
        refresh = _refresh_set(full_refresh, plan)
        emit = _emitter(events, EventLog(store.root, run_id, name), on_event,
                        registry.event_hooks)
        emit(RunStarted(run_id, plan.names))
        if recovered.done:
            emit(recovered)
        for record in graph_events(plan):
            emit(record)
        store.record_writer(capabilities(spark).engine,  # what --engine auto keeps to
                            afresh=full_refresh is True and not select)
        runner = Runner(spark, plan, store, emit, full_refresh=refresh, streaming=streaming)
        status = runner.run()
        error = runner.errors[0] if runner.errors else None
        return _finish(emit, events, run_id, status, error, start, spark, store)


def _planning_failed(emit: Callable[[Event], None], run_id: str, err: DatasetFailed,
                     declared: Sequence[str], recovered: Recovered) -> None:
    """Every dataset is listed: those whose query failed as FAILED, the rest SKIPPED."""
    failures = list(getattr(err, "failures", [err]))
    names = list(dict.fromkeys(declared))
    emit(RunStarted(run_id, tuple(names)))
    if recovered.done:
        emit(recovered)
    partial = partial_plan_of(err)
    if partial is not None:  # the graph as far as declaration and analysis showed it
        for record in partial_graph_events(partial):
            emit(record)
    failed = {f.dataset: f for f in failures}
    for name in names:
        if name in failed:
            emit(FlowFinished(name, name, "FAILED", error=describe_failure(failed[name])))
        else:
            emit(FlowFinished(name, name, "SKIPPED", output_rows=0))


@contextmanager
def definition_scope(spark: SparkSession, store: Warehouse, registry: LocalRegistry, *,
                     configuration: Mapping[str, Any] | None = None,
                     dry_run: bool = False) -> Iterator[None]:
    """What defining (and running) a pipeline needs: ``registry`` active, ``LIVE.``
    names resolvable, :func:`current_warehouse` set, the configuration on the session,
    ``dbutils`` and Auto Loader available; all undone on exit. A dry run writes nothing
    (Auto Loader keeps no schema)."""
    token = _current_warehouse.set(store.root)
    state = None if dry_run else store.root / "_autoloader"
    try:
        with patched(), registration_context(registry), \
                pipeline_configuration(spark, configuration), autoloader.active(state):
            yield
    finally:
        live.drop_bare_views(spark)
        _current_warehouse.reset(token)


def _emitter(events: list[Event], log: EventLog, on_event: Callable[[Event], None] | None,
             hooks: Sequence[EventHook] = ()) -> Callable[[Event], None]:
    def emit(event: Event) -> None:
        events.append(event)
        record = log.append(event)
        if on_event is not None:
            on_event(event)
        for hook in hooks:
            hook(record)

    return emit


def _finish(emit: Callable[[Event], None], events: list[Event], run_id: str, status: str,
            error: BaseException | None, start: float, spark: SparkSession,
            store: Warehouse) -> PipelineResult:
    emit(RunFinished(status, time.perf_counter() - start,
                     describe_failure(error) if error else None))
    return PipelineResult(status=status, run_id=run_id, datasets=summarize(events),
                          events=events, error=error, spark=spark, warehouse=store.root,
                          schema=store.schema)
