"""Executor of ``apply_changes_from_snapshot`` flows: a source snapshot, or every newer
snapshot a snapshot function returns, folded into the CDC state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltflow.causes import call_user_code
from dltflow.exceptions import SnapshotVersionError
from dltflow.local import cdc
from dltflow.local.execution.flows.changes import republish, stored_state

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from dltflow.local.execution.checked_write import FlowCounts
    from dltflow.local.execution.context import RunContext
    from dltflow.local.plan.build import PlanStep
    from dltflow.local.plan.flows import SnapshotFlowPlan


def run_snapshot(ctx: RunContext, step: PlanStep, flow: SnapshotFlowPlan,
                 counts: FlowCounts) -> str:
    """Apply the source's snapshot, or every newer snapshot a snapshot function returns."""
    element = flow.element

    def apply(snapshot: DataFrame, version: Any = None) -> None:
        new_state = cdc.apply_snapshot(stored_state(ctx, step.name), snapshot, element,
                                       version=version)
        republish(ctx, step, new_state, element, counts)

    if isinstance(element.source, str):
        apply(ctx.read(element.source))
        return "COMPLETED"
    state = stored_state(ctx, step.name)
    version = cdc.last_snapshot_version(state) if state is not None else None
    while (result := _next_snapshot(step, flow, version)) is not None:
        snapshot, new_version = result
        if new_version is None or (version is not None and new_version <= version):
            raise SnapshotVersionError(step.name, new_version, version)
        apply(snapshot, new_version)
        version = new_version
    return "COMPLETED"


def _next_snapshot(step: PlanStep, flow: SnapshotFlowPlan, version: Any
                   ) -> tuple[DataFrame, Any] | None:
    source = flow.element.source
    if isinstance(source, str):  # pragma: no cover - handled by the caller
        raise TypeError("a snapshot dataset is not a function")
    result: tuple[DataFrame, Any] | None = call_user_code(step.name, flow.function_name,
                                                          lambda: source(version))
    return result
