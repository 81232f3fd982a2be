"""Executor of a batch dataset's query: a view kept in memory, or a table rewritten."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dltflow.graph.expectations import kept_rows
from dltflow.local.execution.checked_write import FlowCounts, checked_write
from dltflow.local.streaming.reader import read_folder

if TYPE_CHECKING:
    from dltflow.local.execution.context import RunContext
    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import QueryFlow


def run_view(ctx: RunContext, step: PlanStep, flow: QueryFlow, counts: FlowCounts) -> str:
    """Compute a view; its expectations are counted (one no-op write) but nothing stored."""
    df = ctx.query(step, flow)
    specs = step.dataset.expectations
    if ctx.micro_batches.rebuilds_query and df.isStreaming and not specs:
        # recomputed inside each reader's micro-batch: it reads that reader's new files
        ctx.stream_view_reads[step.name] = lambda: ctx.query(step, flow)
    elif specs and df.isStreaming:  # checked and counted per micro-batch, kept for readers
        from dltflow.local.execution import stream_views

        if ctx.refreshing(step.name):
            stream_views.reset(ctx.warehouse, step.name)
        build = ((lambda: ctx.query(step, flow)) if ctx.micro_batches.rebuilds_query
                 else (lambda: df))
        ctx.views[step.name] = stream_views.checked_stream(
            ctx.spark, ctx.warehouse, step.name, flow.name, df.schema, specs,
            lambda each: ctx.micro_batches.run(ctx.warehouse, step, flow, build, each), counts)
        if ctx.micro_batches.rebuilds_query:  # readers read the kept rows' new files
            folder, schema = stream_views.view_folder(ctx.warehouse, step.name), df.schema
            ctx.stream_view_reads[step.name] = lambda: read_folder(ctx.spark, folder, schema)
        return "COMPLETED"
    if specs:
        checked_write(df, step.name, specs, None, counts,
                      scratch=ctx.warehouse.scratch)
    else:
        counts.output_rows = None  # a view is not materialized: nothing was counted
    ctx.views[step.name] = kept_rows(df, specs)
    return "COMPLETED"


def run_batch(ctx: RunContext, step: PlanStep, flow: QueryFlow, counts: FlowCounts) -> str:
    """Recompute a table (or materialized view) and publish it atomically."""
    df = ctx.query(step, flow)
    ctx.publish(step, df, step.dataset.expectations, counts)
    return "COMPLETED"
