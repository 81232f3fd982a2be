"""What each engine can do, kept in one place: which engine a session runs on, its
default table format and streaming mode, whether its file reads have ``_metadata``.

Sail has no ``foreachBatch`` (and no file streaming sinks), so on Sail streaming flows
run by dltflow's own incremental reads (:mod:`dltflow.local.streaming`), which JVM
Spark can use too (``--streaming incremental``); what those cannot run is refused by
:mod:`dltflow.local.plan.refusal`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["ENGINE_ATTRIBUTE", "STREAMING_MODES", "engine_of", "has_file_metadata",
           "streaming_mode", "table_format"]

ENGINE_ATTRIBUTE = "_dltflow_engine"
"""Set on a session by :func:`dltflow.local.engines.session.get_spark` to the engine it started."""


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


def has_file_metadata(spark: SparkSession) -> bool:
    """Whether file reads have ``_metadata`` columns (JVM Spark; not Sail)."""
    return engine_of(spark) != "sail"
