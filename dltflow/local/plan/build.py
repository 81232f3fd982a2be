"""The execution plan: checked, immutable, topologically ordered, built before data moves.

Dependencies are discovered by *analysis*: each query function is called with every
read resolved to an EMPTY DataFrame of the upstream's schema (upstreams are analysed
first, recursively). That finds ``dlt.read`` calls, nested mixin method calls and
``LIVE.x`` names alike, yields every dataset's schema and whether it streams, and
reports unknown references, cycles and duplicate names as :class:`GraphError` naming
the datasets and the ``file:line`` of the declaration, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dltflow.causes import call_user_code
from dltflow.exceptions import ConfigError, DatasetFailed, DLTException, GraphError
from dltflow.graph.elements import Dataset, Flow, Sink, Table, View
from dltflow.local.engines.capabilities import jvm_handles
from dltflow.local.plan.errors import check_constraints, combined
from dltflow.local.plan.flows import PlannedFlow, QueryFlow, flows_by_target, lookup_name
from dltflow.local.plan.inputs import external_inputs
from dltflow.local.plan.registry import LocalRegistry, resolving
from dltflow.local.plan.stateful import is_streaming, stateful_operator

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from dltflow.graph.elements import ExpectationSpec

__all__ = ["ExecutionPlan", "PlanStep", "PlannedFlow", "build_plan"]

StepMode = Literal["view", "batch", "streaming"]


@dataclass(frozen=True)
class PlanStep:
    """One dataset of the plan and the flows that fill it.

    Args:
        dataset: the declared table or view.
        flows: its flows, in declaration order (a dataset's own query is a flow).
        schema: the schema found by analysis.
        mode: ``view`` (kept in memory), ``batch`` (atomic rewrite) or ``streaming``
            (appended to; CDC targets too).
        upstreams: the datasets its flows read.
    """

    dataset: Dataset
    flows: tuple[PlannedFlow, ...]
    schema: StructType
    mode: StepMode
    upstreams: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def table(self) -> Table:
        """The stored table this step writes (only views are not tables)."""
        if not isinstance(self.dataset, Table):
            raise GraphError(f"view '{self.name}' cannot be written to",
                             names=[self.name], location=_location(self.dataset),
                             hint="declare it as a table to store it.")
        return self.dataset


@dataclass(frozen=True)
class ExecutionPlan:
    """The steps of one update, upstreams before downstreams.

    Args:
        steps: the datasets to compute, in dependency order.
        all_datasets: every dataset of the pipeline (selected or not).
        schema: the catalog schema the tables are published in.
    """

    steps: tuple[PlanStep, ...]
    all_datasets: tuple[str, ...]
    schema: str = "default"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)

    def step(self, name: str) -> PlanStep:
        """The step computing ``name``."""
        return next(s for s in self.steps if s.name == name)

    def lookup(self, table_name: str) -> str | None:
        """The dataset a table name read inside a query refers to, or None."""
        return lookup_name(table_name, self.all_datasets, self.schema)


def _location(element: Any) -> str | None:
    loc = getattr(element, "source_location", None)
    return str(loc) if loc else None


def _same_streaming_target(found: list[Dataset]) -> bool:
    """Several append-flow config entries each declare their (flow-only) target table."""
    return all(isinstance(d, Table) and d.kind == "streaming_table" and d.query is None
               for d in found)


def _merged(found: list[Dataset]) -> Dataset:
    specs = {s.name: s for d in found for s in d.expectations}
    return replace(found[0], expectations=tuple(specs.values()))


def _check_duplicates(registry: LocalRegistry) -> dict[str, Dataset]:
    by_name: dict[str, list[Dataset]] = {}
    for dataset in registry.datasets:
        by_name.setdefault(dataset.name, []).append(dataset)
    for name, found in by_name.items():
        if len(found) > 1 and _same_streaming_target(found):
            found[:] = [_merged(found)]
        if len(found) > 1:
            where = ", ".join(_location(d) or "<unknown>" for d in found)
            raise GraphError(f"dataset '{name}' is declared {len(found)} times ({where})",
                             names=[name], location=_location(found[1]),
                             hint="give each table and view a unique name.")
    flow_names: dict[str, Any] = {}
    for dataset in registry.datasets:
        if dataset.query is not None:
            flow_names[dataset.name] = dataset
    for flow in registry.flows:
        if flow.name in flow_names and flow_names[flow.name] is not flow:
            raise GraphError(f"flow '{flow.name}' is declared twice", names=[flow.name],
                             location=_location(flow),
                             hint="pass a unique name= to the flow.")
        flow_names[flow.name] = flow
    return {name: found[0] for name, found in by_name.items()}


def _check_targets(datasets: dict[str, Dataset], flows: Iterable[Flow]) -> None:
    for flow in flows:
        target = datasets.get(flow.target)
        if target is None:
            raise GraphError(
                f"flow '{flow.name}' writes into '{flow.target}', which is not declared",
                names=[flow.name, flow.target], location=_location(flow),
                hint=f"declare it first: dlt.create_streaming_table('{flow.target}').")
        if not isinstance(target, Table):
            raise GraphError(f"flow '{flow.name}' writes into view '{flow.target}'; flows "
                             "can only write into streaming tables",
                             names=[flow.name, flow.target], location=_location(flow))


class _Analyzer:
    """Calls each query once with empty inputs, depth first: the post-order is the plan."""

    def __init__(self, spark: SparkSession, datasets: dict[str, Dataset],
                 flows: dict[str, list[PlannedFlow]], empty_dir: Path, schema: str,
                 stored_schema: Any) -> None:
        self.spark = spark
        self.datasets = datasets
        self.flows = flows
        self.empty_dir = empty_dir
        self.schema = schema
        self.stored_schema = stored_schema
        self.steps: dict[str, PlanStep] = {}
        self.failed: dict[str, DLTException] = {}
        self.stack: list[str] = []
        self._reads: list[set[str]] = []
        self.partial_reads: dict[str, set[str]] = {}
        self._empty: dict[tuple[str, bool], DataFrame] = {}

    # Resolver protocol -----------------------------------------------------------
    def lookup(self, name: str) -> str | None:
        return lookup_name(name, tuple(self.datasets), self.schema)

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        reader = self.stack[-1] if self.stack else None
        if name not in self.datasets:
            where = _location(self.datasets[reader]) if reader else None
            raise GraphError(
                f"'{reader}' reads '{name}', which is not a dataset of this pipeline"
                if reader else f"'{name}' is not a dataset of this pipeline",
                names=[n for n in (reader, name) if n], location=where,
                hint=f"declare '{name}' (or fix the name); declared: {sorted(self.datasets)}.")
        if isinstance(self.datasets[name], Sink):
            raise GraphError(
                f"'{reader}' reads sink '{name}': a sink's rows leave the pipeline, so no "
                "dataset can read them" if reader else f"sink '{name}' cannot be read",
                names=[n for n in (reader, name) if n],
                location=_location(self.datasets[reader]) if reader else None,
                hint="read the dataset that feeds the sink instead.")
        step = self.analyse(name)
        if self._reads:
            self._reads[-1].add(name)
        key = (name, streaming)
        if key not in self._empty:  # DataFrames are immutable: one per upstream will do
            self._empty[key] = self._empty_frame(step.schema, streaming)
        return self._empty[key]

    def _empty_frame(self, schema: StructType, streaming: bool) -> DataFrame:
        if streaming:
            self.empty_dir.mkdir(parents=True, exist_ok=True)
            empty: DataFrame = self.spark.readStream.schema(schema).parquet(
                str(self.empty_dir))
            return empty
        return empty_frame(self.spark, schema)

    # Analysis --------------------------------------------------------------------
    def analyse(self, name: str) -> PlanStep:
        if name in self.steps:
            return self.steps[name]
        if name in self.failed:
            raise self.failed[name]
        if name in self.stack:
            cycle = self.stack[self.stack.index(name):] + [name]
            raise GraphError(f"cycle between datasets: {' -> '.join(cycle)}", names=cycle,
                             location=_location(self.datasets[name]),
                             hint="a dataset cannot read itself, directly or through others.")
        self.stack.append(name)
        try:
            step = self._analyse_step(self.datasets[name])
        except (DatasetFailed, ConfigError, GraphError) as err:
            self.failed[name] = err  # readers of `name` are skipped with the same error
            raise
        finally:
            self.stack.pop()
        self.steps[name] = step
        return step

    def _analyse_step(self, dataset: Dataset) -> PlanStep:
        planned, upstreams = [], set()
        frames: list[DataFrame | None] = []
        schemas: list[StructType | None] = []
        checked = False  # the expectations were analysed with the first frame
        for flow in self.flows.get(dataset.name, []):
            reads: set[str] = set()
            self._reads.append(reads)
            try:
                df = self._call(dataset, flow)
                first = df is not None and not any(f is not None for f in frames)
                schema, checked_here = self._frame_schema(
                    dataset, flow, df, dataset.expectations if first else ())
                checked = checked or checked_here
            finally:
                self._reads.pop()
                # what it read before failing, so a broken pipeline's graph has its edges
                self.partial_reads.setdefault(dataset.name, set()).update(reads)
            upstreams |= reads
            planned.append(flow.analysed(tuple(sorted(reads)), _is_streaming(df),
                                         external_inputs(df, ignore=self.empty_dir),
                                         stateful_operator(df)))
            frames.append(df)
            schemas.append(schema)
        mode = _mode(dataset, planned)
        if not checked:
            check_constraints(dataset, next((f for f in frames if f is not None), None))
        schema = self._schema(dataset, schemas)
        return PlanStep(dataset, tuple(planned), schema, mode, tuple(sorted(upstreams)))

    @staticmethod
    def _frame_schema(dataset: Dataset, flow: PlannedFlow, df: DataFrame | None,
                      checks: Sequence[ExpectationSpec]) -> tuple[StructType | None, bool]:
        """The schema of a flow's frame, and whether ``checks`` were analysed with it.

        Spark Connect analyses lazily (a bad column surfaces at ``.schema``) and each
        analysis is a round trip, so the frame with its expectations' verdicts appended
        is analysed once: its leading columns are the frame's. Should that fail, the
        frame alone is analysed (its own error fails the dataset) and the expectations
        are left to :func:`check_constraints`, which names each one that is wrong.
        """
        if df is None:
            return None, False
        if checks:
            from pyspark.sql import functions as F
            from pyspark.sql.types import StructType

            from dltflow.graph.expectations import passes

            try:
                both = df.select(F.col("*"), *(passes(spec) for spec in checks)).schema
                return StructType(both.fields[:len(both.fields) - len(checks)]), True
            except Exception:  # noqa: BLE001, S110 - the query or a constraint: found out below
                pass
        try:
            return df.schema, False
        except Exception as err:
            raise DatasetFailed(dataset.name, flow.function_name, err) from err

    def _call(self, dataset: Dataset, flow: PlannedFlow) -> DataFrame | None:
        df = call_user_code(dataset.name, flow.function_name, lambda: flow.analyse(self))
        if df is not None and not is_dataframe(df):
            where = _location(dataset)
            raise ConfigError(f"dataset {dataset.name}" + (f" ({where})" if where else "")
                              + f" returned {type(df).__name__}, expected a DataFrame",
                              hint="return the DataFrame the dataset holds, e.g. "
                                   "`return spark.read.table(...)`.")
        return df

    def _schema(self, dataset: Dataset, found: Sequence[StructType | None]) -> StructType:
        if isinstance(dataset, Table) and dataset.schema is not None:
            if isinstance(dataset.schema, str):
                declared: StructType = self.spark.createDataFrame([], dataset.schema).schema
                return declared
            return dataset.schema  # type: ignore[no-any-return]
        for schema in found:
            if schema is not None:
                return schema
        stored = self.stored_schema(dataset.name)
        if stored is not None:
            return stored  # type: ignore[no-any-return]
        from pyspark.sql.types import StructType

        return StructType([])


def empty_frame(spark: SparkSession, schema: StructType) -> DataFrame:
    """An empty DataFrame of ``schema``, for analysis.

    ``createDataFrame([])`` goes through a Python RDD (tens of milliseconds per upstream
    on a classic session, paid on every run); a classic session builds the empty
    relation directly in the JVM instead. Spark Connect builds it client-side anyway.
    """
    handles = jvm_handles(spark)
    if handles is None:
        return spark.createDataFrame([], schema)
    from pyspark.sql import DataFrame

    data_type, array_list = handles.empty_frame_classes
    jschema = data_type.fromJson(schema.json())
    return DataFrame(handles.session.createDataFrame(array_list(), jschema), spark)


def is_dataframe(value: object) -> bool:
    """Whether ``value`` is a DataFrame (classic or Spark Connect, of any pyspark), asked of
    its class: asking the value itself is a round trip on Spark Connect."""
    return hasattr(type(value), "isStreaming")


def _is_streaming(df: DataFrame | None) -> bool:
    return df is not None and is_streaming(df)


def _mode(dataset: Dataset, flows: Sequence[PlannedFlow]) -> StepMode:
    if isinstance(dataset, View):
        return "view"
    streaming = any(f.streaming for f in flows)
    if isinstance(dataset, Table) and dataset.kind == "materialized_view" and streaming:
        raise GraphError(f"materialized view '{dataset.name}' reads a stream",
                         names=[dataset.name], location=_location(dataset),
                         hint="declare it with @dlt.table to make it a streaming table.")
    explicit = any(not isinstance(f, QueryFlow) for f in flows)
    return "streaming" if explicit or streaming else "batch"


@dataclass(frozen=True)
class PartialPlan:
    """What planning learnt of a pipeline it could not plan: kept on the error, so a
    graph of a broken pipeline shows every dataset and the edges analysis found.

    Args:
        datasets: every declared dataset, in declaration order.
        steps: the datasets that were planned.
        reads: per dataset that was analysed, the datasets it read (before failing).
        errors: per dataset that could not be planned, why (its own or an upstream's).
    """

    datasets: tuple[Dataset, ...]
    steps: Mapping[str, PlanStep]
    reads: Mapping[str, tuple[str, ...]]
    errors: Mapping[str, str]


def partial_plan_of(error: BaseException) -> PartialPlan | None:
    """The partial plan a planning error carries, if any."""
    found = getattr(error, "partial_plan", None)
    return found if isinstance(found, PartialPlan) else None


def build_plan(spark: SparkSession, registry: LocalRegistry, *, scratch: Path,
               schema: str = "default", select: Sequence[str] | None = None,
               stored_schema: Any = lambda name: None) -> ExecutionPlan:
    """Check and order the declarations of ``registry``.

    Args:
        spark: the session used to build empty DataFrames for analysis.
        registry: what the pipeline declared.
        scratch: a folder for an empty streaming source used during analysis.
        schema: the target schema (``<schema>.x`` also names dataset ``x``).
        select: datasets to compute, with their upstreams; all when None.
        stored_schema: name -> schema of the table stored by an earlier run, or None.

    Raises:
        GraphError: a duplicate name, an unknown reference or target, or a cycle.
        DatasetFailed: a query function raised while being analysed.
    """
    datasets = _check_duplicates(registry)
    _check_targets(datasets, registry.flows)
    flows = flows_by_target(datasets.values(), registry.flows)
    analyzer = _Analyzer(spark, datasets, flows, scratch / "_empty", schema, stored_schema)
    failures: dict[str, DLTException] = {}
    with resolving(analyzer):
        for name in datasets:
            try:
                analyzer.analyse(name)
            except (DatasetFailed, ConfigError, GraphError) as err:
                failures[name] = err  # keep going: report every failing dataset at once
    error = combined(failures)
    if error is not None:
        error.partial_plan = PartialPlan(  # type: ignore[attr-defined]
            tuple(datasets.values()), dict(analyzer.steps), {
                n: tuple(sorted(r)) for n, r in analyzer.partial_reads.items()},
            {n: str(e) for n, e in failures.items()})
        raise error
    order = list(analyzer.steps)
    if select:
        order = _with_upstreams(select, analyzer.steps)
    return ExecutionPlan(tuple(analyzer.steps[n] for n in order), tuple(datasets), schema)


def _with_upstreams(select: Sequence[str], steps: dict[str, PlanStep]) -> list[str]:
    unknown = [n for n in select if n not in steps]
    if unknown:
        raise GraphError(f"--select names unknown dataset(s): {', '.join(unknown)}",
                         names=unknown, hint=f"choose from: {sorted(steps)}.")
    wanted: set[str] = set()
    todo = list(select)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo.extend(steps[name].upstreams)
    return [n for n in steps if n in wanted]

