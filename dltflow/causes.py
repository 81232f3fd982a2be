"""The root cause of a failure in one or two lines, with a hint for Databricks-only features.

A failing Spark job surfaces in Python as a Py4J error or a captured Spark exception
whose text is the whole Java stack trace. People need the innermost cause
(``[DATA_SOURCE_NOT_FOUND] Failed to find the data source: kafka``) and, when the
feature only exists on Databricks, what to do locally. The full trace stays available
with ``--debug``. Duck-typed: importing this module never imports pyspark.
"""

from __future__ import annotations

import re
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from dltflow.exceptions import ConfigError, DatasetFailed, DLTException, PipelineExited

__all__ = ["call_user_code", "databricks_hint", "defining_exit", "describe_failure",
           "pipeline_exit", "root_cause"]

T = TypeVar("T")

_MAX_LINES = 2
_CONDITION = re.compile(r"\[[A-Z][A-Z0-9_.]+\]")
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"DATA_SOURCE_NOT_FOUND.*\bdelta\b|data source: delta", re.I | re.S),
     "Delta Lake is Databricks' table format; locally dltflow stores tables as Parquet: "
     "read pipeline datasets with dlt.read()/spark.read.table(), and external Delta "
     "tables through a local copy (e.g. Parquet)."),
    (re.compile(r"DATA_SOURCE_NOT_FOUND.*\bkafka\b|data source: kafka", re.I | re.S),
     "Kafka needs the spark-sql-kafka package; for local runs read sample files instead "
     "(e.g. choose the source with --configuration)."),
    (re.compile(r"DATA_SOURCE_NOT_FOUND.*(cloudFiles|cloudfiles)", re.S),
     "Auto Loader works inside `dltflow run` / dltflow.local.run(); outside a run use "
     "spark.readStream.format('json') (or csv, parquet)."),
    (re.compile(r"DATA_SOURCE_NOT_FOUND", re.S),
     "this data source is not installed in the local Spark; it may exist only on "
     "Databricks."),
    (re.compile(r"UNRESOLVED_ROUTINE.*`?(ai_\w+|vector_search|read_files|read_kafka|"
                r"current_metastore|is_account_group_member|secret)`?", re.I | re.S),
     "this SQL function exists only on Databricks; compute the value another way for "
     "local runs."),
    (re.compile(r"TABLE_OR_VIEW_NOT_FOUND.*`\w+`\.`\w+`\.`\w+`", re.S),
     "three-part names (catalog.schema.table) point at Unity Catalog, which a local "
     "run does not have: read pipeline datasets by name, or pass local inputs with "
     "--configuration."),
    (re.compile(r"name '(display|displayHTML|sc|sqlContext)' is not defined"),
     "that notebook global exists only in Databricks notebooks; use spark / print "
     "instead."),
)


def _java_root(err: BaseException) -> str | None:
    """The innermost Java exception of a Py4J error, as ``Class: message``."""
    java = getattr(err, "java_exception", None)
    if java is None:
        return None
    chain: list[str] = []
    try:
        while java is not None and len(chain) < 20:
            chain.append(str(java.toString()))
            java = java.getCause()
    except Exception:  # noqa: BLE001 - the JVM may be gone; fall back to Python's view
        return None
    # The innermost error that names a Spark error condition says the most; a bare
    # root such as ClassNotFoundException says the least.
    named = [text for text in chain if _CONDITION.search(text)]
    return (named or chain)[-1] if chain else None


