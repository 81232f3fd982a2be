"""What an engine or streaming mode cannot run, refused before any data moves.

Sail has no ``foreachBatch`` (and no file streaming sinks), so on Sail streaming flows
run by dltflow's own incremental reads (:mod:`dltflow.local.incremental`), which JVM
Spark can use too (``--streaming incremental``). Those read each micro-batch's new
files alone, so a stream needing state across batches (an aggregation,
``dropDuplicates``, a join of two streams) is refused at once, naming the construct
and where it was declared, rather than giving per-batch results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltflow.exceptions import EngineUnsupported
from dltflow.local.plan_flows import AppendFlowPlan, ChangesFlowPlan

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


STREAMING_MODES = ("structured", "incremental")


def streaming_mode(spark: SparkSession, chosen: str | None = None) -> str:
    """``chosen``, else the engine's default: Structured Streaming on JVM Spark,
    incremental reads on Sail (which has no ``foreachBatch``)."""
    from dltflow.exceptions import ConfigError

    sail = engine_of(spark) == "sail"
    if chosen is None:
        return "incremental" if sail else "structured"
    if chosen not in STREAMING_MODES:
        raise ConfigError(f"unknown streaming mode {chosen!r}",
                          hint=f"choose one of: {', '.join(STREAMING_MODES)}.")
    if sail and chosen == "structured":
        raise ConfigError("the sail engine cannot run Structured Streaming (it has no "
                          "foreachBatch)", hint="leave out --streaming, or use --engine jvm.")
    return chosen


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
