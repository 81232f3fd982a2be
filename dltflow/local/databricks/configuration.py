"""Pipeline configuration: the key/value parameters a pipeline reads with ``spark.conf.get``.

On Databricks, the ``configuration`` of a pipeline's settings is set on the session
before the pipeline's code runs, so ``spark.conf.get("my.source_path")`` works at module
level and inside queries. Locally the same keys are set for the duration of one run
and then restored, so two runs in one process (the pytest plugin, a notebook) never
see each other's parameters. ``dbutils.widgets.get(KEY)`` reads the same values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.configfile import read_config_file
from dltflow.exceptions import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["add_configuration", "current_configuration", "parse_configuration",
           "pipeline_configuration"]

_current: ContextVar[Mapping[str, str] | None] = ContextVar("dltflow_configuration",
                                                           default=None)


def current_configuration() -> Mapping[str, str]:
    """The configuration of the local run in progress (empty outside a run)."""
    return _current.get() or {}


def _as_text(key: str, value: Any) -> str:
    """DLT configuration values are strings; booleans are spelled as Spark spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ConfigError(f"configuration '{key}': a {type(value).__name__} is not a value",
                      hint="configuration values are strings (numbers and booleans are "
                           "converted); put structured settings in the pipeline's --conf.")


def normalize(configuration: Mapping[str, Any] | None) -> dict[str, str]:
    """``configuration`` with string keys and string values.

    Raises:
        ConfigError: a key is empty or a value is a list or mapping.
    """
    result: dict[str, str] = {}
    for key, value in (configuration or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"configuration key {key!r} is not a name",
                              hint="use dotted names such as mypipeline.source_path.")
        result[key] = _as_text(key, value)
    return result


def _read_file(path: Path) -> dict[str, str]:
    # The bounded reader: binary, invalid or deeply nested files are ConfigErrors too.
    data = read_config_file(path, field="--configuration")
    if isinstance(data, Mapping) and isinstance(data.get("configuration"), Mapping):
        data = data["configuration"]  # a file holding pipeline settings
    if not isinstance(data, Mapping):
        raise ConfigError(f"configuration file {path} does not hold a mapping of KEY: VALUE",
                          source=str(path), hint="write one `key: value` per line.")
    try:
        return normalize(data)
    except ConfigError as err:
        raise ConfigError(err.problems, source=str(path), hint=err.hint) from err


def parse_configuration(values: Iterable[str]) -> dict[str, str]:
    """``--configuration`` arguments: ``KEY=VALUE`` pairs and YAML/JSON files, in order
    (later values win).

    Raises:
        ConfigError: an argument is neither ``KEY=VALUE`` nor an existing file.
    """
    result: dict[str, str] = {}
    for value in values:
        path = Path(value)
        if path.suffix.lower() in (".yml", ".yaml", ".json") and path.is_file():
            result.update(_read_file(path))
            continue
        key, sep, setting = value.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--configuration {value!r} is not KEY=VALUE or a YAML/JSON file",
                              hint="write --configuration my.source_path=/data/in, or "
                                   "--configuration params.yml.")
        result[key.strip()] = setting
    return result


def _set(spark: SparkSession, key: str, value: str, previous: dict[str, str | None]) -> None:
    if key not in previous:
        previous[key] = spark.conf.get(key, None)
    try:
        spark.conf.set(key, value)
    except Exception as err:  # noqa: BLE001 - Spark's error types vary by mode
        raise ConfigError(f"configuration '{key}' cannot be set on the session: "
                          f"{str(err).strip().splitlines()[0]}",
                          hint="pipeline parameters need names of their own "
                               "(e.g. mypipeline.source_path); static Spark settings "
                               "belong on the session builder.") from err


def add_configuration(spark: SparkSession, configuration: Mapping[str, Any] | None) -> None:
    """Add a deployment file's ``configuration`` to the run in progress.

    Values the run was given explicitly (``--configuration``, ``configuration=``) win;
    everything added is restored when the run ends.

    Raises:
        ConfigError: outside a run, or Spark refuses a key.
    """
    scope = _scope.get()
    if scope is None:
        raise ConfigError("a pipeline configuration can only be added during a local run")
    explicit, previous = scope
    merged = dict(current_configuration())
    for key, value in normalize(configuration).items():
        if key in explicit:
            continue
        _set(spark, key, value, previous)
        merged[key] = value
    _current.set(merged)


_scope: ContextVar[tuple[Mapping[str, str], dict[str, str | None]] | None] = ContextVar(
    "dltflow_configuration_scope", default=None)


@contextmanager
def pipeline_configuration(spark: SparkSession, configuration: Mapping[str, Any] | None
                           ) -> Iterator[dict[str, str]]:
    """Set ``configuration`` on ``spark.conf`` for the block, then restore what was there.

    Raises:
        ConfigError: Spark refuses a key (a static setting that cannot change at run time).
    """
    settings = normalize(configuration)
    previous: dict[str, str | None] = {}
    token = _current.set(settings)
    scope_token = _scope.set((settings, previous))
    try:
        for key, value in settings.items():
            _set(spark, key, value, previous)
        yield settings
    finally:
        _scope.reset(scope_token)
        _current.reset(token)
        for key, old in previous.items():
            try:
                if old is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, old)
            except Exception:  # noqa: BLE001,S112 - restoring is best effort
                continue
