"""``--engine auto`` (the default of ``dltflow run`` and ``dltflow graph``): Sail when
it can run every flow, else the JVM engine.

Sail starts in about a second and runs most pipelines; what it cannot run (a stream
that needs state across micro-batches, Structured Streaming) is found while planning,
before any data moves. ``auto`` plans on Sail, and falls back to the JVM engine with
the reason (the construct, the dataset and where it was declared), so a user never has
to know the list.

What ``auto`` writes stays readable by both engines: Parquet, unless the warehouse
already holds Delta tables (or ``--format`` says otherwise). A warehouse keeps to the
engine its tables need: Delta tables only Sail reads here (JVM Spark needs
delta-spark), and tables JVM Spark wrote, with their Structured Streaming progress, stay
with it (Sail reads their INT96 timestamps as ``timestamp_ntz``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import DatasetFailed, EngineStartFailed, EngineUnsupported
from dltflow.local.storage.layout import META_FILE, writers

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dltflow.local.pipeline import Definition

__all__ = ["EngineChoice", "choose_engine", "warehouse_engine"]

_SPARK_WRITERS = frozenset({"jvm", "connect"})
"""Engines whose Parquet is Spark's own (INT96 timestamps)."""


@dataclass(frozen=True)
class EngineChoice:
    """The engine ``auto`` picked, and why (shown in the first progress line).

    Args:
        engine: ``sail`` or ``jvm``.
        reason: why, e.g. ``orders_agg needs a streaming aggregation, pipeline.py:41``.
        spark: the Sail session it planned on, reused by the run when Sail was chosen.
        table_format: the format to write unless the user chose one (None: the
            engine's default).
    """

    engine: str
    reason: str
    spark: SparkSession | None = None
    table_format: str | None = None

    def __str__(self) -> str:
        return f"engine: {self.engine} ({self.reason})"


def choose_engine(definition: Definition, *, warehouse: str | Path, schema: str = "default",
                  conf: Any = None, configuration: Mapping[str, Any] | None = None,
                  select: Sequence[str] | None = None, streaming: str | None = None,
                  catalog_dir: str | Path | None = None,
                  log_file: str | Path | None = None,
                  full_refresh: bool = False) -> EngineChoice:
    """Pick the engine for ``definition``: Sail when it can run every flow, else JVM.

    ``full_refresh``: every table is rewritten, so the warehouse's tables do not decide.

    Raises:
        ConfigError, GraphError: the definition itself is wrong (on any engine).
    """
    needed = None if full_refresh else warehouse_engine(Path(warehouse), schema)
    if needed is not None:
        return EngineChoice(*needed)
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

    try:
        spark = get_spark(engine="sail", catalog_dir=catalog_dir, log_file=log_file)
    except EngineStartFailed as err:  # e.g. a broken pysail install: JVM Spark still runs
        os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
        where = f", see {err.log_file}" if err.log_file else ""
        return EngineChoice("jvm", f"sail did not start{where}")
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
    return EngineChoice("sail", "every flow can run on sail", spark, "parquet")


def _leave_sail(spark: SparkSession) -> None:
    """Stop the Sail session and leave Spark Connect mode, so a JVM session can start."""
    spark.stop()
    os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


def warehouse_engine(root: Path, schema: str) -> tuple[str, str] | None:
    """The engine the tables under ``root`` need, with the reason, or None when either
    engine can go on with them (a new warehouse, or Parquet that Sail wrote)."""
    folder = root / schema
    if not folder.is_dir():
        return None
    formats = set()
    for pointer in sorted(folder.glob(f"*/{META_FILE}")):
        try:
            meta = json.loads(pointer.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("current_format"):
            formats.add(str(meta["current_format"]))
    if not formats:  # no tables (yet, or all refreshed away): nothing to keep to
        return None
    written = writers(folder)
    # Before writers were recorded, Parquet meant JVM Spark: Sail wrote Delta then.
    spark_wrote = bool(written & _SPARK_WRITERS) if written is not None else "parquet" in formats
    if spark_wrote:
        return "jvm", f"the warehouse {root} holds tables JVM Spark wrote"
    if "delta" in formats:
        return "sail", f"the warehouse {root} holds Delta tables, which sail reads here"
    return None