def _innermost(err: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(err) not in seen:
        seen.add(id(err))
        nxt = err.__cause__ or (err.__context__ if not err.__suppress_context__ else None)
        if nxt is None:
            break
        err = nxt
    return err


def _short(text: str) -> str:
    lines = []
    for line in text.strip().splitlines():
        if line.strip().startswith(("JVM stacktrace", "at ", "=== Streaming Query",
                                    "Traceback", "File ")):
            break
        if line.strip():
            lines.append(line.strip())
        if len(lines) == _MAX_LINES:
            break
    return "\n".join(lines)


def root_cause(err: BaseException) -> str:
    """``err``'s innermost cause in at most two lines (no stack traces)."""
    inner = _innermost(err)
    text = _java_root(inner) or str(inner)
    condition = getattr(inner, "getCondition", None)
    if callable(condition) and "[" not in text[:2]:
        try:
            name = condition()
        except Exception:  # noqa: BLE001 - not every captured error has a condition
            name = None
        if name:
            text = f"[{name}] {text}"
    return _short(text) or type(inner).__name__


def databricks_hint(message: str) -> str | None:
    """What to do when ``message`` is about a feature local Spark does not have."""
    for pattern, hint in _HINTS:
        if pattern.search(message):
            return hint
    return None


def describe_failure(err: BaseException) -> str:
    """The message to show for a failed dataset or update: dltflow's own message, or the
    root cause of a Spark/Python failure, plus a hint when a Databricks-only feature is
    involved."""
    from dltflow.exceptions import DatasetFailed, DLTException

    if isinstance(err, DatasetFailed) and err.__cause__ is not None:
        text = f"Dataset '{err.dataset}' failed in {err.function}: {root_cause(err.__cause__)}"
    elif isinstance(err, DLTException):
        return str(err)
    else:
        text = root_cause(err)
    hint = databricks_hint(text) or databricks_hint(str(_innermost(err)))
    return text + (f"\nHint: {hint}" if hint else "")


_DLTFLOW_DIR = str(Path(__file__).resolve().parent)


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = {str(Path(paths[key]).resolve()) for key in ("stdlib", "platstdlib", "purelib",
                                                         "platlib") if paths.get(key)}
    return tuple(sorted(found | {_DLTFLOW_DIR}))


def _exit_location(err: SystemExit) -> str | None:
    """``file:line`` of the ``sys.exit`` call: the innermost frame of the pipeline's own
    code (not dltflow, the standard library or an installed package, which may call
    ``sys.exit`` on its behalf, as argparse does), else the innermost frame."""
    frames = []
    tb = err.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    if not frames:
        return None
    libraries = _library_dirs()
    own = [f for f in frames if not str(Path(f[0]).resolve()).startswith(libraries)
           and not f[0].startswith("<")]
    file, line = (own or frames)[-1]
    return f"{file}:{line}"


def pipeline_exit(err: SystemExit) -> PipelineExited:
    """The error to report for a ``SystemExit`` raised by pipeline code: what was called
    (``sys.exit(3)``) and where. Carries the original traceback for ``--debug``."""
    error = PipelineExited(err.code, _exit_location(err))
    return error.with_traceback(err.__traceback__)


def call_user_code(dataset: str, function: str, call: Callable[[], T]) -> T:
    """``call()``, the user's code for ``dataset``: any failure of it becomes the
    dataset's :class:`DatasetFailed` naming ``function`` (a ``sys.exit`` too, which
    must not end the update silently); dltflow's own errors pass through as they are.

    The one place that decides how user code fails: planning, running a flow, reading a
    snapshot and a mixin's method all call through it.
    """
    try:
        return call()
    except DLTException:
        raise
    except SystemExit as err:
        exited = pipeline_exit(err)
        raise DatasetFailed(dataset, function, exited) from exited
    except Exception as err:
        raise DatasetFailed(dataset, function, err) from err


def defining_exit(source: str, err: SystemExit) -> ConfigError:
    """The error for a ``SystemExit`` raised while a pipeline was being defined (its file
    executed, its module imported, its class created): bad input, so exit code 2."""
    exited = pipeline_exit(err)
    where = f" (at {exited.location})" if exited.location else ""
    error = ConfigError(f"{source} called sys.exit({_code(exited.code)}) while the pipeline "
                        f"was being defined{where}", source=source,
                        hint="a pipeline's code only declares datasets and must not end the "
                             "process: remove the call, or raise an exception to stop with "
                             "an error.")
    return error.with_traceback(err.__traceback__)


def _code(code: object) -> str:
    return "" if code is None else repr(code)
