"""The local SparkSession: tuned for small data, or any session the user brings.

``SPARK_REMOTE`` / ``remote=`` gives a Spark Connect session (a cluster, or Databricks
Connect); otherwise a classic local session with few shuffle partitions and no UI,
because pipelines run locally are small and start-up time dominates.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.exceptions import SparkStartFailed

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.streaming.forceDeleteTempCheckpointLocation": "true",
}


def get_spark(remote: str | None = None, *, app_name: str = "dltflow",
              catalog_dir: str | os.PathLike[str] | None = None,
              log_file: str | os.PathLike[str] | None = None,
              progress: bool = False) -> SparkSession:
    """The active session, a Spark Connect session for ``remote``, or a new local one.

    Args:
        remote: a Spark Connect URL (``sc://host:port``); defaults to ``SPARK_REMOTE``.
        app_name: the application name of a new local session.
        catalog_dir: where a new local session keeps its catalog folder
            (``spark.sql.warehouse.dir``); by default Spark's ``./spark-warehouse``.
            ``dltflow run`` puts it inside its warehouse, so a run writes nowhere else.
        log_file: where a new local session's JVM writes its own output (log4j
            start-up lines, warnings) instead of the terminal; None leaves it there.
        progress: show Spark's console progress bars.

    Raises:
        SparkStartFailed: the local JVM did not start (its output is in ``log_file``).
    """
    session = _session(remote, app_name, catalog_dir, log_file, progress)
    if log_file is not None:
        _pyspark_logs_to(Path(log_file))
    return session


def _session(remote: str | None, app_name: str,
             catalog_dir: str | os.PathLike[str] | None,
             log_file: str | os.PathLike[str] | None, progress: bool) -> SparkSession:
    from pyspark.sql import SparkSession  # lazy: `dltflow --help` must not start pyspark

    # Spark Connect's client draws progress bars only when this is "1".
    os.environ["SPARK_CONNECT_PROGRESS_BAR_ENABLED"] = "1" if progress else "0"
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
        return builder.getOrCreate()
    with _process_output_to(Path(log_file)):
        try:
            return builder.getOrCreate()
        except Exception as err:
            raise SparkStartFailed(str(log_file), _tail(Path(log_file))) from err


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
