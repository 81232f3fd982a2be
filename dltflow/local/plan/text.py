"""A plan as text: what ``dltflow run --dry-run`` prints, one block per dataset in run
order (its kind and mode, what it reads, its flows, expectations and schema)."""

from __future__ import annotations

from dltflow.local.plan.build import ExecutionPlan, PlanStep
from dltflow.local.plan.flows import QueryFlow

__all__ = ["describe"]


def _describe_step(step: PlanStep) -> list[str]:
    if step.mode == "view":
        streaming = any(flow.streaming for flow in step.flows)
        label = "streaming view" if streaming else "view"
    else:
        label = f"{getattr(step.dataset, 'kind', 'table')}, {step.mode}"
    lines = [f"{step.name}  [{label}]"]
    if step.upstreams:
        lines.append(f"    reads: {', '.join(step.upstreams)}")
    for flow in step.flows:
        if not isinstance(flow, QueryFlow):
            once = " (once)" if flow.once else ""
            lines.append(f"    flow {flow.name}: {flow.kind}{once}"
                         f"{' streaming' if flow.streaming else ''}")
    for spec in step.dataset.expectations:
        lines.append(f"    expect {spec.name} ({spec.action}): {spec.constraint}")
    columns = ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in step.schema.fields)
    lines.append(f"    schema: {columns}")
    return lines


def describe(plan: ExecutionPlan) -> str:
    """A human-readable description of ``plan``, one block per dataset in run order."""
    lines = [f"Plan: {len(plan.steps)} dataset(s) in schema '{plan.schema}', in this order:"]
    for i, step in enumerate(plan.steps, 1):
        block = _describe_step(step)
        lines.append(f"{i:>3}. {block[0]}")
        lines.extend("     " + line for line in block[1:])
    return "\n".join(lines)
