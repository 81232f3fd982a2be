"""The local engine: run a DLT pipeline on a local (or any) SparkSession.

Example:
    >>> from dltflow.local import run
    >>> result = run("pipelines/simple.py", conf="conf/simple.yml", warehouse="/tmp/wh")
    >>> result.status, result.datasets["clean"].output_rows
    ('COMPLETED', 42)
    >>> result.table("clean").show()
    >>> result.event_log().filter("event_type = 'flow_progress'").show()

``run(source, *, spark=None, conf=None, warehouse=None, full_refresh=False, select=None,
environment=None, schema="default", on_event=None) -> PipelineResult`` where
``source`` is a ``DLTMetaMixin`` instance, a DLT source file, or a deployment file
(with ``environment=``). ``explain(...)`` plans without running; ``describe(plan)``
renders a plan. Events (:class:`RunStarted`, :class:`FlowStarted`,
:class:`FlowFinished`, :class:`RunFinished`) reach ``on_event`` as they happen.
"""

from __future__ import annotations

from dltflow.local.events import (
    Event,
    EventLog,
    FlowFinished,
    FlowStarted,
    RunFinished,
    RunStarted,
    read_event_log,
)
from dltflow.local.explain import describe, explain
from dltflow.local.pipeline import DEFAULT_WAREHOUSE, current_warehouse, run
from dltflow.local.plan import ExecutionPlan, PlannedFlow, PlanStep, build_plan
from dltflow.local.registry import LocalRegistry
from dltflow.local.result import DatasetResult, PipelineResult
from dltflow.local.session import get_spark
from dltflow.local.storage import Warehouse

__all__ = [
    "DEFAULT_WAREHOUSE",
    "DatasetResult",
    "Event",
    "EventLog",
    "ExecutionPlan",
    "FlowFinished",
    "FlowStarted",
    "LocalRegistry",
    "PipelineResult",
    "PlanStep",
    "PlannedFlow",
    "RunFinished",
    "RunStarted",
    "Warehouse",
    "build_plan",
    "current_warehouse",
    "describe",
    "explain",
    "get_spark",
    "read_event_log",
    "run",
]
