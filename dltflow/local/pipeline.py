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
from typing import TYPE_CHECKING, Any

from dltflow.causes import describe_failure
from dltflow.exceptions import ConfigError, DatasetFailed, GraphError
from dltflow.graph.registry import registration_context
from dltflow.local import autoloader, dbutils, live
from dltflow.local.configuration import pipeline_configuration
from dltflow.local.definitions import definitions
from dltflow.local.events import Event, EventLog, FlowFinished, RunFinished, RunStarted
from dltflow.local.plan import ExecutionPlan, build_plan
from dltflow.local.registry import EventHook, LocalRegistry
from dltflow.local.result import PipelineResult, summarize
from dltflow.local.runner import Runner
from dltflow.local.sources import declaring, load_file
from dltflow.local.storage import Warehouse

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_WAREHOUSE = ".dltflow"
_current_warehouse: ContextVar[Path | None] = ContextVar("dltflow_warehouse", default=None)


def current_warehouse() -> Path | None:
    """The warehouse folder of the local run in progress (None outside a run).

    Lets a pipeline place local inputs (e.g. a landing folder) beside its tables.
    """
    return _current_warehouse.get()
Source = Any
"""A ``DLTMetaMixin`` instance, a pipeline file path, a deployment file path, or a
zero-argument function that declares datasets with the DLT API when called."""


def _declare(source: Source, registry: LocalRegistry, spark: SparkSession,
             conf: str | Path | Mapping[str, Any] | None, environment: str | None) -> str:
    """Let ``source`` declare its datasets into ``registry``; returns the pipeline's name."""
    if callable(source) and not isinstance(source, type) \
            and not hasattr(source, "register_datasets"):
        with declaring(registry):
            source()  # a function that declares datasets with the dlt API
        return getattr(source, "__name__", "pipeline")
    if not isinstance(source, (str, Path)):
        if not hasattr(source, "register_datasets"):
            raise ConfigError(f"cannot run a {type(source).__name__}",
                              hint="pass a DLTMetaMixin instance, a pipeline file or a "
                                   "deployment file with environment=.")
        source.register_datasets()
        return type(source).__name__
    if environment is not None:
        from dltflow.deploy.launcher import pipeline_definers  # lazy: a separate module

        definers = pipeline_definers(Path(source), environment, project_root=Path.cwd())
        with declaring(registry):
            for define in definers:
                define()
        return f"{Path(source).stem}:{environment}"
    load_file(source, registry, spark, conf)
    return Path(source).stem


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


def plan_pipeline(source: Source, *, spark: SparkSession, registry: LocalRegistry,
                  warehouse: Warehouse, conf: Any = None, environment: str | None = None,
                  select: Sequence[str] | None = None) -> tuple[str, ExecutionPlan]:
    """Declare and plan (must run inside ``registration_context(registry)``)."""
    name = _declare(source, registry, spark, conf, environment)
    registry.raise_problems()
    if registry.is_empty():
        raise ConfigError(f"{name} declares no datasets",
                          hint="check the `dlt:` config, or the decorators of the file.")
    plan = build_plan(spark, registry, scratch=warehouse.root / "_scratch",
                      schema=warehouse.schema, select=select,
                      stored_schema=warehouse.stored_schema)
    return name, plan


def run(source: Source, *, spark: SparkSession | None = None,
        conf: str | Path | Mapping[str, Any] | None = None,
        warehouse: str | Path | None = None, full_refresh: bool | Sequence[str] = False,
        select: Sequence[str] | None = None, environment: str | None = None,
        schema: str = "default", on_event: Callable[[Event], None] | None = None,
        configuration: Mapping[str, Any] | None = None) -> PipelineResult:
    """Run a pipeline locally, as one DLT update.

    Args:
        source: a ``DLTMetaMixin`` instance; a DLT source file (``import dlt``,
            ``from pyspark import pipelines as dp``, or a mixin class); a deployment
            file, with ``environment``; or a function declaring datasets when called.
        spark: the session to use (classic or Spark Connect); a local one by default.
        conf: the config of a pipeline file (a path or a dict), given to it as
            ``--conf`` on ``sys.argv``.
        warehouse: the warehouse folder (default ``.dltflow`` in the working directory).
        full_refresh: True to reset every streaming table and its checkpoints, or the
            names of the tables to reset.
        select: compute only these datasets and their upstreams.
        environment: the deployment file's environment.
        schema: the catalog schema tables are published in.
        on_event: called with every event as it happens.
        configuration: the pipeline's parameters, readable with ``spark.conf.get(KEY)``
            (and ``dbutils.widgets.get(KEY)``) while the pipeline is defined and run,
            restored afterwards; a deployment file's workflow ``configuration`` is
            applied underneath (these values win).

    Returns:
        The run's :class:`PipelineResult`.

    Raises:
        ConfigError: the source or its config is invalid.
        GraphError: an unknown reference, a cycle or a duplicate name.
    """
    from dltflow.local.session import get_spark  # lazy: importing dltflow must not start Spark

    spark = spark or get_spark()
    store = Warehouse(spark, Path(warehouse or DEFAULT_WAREHOUSE), schema)
    registry = LocalRegistry()
    events: list[Event] = []
    run_id = uuid.uuid4().hex[:12]
    start = time.perf_counter()
    # `declaring` stays active while queries run: they may `import dlt` lazily.
    with definition_scope(spark, store, registry, configuration=configuration), \
            declaring(registry):
        store.register_existing()
        try:
            name, plan = plan_pipeline(source, spark=spark, registry=registry, warehouse=store,
                                       conf=conf, environment=environment, select=select)
        except DatasetFailed as err:
            emit = _emitter(events, EventLog(store.root, run_id), on_event)
            _planning_failed(emit, run_id, err, [d.name for d in registry.datasets])
            return _finish(emit, events, run_id, "FAILED", err, start, spark, store)
        refresh = _refresh_set(full_refresh, plan)
        emit = _emitter(events, EventLog(store.root, run_id, name), on_event,
                        registry.event_hooks)
        emit(RunStarted(run_id, plan.names))
        for definition in definitions(plan):
            emit(definition)
        runner = Runner(spark, plan, store, emit, full_refresh=refresh)
        status = runner.run()
        error = runner.errors[0] if runner.errors else None
        return _finish(emit, events, run_id, status, error, start, spark, store)


def _planning_failed(emit: Callable[[Event], None], run_id: str, err: DatasetFailed,
                     declared: Sequence[str]) -> None:
    """Every dataset is listed: those whose query failed as FAILED, the rest SKIPPED."""
    failures = list(getattr(err, "failures", [err]))
    names = list(dict.fromkeys(declared))
    emit(RunStarted(run_id, tuple(names)))
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
    live.install()
    token = _current_warehouse.set(store.root)
    state = None if dry_run else store.root / "_autoloader"
    try:
        with registration_context(registry), pipeline_configuration(spark, configuration), \
                dbutils.installed(), autoloader.active(state):
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
