"""Executes an :class:`~dltflow.local.plan.ExecutionPlan` step by step and emits events.

The runner never prints: every start, end and failure is an event handed to ``emit``
(the event log stores them, the CLI renders them). While it runs it is also the
*resolver* of the pipeline's reads: a stored table is read from the warehouse, a view
from memory. A failing flow fails its dataset; datasets downstream of it are
skipped, independent ones still run (as in a DLT update).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dltflow.causes import describe_failure
from dltflow.exceptions import DatasetFailed, DLTException, GraphError
from dltflow.graph.elements import Table
from dltflow.graph.expectations import kept_rows
from dltflow.local.counting import FlowCounts, checked_write
from dltflow.local.events import Event, FlowFinished, FlowStarted
from dltflow.local.registry import resolving
from dltflow.local.streaming import StreamingFlows

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from dltflow.local.plan import ExecutionPlan, PlannedFlow, PlanStep
    from dltflow.local.storage import Warehouse


@contextmanager
def _spark_conf(spark: SparkSession, conf: Mapping[str, str]) -> Iterator[None]:
    """Set a flow's ``spark_conf`` while it runs, then restore the session's values."""
    previous: dict[str, str | None] = {key: spark.conf.get(key, None) for key in conf}
    for key, setting in conf.items():
        spark.conf.set(key, str(setting))
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


class Runner(StreamingFlows):
    """Runs the steps of a plan in order.

    Args:
        spark: the session to run on.
        plan: the checked plan.
        warehouse: where tables, state and checkpoints live.
        emit: receives every event as it happens.
        full_refresh: True to reset every streaming table, or the names to reset.
    """

    def __init__(self, spark: SparkSession, plan: ExecutionPlan, warehouse: Warehouse,
                 emit: Callable[[Event], None], *,
                 full_refresh: bool | Collection[str] = False) -> None:
        self.spark = spark
        self.plan = plan
        self.warehouse = warehouse
        self.emit = emit
        self.full_refresh = full_refresh
        self.views: dict[str, DataFrame] = {}
        self.failed: set[str] = set()
        self.errors: list[BaseException] = []

    # Resolver protocol -----------------------------------------------------------
    def lookup(self, name: str) -> str | None:
        return self.plan.lookup(name)

    def read(self, name: str, *, streaming: bool = False) -> DataFrame:
        if name not in self.plan.all_datasets:
            raise GraphError(f"'{name}' is not a dataset of this pipeline", names=[name])
        if name in self.views:
            return self.views[name]
        if not self.warehouse.exists(name):
            raise DLTException(f"dataset '{name}' has no data yet: run its pipeline without "
                               "--select (or select it too) first.")
        return self.warehouse.read(name, streaming=streaming)

    # Execution -------------------------------------------------------------------
    def run(self) -> str:
        """Run every step; returns ``COMPLETED`` or ``FAILED``."""
        with resolving(self):
            for step in self.plan.steps:
                if self.failed.intersection(step.upstreams):
                    self._skip(step)
                    continue
                if step.mode == "streaming" and self._refresh(step.name):
                    self.warehouse.reset(step.name)
                for flow in step.flows:
                    if not self._run_flow(step, flow):
                        self.failed.add(step.name)
                        break
        return "FAILED" if self.failed else "COMPLETED"

    def _refresh(self, name: str) -> bool:
        if isinstance(self.full_refresh, bool):
            return self.full_refresh
        return name in self.full_refresh

    def _skip(self, step: PlanStep) -> None:
        self.failed.add(step.name)
        for flow in step.flows:
            self.emit(FlowFinished(flow.name, step.name, "SKIPPED", output_rows=0))

    def _run_flow(self, step: PlanStep, flow: PlannedFlow) -> bool:
        self.emit(FlowStarted(flow.name, step.name, streaming=flow.streaming))
        counts = FlowCounts(step.name)
        if flow.kind in ("query", "append"):
            counts.declare(step.dataset.expectations)
        start = time.perf_counter()
        conf = getattr(flow.element, "spark_conf", None) or {}
        try:
            with _spark_conf(self.spark, conf):
                status = self._dispatch(step, flow, counts)
        except Exception as err:  # noqa: BLE001 - any failure fails this flow, not the run
            self.errors.append(err)
            self.emit(FlowFinished(flow.name, step.name, "FAILED", counts.output_rows,
                                   counts.dropped_rows, counts.metrics(),
                                   time.perf_counter() - start, describe_failure(err)))
            return False
        self.emit(FlowFinished(flow.name, step.name, status, counts.output_rows,
                               counts.dropped_rows, counts.metrics(),
                               time.perf_counter() - start))
        return True

    def _dispatch(self, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> str:
        if step.mode == "view":
            self._run_view(step, flow, counts)
        elif step.mode == "batch":
            self._run_batch(step, flow, counts)
        elif flow.kind == "apply_changes":
            return self.run_apply_changes(step, flow, counts)
        elif flow.kind == "snapshot":
            self.run_snapshot(step, flow, counts)
        else:
            return self.run_append(step, flow, counts)
        return "COMPLETED"

    def query(self, step: PlanStep, flow: PlannedFlow) -> DataFrame:
        """Call the flow's function, wrapping a user error with the dataset's name."""
        try:
            df = flow.query()
        except DLTException:
            raise
        except Exception as err:
            raise DatasetFailed(step.name, flow.function_name, err) from err
        if not hasattr(df, "isStreaming"):
            raise DatasetFailed(step.name, flow.function_name,
                                TypeError(f"it returned {type(df).__name__}, not a DataFrame"))
        return df

    def _run_view(self, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> None:
        df = self.query(step, flow)
        specs = step.dataset.expectations
        if specs and df.isStreaming:
            from dltflow.local import stream_views

            if self._refresh(step.name):
                stream_views.reset(self.warehouse, step.name)
            self.views[step.name] = stream_views.checked_stream(
                self.spark, self.warehouse, step.name, df.schema, specs,
                lambda each: self._stream(df, step, flow, each), counts)
            return
        if specs:
            checked_write(df, step.name, specs,
                          lambda out: out.write.format("noop").mode("overwrite").save(), counts)
        else:
            counts.output_rows = None  # a view is not materialized: nothing was counted
        self.views[step.name] = kept_rows(df, specs)

    def _run_batch(self, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> None:
        df = self.query(step, flow)
        self.publish(step, df, step.dataset.expectations, counts)

    def publish(self, step: PlanStep, df: DataFrame, specs: Any, counts: FlowCounts) -> None:
        """Write ``df`` as a new version of the step's table and switch to it atomically."""
        table = step.dataset
        assert isinstance(table, Table)
        with self.warehouse.staged(step.name) as staged:
            checked_write(df, step.name, specs,
                          lambda out: self.writer(out, table).parquet(str(staged)), counts)
        self.warehouse.publish(step.name, staged, df.schema, partition_cols=table.partition_cols,
                               register=not table.temporary)

    @staticmethod
    def writer(df: DataFrame, table: Table) -> Any:
        """A Parquet writer honouring the table's partition columns."""
        writer = df.write.mode("overwrite")
        return writer.partitionBy(*table.partition_cols) if table.partition_cols else writer
