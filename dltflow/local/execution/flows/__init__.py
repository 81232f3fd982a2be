"""One executor per flow kind, chosen by the planned flow's type.

- :mod:`~dltflow.local.execution.flows.batch`: a view, or a table recomputed and published;
- :mod:`~dltflow.local.execution.flows.append`: a streaming table's query or an append flow;
- :mod:`~dltflow.local.execution.flows.changes`: ``apply_changes`` (CDC) into a table;
- :mod:`~dltflow.local.execution.flows.snapshot`: ``apply_changes_from_snapshot``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dltflow.local.execution.flows.append import run_append
from dltflow.local.execution.flows.batch import run_batch, run_view
from dltflow.local.execution.flows.changes import run_apply_changes
from dltflow.local.execution.flows.snapshot import run_snapshot
from dltflow.local.plan.flows import AppendFlowPlan, ChangesFlowPlan, SnapshotFlowPlan

if TYPE_CHECKING:
    from dltflow.local.execution.checked_write import FlowCounts
    from dltflow.local.execution.context import RunContext
    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import PlannedFlow

__all__ = ["execute"]


def execute(ctx: RunContext, step: PlanStep, flow: PlannedFlow, counts: FlowCounts) -> str:
    """Run ``flow`` into its step's dataset; returns ``COMPLETED`` or ``SKIPPED``."""
    if isinstance(flow, ChangesFlowPlan):
        return run_apply_changes(ctx, step, flow, counts)
    if isinstance(flow, SnapshotFlowPlan):
        return run_snapshot(ctx, step, flow, counts)
    if isinstance(flow, AppendFlowPlan):
        return run_append(ctx, step, flow, counts)
    # A dataset's own query: how it is stored decides (a streaming table appends).
    if step.mode == "streaming":
        return run_append(ctx, step, flow, counts)
    if step.mode == "view":
        return run_view(ctx, step, flow, counts)
    return run_batch(ctx, step, flow, counts)
