"""Executes an :class:`~dltflow.local.plan.ExecutionPlan` step by step and emits events.

The runner never prints: every start, end and failure is an event handed to ``emit``
(the event log stores them, the CLI renders them). Each flow is run by the executor of
its kind (:func:`dltflow.local.execution.flows.execute`) over one shared
:class:`~dltflow.local.execution.context.RunContext`. A failing flow fails its dataset;
datasets downstream of it are skipped, independent ones still run (as in a DLT update).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dltflow.causes import describe_failure
from dltflow.local.engines.capabilities import capabilities
from dltflow.local.events import Event, FlowFinished, FlowStarted
from dltflow.local.execution.checked_write import FlowCounts
from dltflow.local.execution.context import RunContext
from dltflow.local.execution.flows import execute
from dltflow.local.execution.micro_batches import micro_batches
from dltflow.local.plan.registry import resolving

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local.plan.build import ExecutionPlan, PlannedFlow, PlanStep
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


class Runner:
    """Runs the steps of a plan in order.

    Args:
        spark: the session to run on.
        plan: the checked plan.
        warehouse: where tables, state and checkpoints live.
        emit: receives every event as it happens.
        full_refresh: True to reset every streaming table, or the names to reset.
        streaming: how streaming flows run, ``structured`` or ``incremental``.
    """

    def __init__(self, spark: SparkSession, plan: ExecutionPlan, warehouse: Warehouse,
                 emit: Callable[[Event], None], *,
                 full_refresh: bool | Collection[str] = False,
                 streaming: str = "structured") -> None:
        self.context = RunContext(spark, plan, warehouse, capabilities(spark),
                                  micro_batches(streaming, capabilities(spark).engine),
                                  full_refresh=full_refresh)
        self.emit = emit
        self.failed: set[str] = set()
        self.errors: list[BaseException] = []

    def run(self) -> str:
        """Run every step; returns ``COMPLETED`` or ``FAILED``."""
        ctx = self.context
        with resolving(ctx):
            for step in ctx.plan.steps:
                if self.failed.intersection(step.upstreams):
                    self._skip(step)
                    continue
                if step.mode == "streaming" and ctx.refreshing(step.name):
                    ctx.warehouse.reset(step.name)
                for flow in step.flows:
                    if not self._run_flow(step, flow):
                        self.failed.add(step.name)
                        break
        return "FAILED" if self.failed else "COMPLETED"

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
        try:
            with _spark_conf(self.context.spark, flow.spark_conf):
                status = execute(self.context, step, flow, counts)
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
