"""Executor of streaming tables' queries and append flows, and the micro-batch loop.

A streaming query runs with ``foreachBatch`` and ``trigger(availableNow=True)`` and a
checkpoint per flow under the table's folder, so each run processes only the input
that arrived since the previous one, then stops. Every micro-batch is written to
staging, its expectations counted and checked, and only then committed to the table
together with its batch id (:meth:`~dltflow.local.storage.Warehouse.commit_batch`),
so a batch replayed after a crash is never appended twice. An exception raised
inside a micro-batch stops the stream before its checkpoint commits, and is re-raised
as is. With incremental reads (Sail, or ``--streaming incremental``) the loop is
dltflow's own (:func:`incremental_batches`), committing through the same protocol.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.exceptions import ConfigError
from dltflow.local.execution.checked_write import FlowCounts, checked_write
from dltflow.local.execution.context import writer
from dltflow.local.storage import ONCE
from dltflow.local.storage.failpoints import reached
from dltflow.local.streaming.batch import BatchFiles
from dltflow.local.streaming.offsets import OFFSETS, OffsetLog
from dltflow.local.streaming.standin import reading

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.local.execution.context import RunContext
    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import AppendFlowPlan, PlannedFlow, QueryFlow


def stream_batches(ctx: RunContext, df: DataFrame, step: PlanStep, flow: PlannedFlow,
                   each: Callable[[DataFrame, int], None], *,
                   output_mode: str = "append") -> None:
    """Run ``each`` on every new micro-batch of ``df`` (available-now), then stop.

    ``each`` must commit the batch's output together with its id (so that
    :meth:`~dltflow.local.storage.Warehouse.batch_done` knows it); a batch found done
    (replayed after a crash) is skipped.
    """
    errors: list[BaseException] = []
    checkpoint = ctx.warehouse.checkpoint(step.name, flow.name)
    _same_mode(checkpoint / OFFSETS, step, "incremental reads", "structured")

    def guarded(batch: DataFrame, batch_id: int) -> None:
        if ctx.warehouse.batch_done(step.name, flow.name, batch_id):
            return
        try:
            each(batch, batch_id)
        except BaseException as err:
            errors.append(err)
            raise
        reached("batch.returned", step.name)

    query = (df.writeStream.foreachBatch(guarded).outputMode(output_mode)
             .option("checkpointLocation", str(checkpoint))
             .trigger(availableNow=True).start())
    try:
        query.awaitTermination()
    except Exception:
        if errors:
            raise errors[0] from None
        raise
    if errors:
        raise errors[0]


def incremental_batches(ctx: RunContext, step: PlanStep, flow: PlannedFlow,
                        build: Callable[[], DataFrame],
                        each: Callable[[DataFrame, int], None]) -> None:
    """Run ``each`` on micro-batches of the new files ``build``'s query reads, until
    none is left: :func:`stream_batches` by dltflow's own incremental reads.

    A batch's files are logged before it runs and its output commits with its id, so a
    batch that never committed is replayed with exactly its files, and one that did is
    never repeated (see :mod:`dltflow.local.streaming`).
    """
    from dltflow.local.engines.capabilities import engine_of

    checkpoint = ctx.warehouse.checkpoint(step.name, flow.name)
    _same_mode(checkpoint / "offsets", step, "Structured Streaming", "incremental")
    log = OffsetLog(checkpoint / OFFSETS)
    while True:
        batch_id, replay = log.next_batch(
            lambda done: ctx.warehouse.batch_done(step.name, flow.name, done))
        files = BatchFiles(log.consumed(batch_id), replay, step.name, engine_of(ctx.spark))
        with reading(files):
            df = build()
        if replay is None:
            if not files.anything:
                return
            log.write(batch_id, files.taken)
        each(df, batch_id)
        reached("batch.returned", step.name)
        if replay is None and not files.held_back:
            return


def _same_mode(other: Path, step: PlanStep, used: str, now: str) -> None:
    """A flow's progress is kept by the streaming mode that made it: switching modes
    would read its input again, so it needs a full refresh of the table."""
    if other.exists():
        raise ConfigError(f"streaming table '{step.name}' was last updated with {used}; "
                          f"its progress cannot carry over to --streaming {now}",
                          hint=f"run with --full-refresh {step.name} to switch, or keep "
                               "the mode it was built with.")


def for_each_batch(ctx: RunContext, step: PlanStep, flow: PlannedFlow,
                   build: Callable[[], DataFrame],
                   each: Callable[[DataFrame, int], None]) -> None:
    """Run ``each`` on every new micro-batch of the stream ``build`` returns, by the
    run's streaming mode."""
    if ctx.incremental:
        incremental_batches(ctx, step, flow, build, each)
    else:
        stream_batches(ctx, build(), step, flow, each)


def run_append(ctx: RunContext, step: PlanStep, flow: QueryFlow | AppendFlowPlan,
               counts: FlowCounts) -> str:
    """Append the flow's new rows to its streaming table."""
    if flow.once and ctx.warehouse.once_done(step.name, flow.name):
        return "SKIPPED"
    table = ctx.ensure_table(step)
    specs = table.expectations

    def append(batch: DataFrame, batch_id: int | None = None) -> None:
        with ctx.warehouse.staged(step.name) as staged:
            checked_write(batch, step.name, specs,
                          lambda out: ctx.warehouse.save(writer(out, table), staged,
                                                         into=step.name), counts,
                          scratch=ctx.warehouse.scratch)
        key = (str(batch_id) if batch_id is not None else ONCE if flow.once
               else f"run_{uuid.uuid4().hex}")
        ctx.warehouse.commit_batch(step.name, flow.name, key, staged)

    if flow.streaming and ctx.incremental:
        incremental_batches(ctx, step, flow, lambda: ctx.query(step, flow), append)
        return "COMPLETED"
    df = ctx.query(step, flow)
    if df.isStreaming:
        try:
            stream_batches(ctx, df, step, flow, append)
        except Exception as err:
            if "STREAMING_OUTPUT_MODE" not in str(err):
                raise
            _stream_complete(ctx, df, step, flow, counts)
    else:
        append(df)  # a once=True flow is marked done by its commit
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

    stream_batches(ctx, df, step, flow, replace, output_mode="complete")
