"""The local SparkSession: tuned for small data, or any session the user brings.

``SPARK_REMOTE`` / ``remote=`` gives a Spark Connect session (a cluster, or Databricks
Connect); ``engine="sail"`` (or ``DLTFLOW_ENGINE=sail``) a Spark Connect session on an
embedded Sail server (:mod:`dltflow.local.engines.sail`, no JVM); otherwise a classic local
session with few shuffle partitions and no UI, because pipelines run locally are small
and start-up time dominates.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.exceptions import ConfigError, SparkStartFailed
from dltflow.local.engines.capabilities import mark_engine
from dltflow.local.engines.hadoop_conf import drop_property_sources
from dltflow.local.engines.local_files import use_nio_local_files

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    # a small table is one task downstream, however many files it has (a task costs
    # milliseconds locally); inputs above the split size are still split
    "spark.sql.files.minPartitionNum": "1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
    # No whole-stage code generation: compiling each query's generated Java (Janino)
    # costs milliseconds, more than running a small table, and no two datasets' code is
    # the same. Spark still compiles expressions (falling back to interpreting them),
    # just not one class per stage. A run over millions of rows turns it back on with
    # --configuration spark.sql.codegen.wholeStage=true.
    "spark.sql.codegen.wholeStage": "false",
}


ENGINES = ("jvm", "sail")
"""The engines ``get_spark`` can start: local JVM Spark (the default) and Sail."""
ENGINE_ENV = "DLTFLOW_ENGINE"


def resolve_engine(engine: str | None = None) -> str:
    """``engine``, else ``DLTFLOW_ENGINE``, else ``jvm``; an unknown name is a ConfigError.

    ``auto`` without a pipeline to judge (a session for tests or a notebook) is Sail
    when pysail is installed, else JVM; ``dltflow run --engine auto`` judges the
    pipeline instead (:mod:`dltflow.local.engine_choice`).
    """
    chosen = (engine or os.environ.get(ENGINE_ENV) or "jvm").strip().lower()
    if chosen == "auto":
        import importlib.util

        return "sail" if importlib.util.find_spec("pysail") is not None else "jvm"
    if chosen not in ENGINES:
        raise ConfigError(f"unknown engine {chosen!r}", source=ENGINE_ENV if not engine
                          else None, hint=f"choose one of: {', '.join((*ENGINES, 'auto'))}.")
    return chosen


def get_spark(remote: str | None = None, *, engine: str | None = None,
              app_name: str = "dltflow",
              catalog_dir: str | os.PathLike[str] | None = None,
              log_file: str | os.PathLike[str] | None = None,
              progress: bool = False) -> SparkSession:
    """The active session, a Spark Connect session for ``remote``, or a new local one.

    Args:
        remote: a Spark Connect URL (``sc://host:port``); defaults to ``SPARK_REMOTE``.
        engine: ``jvm`` (local Spark, the default) or ``sail`` (an embedded Sail server
            this process starts and stops at exit); defaults to ``DLTFLOW_ENGINE``.
        app_name: the application name of a new local session.
        catalog_dir: where a new local session keeps its catalog folder
            (``spark.sql.warehouse.dir``); by default Spark's ``./spark-warehouse``.
            ``dltflow run`` puts it inside its warehouse, so a run writes nowhere else.
        log_file: where a new local session's JVM writes its own output (log4j
            start-up lines, warnings) instead of the terminal; None leaves it there.
        progress: show Spark's console progress bars.

    Raises:
        SparkStartFailed: the local JVM did not start (its output is in ``log_file``).
        EngineStartFailed: the Sail server did not start (or pysail is missing).
        ConfigError: an unknown engine, or both ``remote`` and the Sail engine.
    """
    session = _session(remote, engine, app_name, catalog_dir, log_file, progress)
    if log_file is not None:
        _pyspark_logs_to(Path(log_file))
    return session


def _session(remote: str | None, engine: str | None, app_name: str,
             catalog_dir: str | os.PathLike[str] | None,
             log_file: str | os.PathLike[str] | None, progress: bool) -> SparkSession:
    from pyspark.sql import SparkSession  # lazy: `dltflow --help` must not start pyspark

    # Spark Connect's client draws progress bars only when this is "1".
    os.environ["SPARK_CONNECT_PROGRESS_BAR_ENABLED"] = "1" if progress else "0"
    if resolve_engine(engine) == "sail":
        if remote:
            raise ConfigError("the Sail engine runs its own server; it does not take a "
                              "Spark Connect URL", hint="give --remote or --engine sail, "
                              "not both.")
        return _sail_session(None if log_file is None else Path(log_file).with_name("sail.log"))
    remote = remote or os.environ.get("SPARK_REMOTE")
    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master("local[2]").appName(app_name)
    for key, value in {**LOCAL_CONF, "spark.ui.showConsoleProgress": str(progress).lower()
                       }.items():
        builder = builder.config(key, value)
    if catalog_dir is not None:
        builder = builder.config("spark.sql.warehouse.dir", os.path.abspath(catalog_dir))
    if log_file is None:
        session = builder.getOrCreate()
    else:
        with _process_output_to(Path(log_file)):
            try:
                session = builder.getOrCreate()
            except Exception as err:
                raise SparkStartFailed(str(log_file), _tail(Path(log_file))) from err
    use_nio_local_files(session)
    drop_property_sources(session)
    return session


# pyspark (4.x) logs every analysis error it raises, with the whole Java stack trace
# (kilobytes), to stderr through these loggers; dltflow reports the error itself in a line
# or two, so when Spark's output goes to a log file these copies go there too.
_PYSPARK_ERROR_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


class _RunLog(logging.FileHandler):
    """The log file of the latest ``get_spark(log_file=...)``; one per logger."""


def _pyspark_logs_to(log_file: Path) -> None:
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pyspark 3.5 has no such loggers
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for name in _PYSPARK_ERROR_LOGGERS:
        logger = PySparkLogger.getLogger(name)
        for handler in list(logger.handlers):
            # The terminal, or the log of an earlier run in this process.
            if type(handler) is logging.StreamHandler or isinstance(handler, _RunLog):
                logger.removeHandler(handler)
                if isinstance(handler, _RunLog):
                    handler.close()
        logger.addHandler(_RunLog(log_file, delay=True))


def _sail_session(log_file: Path | None) -> SparkSession:
    """A Spark Connect session on this process's Sail server (started on first use).

    ``pyspark.sql.functions`` build Spark Connect columns from here on (the process is
    in Connect mode, as ``SparkSession.builder.remote`` would make it): a classic
    session cannot be used in the same process afterwards.
    """
    from dltflow.local.engines.sail import sail_url, start_sail

    start_sail(log_file)  # the server starts while the Connect client is imported
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    url = sail_url(log_file)
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    session = ConnectSession.builder.remote(url).getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    # Reattaching lets a client survive a dropped network stream; to a server on this
    # machine it only adds a ReleaseExecute call (on a fresh thread) per statement.
    session.client.disable_reattachable_execute()
    mark_engine(session, "sail")  # type: ignore[arg-type]  # a Connect session
    return session  # type: ignore[return-value]


@contextmanager
def _process_output_to(log_file: Path) -> Iterator[None]:
    """While the block runs, file descriptors 1 and 2 point at ``log_file``.

    The JVM is a child process: it inherits them when it starts and keeps writing
    there; Python's own streams are restored when the block ends.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    try:
        with log_file.open("ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _tail(log_file: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
