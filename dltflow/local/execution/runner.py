"""Executes an :class:`~dltflow.local.plan.ExecutionPlan` step by step and emits events.

The runner never prints: every start, end and failure is an event handed to ``emit``
(the event log stores them, the CLI renders them). Each flow is run by the executor of
its kind (:func:`dltflow.local.execution.flows.execute`) over one shared
:class:`~dltflow.local.execution.context.RunContext`. A failing flow fails its dataset;
datasets downstream of it are skipped, independent ones still run (as in a DLT update).

Where the engine allows (:attr:`Capabilities.concurrent_flows`), batch datasets whose
upstreams are done run at once, as DLT runs independent flows: a metadata-driven
pipeline of hundreds of small tables then waits on no single round trip. Everything
else (streaming and CDC targets, flows with their own ``spark_conf``) runs alone, after
the datasets before it in the plan. Events still come in plan order
(:class:`~dltflow.local.execution.in_plan_order.InPlanOrder`).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dltflow.causes import describe_failure
from dltflow.local.engines.capabilities import capabilities
from dltflow.local.events import Event, FlowFinished, FlowStarted
from dltflow.local.execution.checked_write import FlowCounts
from dltflow.local.execution.context import RunContext
from dltflow.local.execution.flows import execute
from dltflow.local.execution.in_plan_order import InPlanOrder
from dltflow.local.execution.micro_batches import micro_batches
from dltflow.local.plan.flows import QueryFlow
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
    """Runs the steps of a plan, upstreams before downstreams.

    Args:
        spark: the session to run on.
        plan: the checked plan.
        warehouse: where tables, state and checkpoints live.
        emit: receives every event as it happens (in plan order).
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
        self._failures: dict[str, BaseException] = {}

    @property
    def errors(self) -> list[BaseException]:
        """What failed the failed datasets, in plan order."""
        return [self._failures[s.name] for s in self.context.plan.steps
                if s.name in self._failures]

    def run(self) -> str:
        """Run every step; returns ``COMPLETED`` or ``FAILED``."""
        ctx = self.context
        order = InPlanOrder(self.emit, [step.name for step in ctx.plan.steps])
        workers = ctx.capabilities.concurrent_flows
        with resolving(ctx):
            if workers > 1:
                with ThreadPoolExecutor(workers, thread_name_prefix="dltflow-flow") as pool:
                    self._run_overlapping(pool, workers, order)
            else:
                for step in ctx.plan.steps:
                    self._run_step(step, order)
        return "FAILED" if self.failed else "COMPLETED"

    def _run_overlapping(self, pool: ThreadPoolExecutor, workers: int,
                         order: InPlanOrder) -> None:
        """Start each step that may overlap once its upstreams are done (at most
        ``workers`` at a time); a step that may not waits for every step before it and
        runs alone, here."""
        pending = list(self.context.plan.steps)
        planned = {step.name for step in pending}
        done: set[str] = set()
        running: dict[Future[None], PlanStep] = {}
        while pending or running:
            for step in list(pending):
                if not self._may_overlap(step):
                    if running or step is not pending[0]:
                        break  # it runs alone, after everything before it
                    pending.remove(step)
                    self._run_step(step, order)
                    done.add(step.name)
                    continue
                if len(running) == workers:
                    break
                if planned.intersection(step.upstreams) - done - {step.name}:
                    continue  # an upstream is still running
                pending.remove(step)
                context = contextvars.copy_context()  # the resolver, the run's settings
                running[pool.submit(context.run, self._run_step, step, order)] = step
            if not running:
                continue  # only steps that run alone ran: look again
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(running.pop(future).name)
                future.result()  # a flow's own failure is an event; anything else stops here

    def _may_overlap(self, step: PlanStep) -> bool:
        """A batch table or view whose flow is its own query, with no ``spark_conf`` of
        its own (that is set on the session while the flow runs)."""
        return step.mode in ("batch", "view") and all(
            type(flow) is QueryFlow and not flow.streaming and not flow.spark_conf
            for flow in step.flows)

    def _run_step(self, step: PlanStep, order: InPlanOrder) -> None:
        emit = order.emitter(step.name)
        try:
            if self.failed.intersection(step.upstreams):
                self._skip(step, emit)
                return
            if step.mode == "streaming" and self.context.refreshing(step.name):
                self.context.warehouse.reset(step.name)
            for flow in step.flows:
                if not self._run_flow(step, flow, emit):
                    self.failed.add(step.name)
                    return
        finally:
            order.finished(step.name)

    def _skip(self, step: PlanStep, emit: Callable[[Event], None]) -> None:
        self.failed.add(step.name)
        for flow in step.flows:
            emit(FlowFinished(flow.name, step.name, "SKIPPED", output_rows=0))

    def _run_flow(self, step: PlanStep, flow: PlannedFlow,
                  emit: Callable[[Event], None]) -> bool:
        emit(FlowStarted(flow.name, step.name, streaming=flow.streaming))
        counts = FlowCounts(step.name)
        if flow.kind in ("query", "append"):
            counts.declare(step.dataset.expectations)
        start = time.perf_counter()
        try:
            with _spark_conf(self.context.spark, flow.spark_conf):
                status = execute(self.context, step, flow, counts)
        except Exception as err:  # noqa: BLE001 - any failure fails this flow, not the run
            self._failures[step.name] = err
            emit(FlowFinished(flow.name, step.name, "FAILED", counts.output_rows,
                              counts.dropped_rows, counts.metrics(),
                              time.perf_counter() - start, describe_failure(err)))
            return False
        emit(FlowFinished(flow.name, step.name, status, counts.output_rows,
                          counts.dropped_rows, counts.metrics(),
                          time.perf_counter() - start))
        return True
