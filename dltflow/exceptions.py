"""Every error dltflow raises on purpose derives from :class:`DLTException`.

Definition errors (a bad config, a broken graph) are raised before any data moves;
run-time errors (a failed expectation, a failing user method) carry the dataset they
belong to. Each subclass keeps its domain arguments as attributes and builds its own
message, so callers can branch on attributes instead of parsing text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ConfigError",
    "DLTException",
    "DatasetFailed",
    "DatasetNotMaterialized",
    "DeployError",
    "EngineStartFailed",
    "EngineUnsupported",
    "EventLogError",
    "ExpectationFailed",
    "GraphError",
    "InvalidNameError",
    "NoActiveRegistryError",
    "NoSparkSessionError",
    "PipelineExited",
    "PlanFailed",
    "SnapshotVersionError",
    "SparkStartFailed",
    "UnsafePathError",
    "UnsupportedFeatureError",
    "WarehouseLocked",
]


class DLTException(Exception):
    """Base class of dltflow's errors (the original dltflow name, kept for compatibility)."""



class ConfigError(DLTException):
    """A config, project or deployment file is invalid.

    Args:
        problems: one line per problem, each naming the entry and field.
        source: the file (or ``"<dict>"``) the config came from.
        hint: what to do about it.
    """

    def __init__(self, problems: str | Sequence[str], *, source: str | None = None,
                 hint: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        self.hint = hint
        where = f" in {source}" if source else ""
        lines = [f"Invalid configuration{where}:"] + [f"  - {p}" for p in self.problems]
        if hint:
            lines.append(f"Hint: {hint}")
        super().__init__("\n".join(lines))


class InvalidNameError(ConfigError):
    """A dataset, flow or schema name has a form DLT does not accept.

    Args:
        name: the declared name (any object: it may not even be a string).
        role: what it names (``dataset``, ``flow``, ``schema``, ...).
        problem: what is wrong with it.
        location: where it was declared (``file:line``), when known.
        rule: the forms that are accepted.
    """

    def __init__(self, name: object, *, role: str, problem: str, rule: str,
                 location: str | None = None) -> None:
        self.name = name
        self.role = role
        self.problem = problem
        self.location = location
        self.rule = rule
        where = f" (declared at {location})" if location else ""
        shown = repr(name)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{role} name {shown}{where} {problem}", hint=rule)


class GraphError(DLTException):
    """The pipeline graph cannot run: an unknown reference, a cycle, a duplicate name.

    Args:
        problem: what is wrong.
        names: the datasets involved.
        hint: how to fix it.
    """

    def __init__(self, problem: str, *, names: Sequence[str] = (), hint: str | None = None,
                 location: str | None = None) -> None:
        self.problem = problem
        self.names = list(names)
        self.hint = hint
        self.location = location
        message = problem + (f" (declared at {location})" if location else "")
        if hint:
            message += f"\nHint: {hint}"
        super().__init__(message)


class NoActiveRegistryError(DLTException):
    """A graph element was declared outside a pipeline definition."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"{what} was called outside a pipeline definition. Run it through "
            "`dltflow run`, `dltflow.local.run(...)`, or inside a Databricks pipeline update."
        )


class UnsupportedFeatureError(DLTException):
    """The pipeline runtime lacks a function the pipeline uses.

    Args:
        module: the runtime's module (``dlt``, ``pyspark.pipelines``).
        function: the missing function.
    """

    def __init__(self, module: str, function: str) -> None:
        self.module = module
        self.function = function
        super().__init__(f"{module}.{function} does not exist in this runtime; the pipeline "
                         "uses a feature it does not offer.")


class SparkStartFailed(DLTException):
    """The local Spark session (its JVM) did not start.

    Args:
        log_file: where the JVM's own output went.
        output: its last lines.
    """

    def __init__(self, log_file: str, output: str) -> None:
        self.log_file = log_file
        self.output = output
        super().__init__(f"Spark did not start; its output is in {log_file}:\n{output}\n"
                         "Hint: dltflow needs Java 17 (JAVA_HOME); run with --verbose to see "
                         "Spark's output as it starts.")


class NoSparkSessionError(DLTException):
    """Code that needs a SparkSession ran where none is active.

    Args:
        action: what needed the session.
    """

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(f"no active SparkSession for {action}: start one "
                         "(dltflow.local.get_spark()) first, or pass spark=.")


class ExpectationFailed(DLTException):
    """An expectation with action ``fail`` was violated.

    Args:
        dataset: the dataset being computed.
        expectation: the expectation's name.
        constraint: its SQL constraint.
        failed_records: how many rows violated it.
        record: one violating row, as a dict.
    """

    def __init__(self, dataset: str, expectation: str, *, constraint: str = "",
                 failed_records: int | None = None, record: dict[str, Any] | None = None) -> None:
        self.dataset = dataset
        self.expectation = expectation
        self.constraint = constraint
        self.failed_records = failed_records
        self.record = record
        count = f" by {failed_records} record(s)" if failed_records is not None else ""
        message = (f"Expectation '{expectation}' on dataset '{dataset}' was violated{count}: "
                   f"{constraint}")
        if record is not None:
            message += f"\nFailing record: {record}"
        message += ("\nHint: fix the input data, or use action 'drop'/'allow' to keep the "
                    "update running.")
        super().__init__(message)


class DatasetFailed(DLTException):
    """A user's query function raised while computing a dataset.

    Args:
        dataset: the dataset being computed.
        function: the qualified name of the user's function.
    """

    def __init__(self, dataset: str, function: str, cause: BaseException) -> None:
        self.dataset = dataset
        self.function = function
        kind = "" if isinstance(cause, DLTException) else f"{type(cause).__name__}: "
        super().__init__(
            f"Dataset '{dataset}' failed in {function}: {kind}{_first_lines(str(cause))}"
        )


class PipelineExited(DLTException):
    """Pipeline code called ``sys.exit()`` (or ``exit()``, ``quit()``).

    Left alone, that ``SystemExit`` would end ``dltflow run`` in the middle of an update
    with the pipeline's exit code and no message; dltflow reports it as the error of the
    dataset (or the definition) that made the call.

    Args:
        code: the code given to ``sys.exit`` (``None`` for none).
        location: ``file:line`` of the call, when known.
    """

    def __init__(self, code: object, location: str | None = None) -> None:
        self.code = code
        self.location = location
        where = f" at {location}" if location else ""
        shown = "" if code is None else repr(code)
        super().__init__(f"called sys.exit({shown}){where}")


class PlanFailed(DatasetFailed):
    """Several datasets failed while being planned (their queries raised), or one did
    and others depend on it.

    Args:
        failures: one error per dataset whose own query failed.
        skipped: the datasets that were not planned because an upstream failed.
    """

    def __init__(self, failures: Sequence[DatasetFailed], skipped: Sequence[str]) -> None:
        self.failures = list(failures)
        self.skipped = list(skipped)
        self.dataset = self.failures[0].dataset
        self.function = self.failures[0].function
        lines = [str(f) for f in self.failures]
        if self.skipped:
            lines.append(f"Skipped (upstream failed): {', '.join(self.skipped)}")
        DLTException.__init__(self, "\n".join(lines))


def _first_lines(text: str, count: int = 2) -> str:
    """The head of an error message, without a Java or Python stack trace."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        if line.strip().startswith(("at ", "JVM stacktrace", "Traceback", "File ", "\tat ")):
            break
        if line.strip():
            lines.append(line.rstrip())
        if len(lines) == count:
            break
    return "\n".join(lines)


class UnsafePathError(DLTException):
    """dltflow was about to touch a path outside the folder it owns (the local warehouse,
    a deploy's root or artifact folder), or a folder it did not create; nothing was done.

    Args:
        path: the path it would have touched.
        root: the folder it must stay inside.
        action: what it was about to do (write, delete, ...).
        reason: why it refused, when not simply "outside".
    """

    def __init__(self, path: str, root: str, *, action: str = "write",
                 reason: str | None = None) -> None:
        self.path = path
        self.root = root
        self.action = action
        self.reason = reason or f"it is outside {root}"
        super().__init__(
            f"Refused to {action} {path}: {self.reason}. Nothing was changed.\n"
            "Hint: dataset, flow, schema and pipeline names must be plain names; check for "
            "symlinks or hand-edited files."
        )


class WarehouseLocked(DLTException):
    """Another update holds the local warehouse; this one did not start.

    Args:
        warehouse: the warehouse folder.
        holder: who holds it (``pid``, ``host``, ``started``), as far as it is known.
        waited: how many seconds this run waited for it.
    """

    def __init__(self, warehouse: str, holder: dict[str, Any], waited: float) -> None:
        self.warehouse = warehouse
        self.holder = holder
        self.waited = waited
        who = (f"process {holder.get('pid', '?')} on {holder.get('host', '?')}, "
               f"running since {holder.get('started', '?')}") if holder else "another process"
        after = f" after waiting {waited:g}s" if waited else ""
        super().__init__(
            f"The warehouse {warehouse} is in use by {who}{after}; two updates must not "
            "write the same tables at once, so this one did not start.\n"
            "Hint: wait for it to finish, or pass --lock-timeout SECONDS (or set "
            "DLTFLOW_LOCK_TIMEOUT) to wait for it; a lock left by a process that died is "
            "taken over by itself.")


class DeployError(DLTException):
    """Deploying to a Databricks workspace failed; the message says what and how to fix it."""


class EventLogError(DLTException):
    """The event log cannot give what was asked: no runs, an unknown run, a broken line.

    Args:
        problem: what is wrong.
        path: the event-log file or folder.
        line: the line number of a broken record, when that is the problem.
        hint: what to do about it.
    """

    def __init__(self, problem: str, *, path: str, line: int | None = None,
                 hint: str | None = None) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.hint = hint
        where = f"{path}:{line}" if line else path
        message = f"{problem} ({where})"
        if hint:
            message += f"\nHint: {hint}"
        super().__init__(message)


class DatasetNotMaterialized(DLTException):
    """A selected dataset reads a table that no earlier run has written.

    Args:
        dataset: the table with no data yet.
    """

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        super().__init__(f"dataset '{dataset}' has no data yet: run its pipeline without "
                         "--select (or select it too) first.")


class SnapshotVersionError(DLTException):
    """A snapshot function returned a version that is not newer than the last one.

    Args:
        dataset: the target of the snapshot flow.
        version: the version returned.
        previous: the last version applied.
    """

    def __init__(self, dataset: str, version: Any, previous: Any) -> None:
        self.dataset = dataset
        self.version = version
        self.previous = previous
        super().__init__(
            f"snapshot function of '{dataset}' returned version {version!r} after "
            f"{previous!r}; versions must increase, and the function must return None when "
            "there is no newer snapshot.")


class EngineStartFailed(DLTException):
    """The engine chosen with ``--engine`` (other than the JVM's) did not start.

    Args:
        engine: the engine's name (``sail``).
        log_file: where its own output went.
        output: its last lines, or what is missing.
        hint: what to do about it.
    """

    def __init__(self, engine: str, log_file: str, output: str, *,
                 hint: str | None = None) -> None:
        self.engine = engine
        self.log_file = log_file
        self.output = output
        where = f"; its output is in {log_file}" if log_file else ""
        hint = hint or ("run with --verbose to see its output as it starts, or use the "
                        "JVM engine (--engine jvm).")
        super().__init__(f"the {engine} engine did not start{where}:\n{output}\nHint: {hint}")


class EngineUnsupported(DLTException):
    """The pipeline uses a construct the chosen engine cannot run.

    Args:
        engine: the engine's name (``sail``).
        construct: what the engine lacks (``a streaming aggregation``, ...).
        dataset: the dataset that uses it.
        location: where it was declared (``file:line``), when known.
        reason: why the engine cannot run it.
        hint: what to do instead (default: the engine that can).
    """

    def __init__(self, engine: str, construct: str, dataset: str,
                 location: str | None = None, *,
                 reason: str = "it has no foreachBatch and no stateful streaming",
                 hint: str | None = None) -> None:
        self.engine = engine
        self.construct = construct
        self.dataset = dataset
        self.location = location
        where = f" (declared at {location})" if location else ""
        hint = hint or ("run it with the JVM engine (--engine jvm)." if engine != "jvm"
                        else "run it with Structured Streaming (--streaming structured).")
        super().__init__(f"dataset '{dataset}'{where} uses {construct}, which the {engine} "
                         f"engine cannot run ({reason}).\nHint: {hint}")
