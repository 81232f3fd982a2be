"""What an engine other than JVM Spark cannot run, refused before any data moves.

Sail has no ``foreachBatch`` (and no file streaming sinks), which every streaming
construct of the local engine relies on: a streaming table's query, an append flow
reading a stream, ``apply_changes`` from a streaming source, a view over a stream.
Such a pipeline fails at once, naming the construct and where it was declared, rather
than half-way through an update with Sail's own message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltflow.exceptions import EngineUnsupported
from dltflow.local.plan_flows import AppendFlowPlan, ChangesFlowPlan, QueryFlow

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local.plan import ExecutionPlan, PlanStep
    from dltflow.local.plan_flows import PlannedFlow

ENGINE_ATTRIBUTE = "_dltflow_engine"
"""Set on a session by :func:`dltflow.local.session.get_spark` to the engine it started."""


def engine_of(spark: SparkSession) -> str:
    """The engine ``get_spark`` started this session on (``jvm`` when it did not)."""
    return str(getattr(spark, ENGINE_ATTRIBUTE, "jvm"))


def table_format(spark: SparkSession, chosen: str | None = None) -> str:
    """``chosen``, else the engine's default table format: Delta on Sail (which writes
    it natively), Parquet on JVM Spark (which needs delta-spark for Delta)."""
    from dltflow.exceptions import ConfigError
    from dltflow.local.storage import FORMATS

    if chosen is None:
        return "delta" if engine_of(spark) == "sail" else "parquet"
    if chosen not in FORMATS:
        raise ConfigError(f"unknown table format {chosen!r}",
                          hint=f"choose one of: {', '.join(FORMATS)}.")
    return chosen


def refuse_unsupported(spark: SparkSession, plan: ExecutionPlan) -> None:
    """Raise :class:`EngineUnsupported` for the first construct the engine cannot run."""
    engine = engine_of(spark)
    if engine != "sail":
        return
    streaming_views = {s.name for s in plan.steps if s.mode == "view"
                       and any(f.streaming for f in s.flows)}
    streaming_tables = {s.name for s in plan.steps if s.mode == "streaming"}
    for step in plan.steps:
        for flow in step.flows:
            construct = _streaming_construct(step, flow, streaming_views, streaming_tables)
            if construct is not None:
                raise EngineUnsupported(engine, construct, step.name,
                                        _location(flow, step))


def _streaming_construct(step: PlanStep, flow: PlannedFlow, streaming_views: set[str],
                         streaming_tables: set[str]) -> str | None:
    if isinstance(flow, ChangesFlowPlan):
        source = flow.element.source
        if source in streaming_views or source in streaming_tables:
            return f"apply_changes flow '{flow.name}' from the streaming source '{source}'"
        return None
    if not flow.streaming:
        return None
    if isinstance(flow, AppendFlowPlan):
        return f"append flow '{flow.name}', which reads a stream"
    if isinstance(flow, QueryFlow) and step.mode == "view":
        return "a streaming view (its query reads a stream)"
    return "a streaming table query (it reads a stream)"


def _location(flow: PlannedFlow, step: PlanStep) -> str | None:
    element: Any = getattr(flow, "element", None)
    for candidate in (element, step.dataset):
        location = getattr(candidate, "source_location", None)
        if location:
            return str(location)
    return None
