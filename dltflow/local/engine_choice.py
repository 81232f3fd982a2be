"""``--engine auto``: plan on Sail when every flow can run there, else the JVM engine.

Sail starts in about a second and runs most pipelines; what it cannot run (a stream
that needs state across micro-batches, Structured Streaming) is found while planning,
before any data moves. ``auto`` plans on Sail, and falls back to the JVM engine with
the reason (the construct, the dataset and where it was declared), so a user never has
to know the list. A warehouse keeps the engine that built it: its tables' format and
checkpoints belong to that engine (switching needs a full refresh).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import DatasetFailed, EngineUnsupported

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local.pipeline import Definition

__all__ = ["EngineChoice", "choose_engine"]

_FORMAT_ENGINES = {"delta": "sail", "parquet": "jvm"}


@dataclass(frozen=True)
class EngineChoice:
    """The engine ``auto`` picked, and why (shown in the first progress line).

    Args:
        engine: ``sail`` or ``jvm``.
        reason: why, e.g. ``orders_agg needs a streaming aggregation, pipeline.py:41``.
        spark: the Sail session it planned on, reused by the run when Sail was chosen.
    """

    engine: str
    reason: str
    spark: SparkSession | None = None

    def __str__(self) -> str:
        return f"engine: {self.engine} ({self.reason})"


def choose_engine(definition: Definition, *, warehouse: str | Path, schema: str = "default",
                  conf: Any = None, configuration: Mapping[str, Any] | None = None,
                  select: Sequence[str] | None = None, streaming: str | None = None,
                  catalog_dir: str | Path | None = None,
                  log_file: str | Path | None = None) -> EngineChoice:
    """Pick the engine for ``definition``: Sail when it can run every flow, else JVM.

    Raises:
        ConfigError, GraphError: the definition itself is wrong (on any engine).
    """
    built = _warehouse_engine(Path(warehouse), schema)
    if built is not None:
        return EngineChoice(built, f"the warehouse {warehouse} was built with {built}")
    if streaming == "structured":
        return EngineChoice("jvm", "--streaming structured needs Structured Streaming")
    import importlib.util

    if importlib.util.find_spec("pysail") is None:  # found, not imported: no cost
        return EngineChoice("jvm", 'pysail is not installed: pip install "dltflow[sail]"')
    return _plan_on_sail(definition, warehouse=warehouse, schema=schema, conf=conf,
                         configuration=configuration, select=select,
                         catalog_dir=catalog_dir, log_file=log_file)


def _plan_on_sail(definition: Definition, *, warehouse: str | Path, schema: str, conf: Any,
                  configuration: Mapping[str, Any] | None, select: Sequence[str] | None,
                  catalog_dir: str | Path | None, log_file: str | Path | None
                  ) -> EngineChoice:
    from dltflow.local.engines.session import get_spark
    from dltflow.local.pipeline import explain

    spark = get_spark(engine="sail", catalog_dir=catalog_dir, log_file=log_file)
    try:
        explain(definition, spark=spark, warehouse=warehouse, schema=schema, conf=conf,
                configuration=configuration, select=select)
    except EngineUnsupported as err:
        _leave_sail(spark)
        where = f", {err.location}" if err.location else ""
        return EngineChoice("jvm", f"{err.dataset} needs {err.construct}{where}")
    except DatasetFailed as err:  # e.g. a function Sail lacks: the JVM engine may have it
        _leave_sail(spark)
        first = str(err).strip().splitlines()[0]
        return EngineChoice("jvm", f"planning on sail failed: {first}")
    return EngineChoice("sail", "every flow can run on sail", spark)


def _leave_sail(spark: SparkSession) -> None:
    """Stop the Sail session and leave Spark Connect mode, so a JVM session can start."""
    spark.stop()
    os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


def _warehouse_engine(root: Path, schema: str) -> str | None:
    """The engine whose tables ``root`` holds (their format says it), or None."""
    folder = root / schema
    if not folder.is_dir():
        return None
    for pointer in sorted(folder.glob("*/_dltflow.json")):
        try:
            fmt = json.loads(pointer.read_text(encoding="utf-8")).get("current_format")
        except (OSError, ValueError):
            continue
        if fmt in _FORMAT_ENGINES:
            return _FORMAT_ENGINES[fmt]
    return None
