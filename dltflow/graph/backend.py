"""Which registry a pipeline definition goes to, decided where the code runs.

Order: an explicitly active registry (``dltflow run``, tests); else ``DLTFLOW_BACKEND``
(``dlt``, ``pyspark.pipelines``, ``local``, ``auto``); else, under ``auto``, a
Databricks runtime's ``dlt`` module, or ``pyspark.pipelines`` when its own pipeline
runner is defining a graph. Anywhere else there is no registry, and pipeline methods
behave as plain Python.
"""

from __future__ import annotations

import importlib
import os
import sys
import weakref
from types import ModuleType

from dltflow.exceptions import ConfigError
from dltflow.graph.registry import GraphRegistry, active_registry_or_none

BACKEND_ENV = "DLTFLOW_BACKEND"
BACKENDS = ("auto", "dlt", "pyspark.pipelines", "local")


def pipeline_registry() -> GraphRegistry | None:
    """The registry for a pipeline definition here, or None for plain Python."""
    active = active_registry_or_none()
    if active is not None:
        return active
    choice = os.environ.get(BACKEND_ENV, "auto").strip().lower() or "auto"
    if choice == "dlt":
        return _dlt_registry()
    if choice in ("pyspark.pipelines", "pipelines"):
        return _pipelines_registry()
    if choice == "local":
        return None
    if choice != "auto":
        raise ConfigError(f"{BACKEND_ENV}={choice!r} is not a backend",
                          source="environment", hint=f"use one of {', '.join(BACKENDS)}.")
    return _auto_registry()


_forwarders: weakref.WeakKeyDictionary[ModuleType, GraphRegistry] = weakref.WeakKeyDictionary()
"""One forwarding registry per runtime module: a pipeline instance registers its datasets
once per registry, so every call in one Databricks update must see the same registry."""


def _dlt_registry() -> GraphRegistry:
    from dltflow.graph.databricks import DltModuleRegistry

    module = importlib.import_module("dlt")
    if module not in _forwarders:
        _forwarders[module] = DltModuleRegistry(module)
    return _forwarders[module]


def _pipelines_registry() -> GraphRegistry:
    from dltflow.graph.databricks import PipelinesModuleRegistry

    module = importlib.import_module("pyspark.pipelines")
    if module not in _forwarders:
        _forwarders[module] = PipelinesModuleRegistry(module)
    return _forwarders[module]


def _auto_registry() -> GraphRegistry | None:
    if "DATABRICKS_RUNTIME_VERSION" in os.environ:
        try:
            return _dlt_registry()
        except ImportError:
            try:
                return _pipelines_registry()
            except ImportError:
                return None
    if _spark_pipeline_is_defining():
        return _pipelines_registry()
    return None


def _spark_pipeline_is_defining() -> bool:
    """True inside ``spark-pipelines run``: its registry context is set.

    Only looked at when pyspark is already imported, so plain Python stays fast.
    """
    if "pyspark.pipelines.graph_element_registry" not in sys.modules:
        return False
    module = sys.modules["pyspark.pipelines.graph_element_registry"]
    context = getattr(module, "_graph_element_registry_context_var", None)
    return context is not None and context.get() is not None
