"""Executor of ``apply_changes`` flows, and the CDC state both CDC executors share.

The target's full history is kept as a *state* slot beside the table; each batch of
change events is folded into it (:mod:`dltflow.local.cdc`), and the new state and
the table it shows are published in one atomic switch, together with the micro-batch
that produced them: after a crash, state, table and progress still agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltflow.local import cdc
from dltflow.local.execution.checked_write import FlowCounts, checked_write
from dltflow.local.execution.context import writer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.local.execution.context import RunContext
    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import ChangesFlowPlan


def stored_state(ctx: RunContext, name: str) -> DataFrame | None:
    """The CDC state of ``name`` from earlier runs, or None."""
    return ctx.warehouse.read(name, slot="state") if ctx.warehouse.exists(name, "state") \
        else None


def republish(ctx: RunContext, step: PlanStep, new_state: DataFrame, flow: Any,
              counts: FlowCounts, *, progress: tuple[str, int] | None = None) -> None:
    """Stage ``new_state`` and the table it shows, then publish both in one switch
    (with ``progress``, the micro-batch that produced them is recorded in it too)."""
    store, table = ctx.warehouse, step.table
    with store.staged(step.name) as state_dir, store.staged(step.name) as table_dir:
        new_state.write.mode("overwrite").parquet(str(state_dir))
        staged_state = ctx.spark.read.schema(new_state.schema).parquet(str(state_dir))
        visible = cdc.visible(staged_state, flow)
        latest = FlowCounts(step.name)
        checked_write(visible, step.name, (),
                      lambda out: store.save(writer(out, table), table_dir), latest,
                      scratch=store.scratch, target=ctx.target(table_dir, table))
        store.publish_versions(step.name, {"state": (state_dir, new_state.schema),
                                           "current": (table_dir, visible.schema)},
                               partition_cols=table.partition_cols,
                               register=not table.temporary, progress=progress)
    counts.output_rows = latest.output_rows  # the table's size after this flow


def _source_streams(ctx: RunContext, name: str) -> bool:
    if name in ctx.views:
        return bool(ctx.views[name].isStreaming)
    return any(s.name == name and s.mode == "streaming" for s in ctx.plan.steps)


def run_apply_changes(ctx: RunContext, step: PlanStep, flow: ChangesFlowPlan,
                      counts: FlowCounts) -> str:
    """Apply the source's change events to the target (incrementally when streaming)."""
    element = flow.element
    if element.once and ctx.warehouse.once_done(step.name, flow.name):
        return "SKIPPED"
    streaming = _source_streams(ctx, element.source)

    def apply(batch: DataFrame, batch_id: int | None = None, *, fresh: bool = False) -> None:
        state = None if fresh else stored_state(ctx, step.name)
        republish(ctx, step, cdc.apply_changes(state, batch, element), element, counts,
                  progress=None if batch_id is None else (flow.name, batch_id))

    if streaming:
        ctx.micro_batches.run(ctx.warehouse, step, flow,
                              lambda: ctx.read(element.source, streaming=True), apply)
    else:  # a batch source holds the whole history: recompute from scratch
        apply(ctx.read(element.source), fresh=True)
    if element.once:
        ctx.warehouse.mark_once(step.name, flow.name)
    return "COMPLETED"
