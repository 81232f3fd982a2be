"""What the session's engine can do, decided in one place: the engine capability record.

Engines differ in what dltflow relies on: Sail (Spark Connect) has no ``foreachBatch``,
no ``Observation`` metrics, no ``_metadata`` columns of file reads, and writes Delta
natively; a classic (py4j) session exposes its JVM, which dltflow uses for analysed
plans, empty frames and direct catalog calls. :func:`capabilities` works that out once
per session and keeps it in this module (never as an attribute of the user's session);
a run carries the record on its context. This is the only module that looks at
pyspark's session internals (``_jsparkSession``, ``_jvm``) to tell engines apart.

Sail's streaming flows run by dltflow's own incremental reads
(:mod:`dltflow.local.streaming`), which JVM Spark can use too (``--streaming
incremental``); what those cannot run is refused by :mod:`dltflow.local.plan.refusal`.
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["FORMATS", "STREAMING_MODES", "Capabilities", "JvmHandles", "assuming", "capabilities",
           "classic_frame", "engine_of", "has_file_metadata", "jvm_handles", "mark_engine",
           "streaming_mode", "table_format"]

STREAMING_MODES = ("structured", "incremental")

FORMATS = ("parquet", "delta")
"""The table formats the warehouse writes (Delta on JVM Spark needs delta-spark)."""


class JvmHandles:
    """A classic session's JVM side: its ``SparkSession`` and gateway (py4j objects),
    and the JVM classes dltflow calls, each looked up once (every step of a JVM class
    path is a py4j round trip)."""

    def __init__(self, session: Any, jvm: Any) -> None:
        self.session = session
        self.jvm = jvm

    @cached_property
    def empty_frame_classes(self) -> tuple[Any, Any]:
        """``DataType`` and ``ArrayList``: an empty relation built in the JVM."""
        return self.jvm.org.apache.spark.sql.types.DataType, self.jvm.java.util.ArrayList

    @cached_property
    def catalog(self) -> tuple[Any, Any, Any]:
        """The session catalog, ``TableIdentifier`` and ``scala.Some``."""
        return (self.session.sessionState().catalog(),
                self.jvm.org.apache.spark.sql.catalyst.TableIdentifier, self.jvm.scala.Some)


@dataclass(frozen=True)
class Capabilities:
    """What one session's engine can do.

    Attributes:
        engine: ``jvm`` (classic local Spark), ``sail`` (the embedded Sail server) or
            ``connect`` (another Spark Connect server).
        classic: a py4j session, whose JVM dltflow may call (:func:`jvm_handles`).
        can_observe: ``Observation`` metrics work (else verdicts are staged and counted).
        file_metadata: file reads have ``_metadata`` columns.
        foreach_batch: ``writeStream.foreachBatch`` runs Structured Streaming's loop.
        default_format: how tables are written unless ``--format`` says otherwise.
        default_streaming: how streaming flows run unless ``--streaming`` says otherwise.
        concurrent_flows: how many independent batch datasets may run at once. Sail's
            server runs several statements of one session together, so a client
            waiting on one round trip is not the whole run; a classic (py4j) session
            runs the jobs of several threads together, so one dataset's driver work (planning,
            the commit, the catalog) overlaps another's task. Another Connect server
            keeps one: what it does with a session's parallel statements is unknown.
    """

    engine: str
    classic: bool
    can_observe: bool
    file_metadata: bool
    foreach_batch: bool
    default_format: str
    default_streaming: str
    concurrent_flows: int = 1


CONCURRENT_FLOWS = 4
"""Datasets a local engine runs at once. On two cores 4 gained most on Sail (3 and 6
did less); on JVM Spark a table of a 300-table tree cost 153 ms one at a time, 129 ms
two at a time and 111 ms four at a time."""

_known: weakref.WeakKeyDictionary[Any, Capabilities] = weakref.WeakKeyDictionary()
_handles: weakref.WeakKeyDictionary[Any, JvmHandles] = weakref.WeakKeyDictionary()
_marked: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def mark_engine(spark: SparkSession, engine: str) -> None:
    """Record that :func:`~dltflow.local.engines.session.get_spark` started ``spark`` on
    ``engine`` (a Connect session alone cannot say which server it talks to)."""
    with _lock:
        _marked[spark] = engine
        _known.pop(spark, None)


def capabilities(spark: SparkSession) -> Capabilities:
    """The capability record of ``spark``, worked out on first use and kept."""
    with _lock:
        known = _known.get(spark)
    if known is not None:
        return known
    record = _work_out(spark)
    with _lock:
        _known[spark] = record
    return record


def _work_out(spark: SparkSession) -> Capabilities:
    classic = getattr(spark, "_jsparkSession", None) is not None
    engine = "jvm" if classic else _marked.get(spark, "connect")
    sail = engine == "sail"
    return Capabilities(
        engine=engine,
        classic=classic,
        can_observe=classic or (not sail and _probe_observation(spark)),
        file_metadata=not sail,
        foreach_batch=not sail,
        default_format="delta" if sail else "parquet",
        default_streaming="incremental" if sail else "structured",
        concurrent_flows=CONCURRENT_FLOWS if sail or classic else 1,
    )


def _probe_observation(spark: SparkSession) -> bool:
    """Ask a Spark Connect server with a one-row query whether it gathers metrics."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    probe = Observation(f"dltflow_probe_{uuid.uuid4().hex[:8]}")
    try:
        spark.range(1).observe(probe, F.count(F.lit(1)).alias("n")).collect()
        return int(probe.get.get("n") or 0) == 1
    except Exception:  # noqa: BLE001 - any failure means: cannot observe
        return False


