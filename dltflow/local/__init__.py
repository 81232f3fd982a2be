"""The local engine: run a DLT pipeline on a local (or any) SparkSession.

Example:
    >>> from dltflow.local import run
    >>> result = run("pipelines/simple.py", conf="conf/simple.yml", warehouse="/tmp/wh")
    >>> result.status, result.datasets["clean"].output_rows
    ('COMPLETED', 42)
    >>> result.table("clean").show()
    >>> result.event_log().filter("event_type = 'flow_progress'").show()

``run(definition, *, spark=None, conf=None, warehouse=None, full_refresh=False,
select=None, schema="default", on_event=None, configuration=None, lock_wait=None)
-> PipelineResult`` where ``definition``
is a ``DLTMetaMixin`` instance, a pipeline file, or a zero-argument function declaring
datasets (a deployment file becomes one with
:func:`dltflow.deploy.deployment_definition`). ``explain(...)`` plans without running;
``describe(plan)`` renders a plan. Events (:class:`RunStarted`, :class:`FlowStarted`,
:class:`FlowFinished`, :class:`RunFinished`, and :class:`Recovered` when a killed
run's leftovers were cleaned) reach ``on_event`` as they happen. One update at a time
holds a warehouse (``lock_wait`` seconds to wait, else
:class:`~dltflow.exceptions.WarehouseLocked`).
"""

from __future__ import annotations

from dltflow.local.databricks.configuration import parse_configuration
from dltflow.local.engine_choice import EngineChoice, choose_engine, warehouse_engine
from dltflow.local.engines.session import get_spark, resolve_engine
from dltflow.local.events import (
    EVENT_LOG_DIR,
    DatasetDefined,
    Event,
    FlowDefined,
    FlowFinished,
    FlowStarted,
    Recovered,
    RunFinished,
    RunStarted,
    read_event_log,
)
from dltflow.local.execution.definition_events import graph_events, partial_graph_events
from dltflow.local.pipeline import DEFAULT_WAREHOUSE, Definition, current_warehouse, explain, run
from dltflow.local.plan.build import ExecutionPlan, partial_plan_of
from dltflow.local.plan.inputs import ExternalInput
from dltflow.local.plan.text import describe
from dltflow.local.result import DatasetResult, PipelineResult, summarize

__all__ = [
    "DEFAULT_WAREHOUSE",
    "DatasetDefined",
    "DatasetResult",
    "Definition",
    "EVENT_LOG_DIR",
    "EngineChoice",
    "Event",
    "ExecutionPlan",
    "ExternalInput",
    "FlowDefined",
    "FlowFinished",
    "FlowStarted",
    "PipelineResult",
    "Recovered",
    "RunFinished",
    "RunStarted",
    "choose_engine",
    "current_warehouse",
    "describe",
    "explain",
    "get_spark",
    "graph_events",
    "parse_configuration",
    "partial_graph_events",
    "partial_plan_of",
    "read_event_log",
    "resolve_engine",
    "run",
    "summarize",
    "warehouse_engine",
]
