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

from dltflow.local.engine_choice import EngineChoice, choose_engine
from dltflow.local.events import (
    Event,
    FlowFinished,
    FlowStarted,
    Recovered,
    RunFinished,
    RunStarted,
    read_event_log,
)
from dltflow.local.explain import describe, explain
from dltflow.local.pipeline import DEFAULT_WAREHOUSE, Definition, current_warehouse, run
from dltflow.local.plan import ExecutionPlan
from dltflow.local.result import DatasetResult, PipelineResult
from dltflow.local.session import get_spark

__all__ = [
    "DEFAULT_WAREHOUSE",
    "DatasetResult",
    "EngineChoice",
    "Definition",
    "Event",
    "ExecutionPlan",
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
    "read_event_log",
    "run",
]
