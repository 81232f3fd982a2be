"""Dry run: declare and plan a pipeline, then describe the plan instead of executing it.

The second implementation of "walk the plan" (the runner is the first): it moves no
data, so it is safe on a laptop without inputs beyond what analysis needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.local.plan import ExecutionPlan, PlanStep
from dltflow.local.plan_flows import QueryFlow
from dltflow.local.registry import LocalRegistry
from dltflow.local.storage import Warehouse

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local.pipeline import Definition


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


def explain(definition: Definition, *, spark: SparkSession | None = None,
            conf: str | Path | Mapping[str, Any] | None = None,
            warehouse: str | Path | None = None, select: Sequence[str] | None = None,
            schema: str = "default",
            configuration: Mapping[str, Any] | None = None) -> ExecutionPlan:
    """Declare and plan ``definition`` like :func:`dltflow.local.run`, without running it.

    Returns:
        The plan; :func:`describe` renders it.

    Raises:
        ConfigError: the definition or its config is invalid.
        GraphError: an unknown reference, a cycle or a duplicate name.
    """
    from dltflow.local.pipeline import (
        DEFAULT_WAREHOUSE,
        definition_scope,
        plan_pipeline,
        with_definition_configuration,
    )
    from dltflow.local.session import get_spark

    spark = spark or get_spark()
    store = Warehouse(spark, Path(warehouse or DEFAULT_WAREHOUSE), schema)
    registry = LocalRegistry()
    configuration = with_definition_configuration(definition, configuration)
    with definition_scope(spark, store, registry, configuration=configuration, dry_run=True):
        _, plan = plan_pipeline(definition, spark=spark, registry=registry, warehouse=store,
                                conf=conf, select=select)
    return plan
