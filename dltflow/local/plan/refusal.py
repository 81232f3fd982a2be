"""What an engine or streaming mode cannot run, refused before any data moves.

Incremental reads (:mod:`dltflow.local.streaming`, Sail's streaming and JVM Spark's
``--streaming incremental``) read each micro-batch's new files alone, so a stream
needing state across batches (an aggregation, ``dropDuplicates``, a join of two
streams) is refused at once, naming the construct and where it was declared, rather
than giving per-batch results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltflow.exceptions import EngineUnsupported
from dltflow.local.engines.capabilities import engine_of
from dltflow.local.plan.flows import AppendFlowPlan, ChangesFlowPlan

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local.plan.build import ExecutionPlan, PlanStep
    from dltflow.local.plan.flows import PlannedFlow

__all__ = ["refuse_unsupported"]


def refuse_unsupported(spark: SparkSession, plan: ExecutionPlan, mode: str) -> None:
    """Raise :class:`EngineUnsupported` for the first construct incremental reads
    (``mode``) cannot run."""
    if mode != "incremental":
        return
    engine = engine_of(spark)
    for step in plan.steps:
        for flow in step.flows:
            construct = _streaming_construct(flow)
            if construct is not None:
                raise EngineUnsupported(engine, construct, step.name,
                                        _location(flow, step),
                                        reason="its incremental reads see each micro-batch "
                                               "alone")


def _streaming_construct(flow: PlannedFlow) -> str | None:
    if not flow.streaming or isinstance(flow, ChangesFlowPlan):
        return None
    if flow.stateful is not None:
        what = f"append flow '{flow.name}'" if isinstance(flow, AppendFlowPlan) else "its query"
        return f"{flow.stateful} of a stream in {what}"
    return None


def _location(flow: PlannedFlow, step: PlanStep) -> str | None:
    element: Any = getattr(flow, "element", None)
    for candidate in (element, step.dataset):
        location = getattr(candidate, "source_location", None)
        if location:
            return str(location)
    return None
