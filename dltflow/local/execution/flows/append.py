"""Executor of streaming tables' queries and append flows, and the micro-batch loop.

Micro-batches come from the run's strategy (:mod:`dltflow.local.execution.micro_batches`),
so each run processes only the input that arrived since the previous one, then stops.
Every micro-batch is written to staging, its expectations counted and checked, and only
then committed to the table together with its batch id
(:meth:`~dltflow.local.storage.Warehouse.commit_batch`), so a batch replayed after a
crash is never appended twice. An exception raised inside a micro-batch stops the
stream before its checkpoint commits, and is re-raised as is.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from dltflow.causes import call_user_code
from dltflow.graph.elements import Sink
from dltflow.local.execution.checked_write import FlowCounts, checked_write
from dltflow.local.execution.context import writer
from dltflow.local.storage import ONCE
from dltflow.local.storage.failpoints import reached

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.graph.elements import SinkHandler
    from dltflow.local.execution.context import RunContext
    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import AppendFlowPlan, PlannedFlow, QueryFlow


def run_append(ctx: RunContext, step: PlanStep, flow: QueryFlow | AppendFlowPlan,
               counts: FlowCounts) -> str:
    """Append the flow's new rows to its streaming table (or sink)."""
    if flow.once and ctx.warehouse.once_done(step.name, flow.name):
        return "SKIPPED"
    if isinstance(step.dataset, Sink) and step.dataset.handler is not None:
        return _run_foreach_batch(ctx, step, flow, step.dataset.handler, counts)
    table = ctx.ensure_table(step)
    specs = table.expectations

    def append(batch: DataFrame, batch_id: int | None = None) -> None:
        with ctx.warehouse.staged(step.name) as staged:
            checked_write(batch, step.name, specs,
                          lambda out: ctx.warehouse.save(writer(out, table), staged,
                                                         into=step.name), counts,
                          scratch=ctx.warehouse.scratch,
                          target=ctx.target(staged, table, step.name))
        key = (str(batch_id) if batch_id is not None else ONCE if flow.once
               else f"run_{uuid.uuid4().hex}")
        ctx.warehouse.commit_batch(step.name, flow.name, key, staged)

    if flow.streaming and ctx.micro_batches.rebuilds_query:
        ctx.micro_batches.run(ctx.warehouse, step, flow, lambda: ctx.query(step, flow), append)
        return "COMPLETED"
    df = ctx.query(step, flow)
    if df.isStreaming:
        try:
            ctx.micro_batches.run(ctx.warehouse, step, flow, lambda: df, append)
        except Exception as err:
            if "STREAMING_OUTPUT_MODE" not in str(err):
                raise
            _stream_complete(ctx, df, step, flow, counts)
    else:
        append(df)  # a once=True flow is marked done by its commit
    return "COMPLETED"


def _run_foreach_batch(ctx: RunContext, step: PlanStep, flow: QueryFlow | AppendFlowPlan,
                       handler: SinkHandler, counts: FlowCounts) -> str:
    """Hand each new micro-batch to a ``foreach_batch_sink`` function, then record the
    batch as done: a batch recorded is never handed over again (a crash inside the call,
    before it is recorded, hands over the same batch id and rows again)."""
    name = handler.__name__ if hasattr(handler, "__name__") else step.name
    counts.output_rows = 0

    def hand_over(batch: DataFrame, batch_id: int | None = None) -> None:
        rows = batch.count()  # what the sink was given (its own writes are its own)
        call_user_code(step.name, name, lambda: handler(batch, 0 if batch_id is None
                                                        else batch_id))
        reached("sink.called", step.name)
        counts.output_rows = (counts.output_rows or 0) + rows
        if batch_id is not None:
            ctx.warehouse.mark_batch(step.name, flow.name, batch_id)
        elif flow.once:
            ctx.warehouse.mark_once(step.name, flow.name)

    if flow.streaming and ctx.micro_batches.rebuilds_query:
        ctx.micro_batches.run(ctx.warehouse, step, flow, lambda: ctx.query(step, flow), hand_over)
        return "COMPLETED"
    df = ctx.query(step, flow)
    if df.isStreaming:
        ctx.micro_batches.run(ctx.warehouse, step, flow, lambda: df, hand_over)
    else:
        hand_over(df)
    return "COMPLETED"


def _stream_complete(ctx: RunContext, df: DataFrame, step: PlanStep, flow: PlannedFlow,
                     counts: FlowCounts) -> None:
    """A streaming aggregation without a watermark runs in complete mode, as in DLT:
    every micro-batch is the whole result and replaces the table atomically."""
    def replace(batch: DataFrame, batch_id: int) -> None:
        latest = FlowCounts(step.name)
        ctx.publish(step, batch, step.dataset.expectations, latest,
                    progress=(flow.name, batch_id))
        counts.output_rows, counts.dropped_rows = latest.output_rows, latest.dropped_rows
        counts.expectations = latest.expectations

    ctx.micro_batches.run(ctx.warehouse, step, flow, lambda: df, replace, output_mode="complete")