@contextmanager
def assuming(spark: SparkSession, **changes: Any) -> Iterator[Capabilities]:
    """Within the block, ``spark``'s record has ``changes`` (e.g. ``can_observe=False``):
    how tests take an engine's other path on the session they have."""
    before = capabilities(spark)
    changed = replace(before, **changes)
    with _lock:
        _known[spark] = changed
    try:
        yield changed
    finally:
        with _lock:
            _known[spark] = before


def jvm_handles(spark: SparkSession) -> JvmHandles | None:
    """A classic session's JVM side, or None on Spark Connect."""
    if not capabilities(spark).classic:
        return None
    with _lock:
        handles = _handles.get(spark)
        if handles is None:
            handles = _handles[spark] = JvmHandles(spark._jsparkSession, spark._jvm)
    return handles


def classic_frame(df: Any) -> Any | None:
    """The JVM ``Dataset`` behind a classic DataFrame, or None on Spark Connect."""
    return df._jdf if capabilities(df.sparkSession).classic else None


def engine_of(spark: SparkSession) -> str:
    """The engine ``spark`` runs on (see :attr:`Capabilities.engine`)."""
    return capabilities(spark).engine


def has_file_metadata(spark: SparkSession) -> bool:
    """Whether file reads have ``_metadata`` columns (JVM Spark; not Sail)."""
    return capabilities(spark).file_metadata


def table_format(spark: SparkSession, chosen: str | None = None) -> str:
    """``chosen``, else the engine's default table format: Delta on Sail (which writes
    it natively), Parquet on JVM Spark (which needs delta-spark for Delta)."""
    from dltflow.exceptions import ConfigError

    if chosen is None:
        return capabilities(spark).default_format
    if chosen not in FORMATS:
        raise ConfigError(f"unknown table format {chosen!r}",
                          hint=f"choose one of: {', '.join(FORMATS)}.")
    return chosen


def streaming_mode(spark: SparkSession, chosen: str | None = None) -> str:
    """``chosen``, else the engine's default: Structured Streaming where the engine has
    ``foreachBatch``, incremental reads where it has not (Sail)."""
    from dltflow.exceptions import ConfigError

    record = capabilities(spark)
    if chosen is None:
        return record.default_streaming
    if chosen not in STREAMING_MODES:
        raise ConfigError(f"unknown streaming mode {chosen!r}",
                          hint=f"choose one of: {', '.join(STREAMING_MODES)}.")
    if chosen == "structured" and not record.foreach_batch:
        raise ConfigError(f"the {record.engine} engine cannot run Structured Streaming (it "
                          "has no foreachBatch)",
                          hint="leave out --streaming, or use --engine jvm.")
    return chosen
