"""Auto Loader (``format("cloudFiles")``) during a local run, on a local folder.

Pipelines read their landing zone with
``spark.readStream.format("cloudFiles").option("cloudFiles.format", "json").load(path)``.
Spark has no ``cloudFiles`` source, so while a local run is active the ``format``
method of ``DataStreamReader`` (classic and Spark Connect) hands out an
:class:`AutoLoaderReader` for that name. Its ``load`` returns Spark's own file stream
source for ``cloudFiles.format`` (json, csv, parquet, orc, text, binaryFile) with:

* each file read once across runs (the consuming flow's checkpoint lists the files it
  has processed; a full refresh resets it, so every file is read again);
* the schema rules of :mod:`dltflow.local.databricks.autoloader_schema` (inference, hints,
  ``schemaLocation``, evolution, ``_rescued_data``);
* ``cloudFiles.includeExistingFiles=false`` (files already there when the stream
  first started are skipped), ``cloudFiles.maxFilesPerTrigger``, ``pathGlobFilter``
  and the other reader options, and the ``_metadata`` file columns, which Spark's file
  sources provide as on Databricks.

Options that only mean something on Databricks (file notifications, cloud queues,
credentials) are ignored with a warning. ``spark.read.format("cloudFiles")`` is an
error: Auto Loader is a streaming source (use ``readStream``, or a ``once`` flow).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import ConfigError
from dltflow.local.databricks import autoloader_schema as schemas
from dltflow.local.engines.capabilities import has_file_metadata
from dltflow.local.streaming.batch import current_batch
from dltflow.local.streaming.listing import FILE_PATH, NEWER_THAN, option_text
from dltflow.local.streaming.standin import register_source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = ["AutoLoaderReader", "active"]

FORMATS = ("json", "csv", "parquet", "orc", "text", "binaryfile", "avro", "xml")
_SUPPORTED = {"format", "schemalocation", "inferColumnTypes".lower(), "schemahints",
              "schemaevolutionmode", "includeexistingfiles", "maxfilespertrigger",
              "partitioncolumns", "rescueddatacolumn"}
_WARN_IGNORED = {"maxbytespertrigger", "allowoverwrites", "backfillinterval", "cleansource",
                 "uselistingonly", "useincrementallisting", "validateoptions",
                 "maxfileage", "resourcetag", "fetchparallelism", "pathrewrites",
                 "usenotifications", "usemanagedfileevents", "queueurl", "region",
                 "subscriptionid", "tenantid", "clientid", "clientsecret",
                 "connectionstring", "resourcegroup", "projectid", "client", "topic",
                 "subscription", "schemaevolutionmode.rescue", "cleansource.retentionduration"}
_state: ContextVar[Path | None] = ContextVar("dltflow_autoloader_state", default=None)
_warned: ContextVar[set[str] | None] = ContextVar("dltflow_autoloader_warned", default=None)


class AutoLoaderReader:
    """Collects ``cloudFiles`` options like a ``DataStreamReader`` and loads the stream.

    Args:
        spark: the session.
        streaming: False for ``spark.read`` (rejected at ``load``).
    """

    def __init__(self, spark: SparkSession, *, streaming: bool = True) -> None:
        self._spark = spark
        self._streaming = streaming
        self._options: dict[str, str] = {}
        self._schema: StructType | None = None

    def format(self, source: str) -> AutoLoaderReader:  # noqa: A003 - Spark's name
        if source.lower() != "cloudfiles":
            raise ConfigError(f"format('{source}') after format('cloudFiles')",
                              hint="set the file format with cloudFiles.format.")
        return self

    def option(self, key: str, value: Any) -> AutoLoaderReader:
        self._options[key] = option_text(value)
        return self

    def options(self, **options: Any) -> AutoLoaderReader:
        for key, value in options.items():
            self.option(key, value)
        return self

    def schema(self, schema: StructType | str) -> AutoLoaderReader:
        self._schema = schema if not isinstance(schema, str) else \
            self._spark.createDataFrame([], schema).schema
        return self

    def load(self, path: str | None = None, **options: Any) -> DataFrame:
        """The stream of rows of the files in ``path``.

        Raises:
            ConfigError: a batch read, no ``cloudFiles.format``, or no path.
        """
        self.options(**options)
        if not self._streaming:
            raise ConfigError("spark.read.format('cloudFiles'): Auto Loader is a streaming "
                              "source", hint="use spark.readStream.format('cloudFiles'), "
                                             "or read the files with spark.read.format('json').")
        path = path or self._options.get("path")
        if not path:
            raise ConfigError("Auto Loader needs a path: .load('/path/to/files')")
        cloud, reader = _split_options(self._options)
        fmt = cloud.get("format", "").lower()
        if fmt not in FORMATS:
            raise ConfigError(f"cloudFiles.format {cloud.get('format')!r} is not supported",
                              hint="use json, csv, parquet, orc, text or binaryFile.")
        fmt = "binaryFile" if fmt == "binaryfile" else fmt
        return _stream(self._spark, fmt, _local_path(path), cloud, reader, self._schema)


register_source("cloudFiles", AutoLoaderReader)  # incremental reads of ``cloudFiles``


def _split_options(options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    cloud: dict[str, str] = {}
    reader: dict[str, str] = {}
    for key, value in options.items():
        if not key.lower().startswith("cloudfiles."):
            if key.lower() == "rescueddatacolumn":
                cloud["rescueddatacolumn"] = value
            elif key.lower() != "path":
                reader[key] = value
            continue
        name = key[len("cloudFiles."):]
        if name.lower() in _SUPPORTED:
            cloud[name.lower() if name.lower() != "format" else "format"] = value
        elif name.lower() in _WARN_IGNORED:
            _warn(f"Auto Loader option {key} only applies on Databricks; ignored locally")
        else:
            _warn(f"Auto Loader option {key} is not known to dltflow; ignored locally")
    return cloud, reader


def _warn(message: str) -> None:
    """Warn once per run (a query runs twice: when planned and when executed)."""
    seen = _warned.get()
    if seen is not None and message in seen:
        return
    if seen is not None:
        seen.add(message)
    warnings.warn(message, UserWarning, stacklevel=5)


def _local_path(path: str) -> str:
    if path.startswith(("s3:", "s3a:", "abfss:", "gs:", "dbfs:", "wasbs:")):
        raise ConfigError(f"Auto Loader path {path} is cloud storage",
                          hint="for local runs point it at a local folder, e.g. through "
                               "--configuration my.landing_path=./data/landing.")
    return path


def _state_dir(path: str, fmt: str, cloud: dict[str, str]) -> Path | None:
    """Where this source keeps its schema (``schemaLocation``, else beside the tables)."""
    if "schemalocation" in cloud:
        return Path(_local_path(cloud["schemalocation"]))
    root = _state.get()
    if root is None:
        return None
    digest = hashlib.sha1(f"{Path(path).resolve()}|{fmt}".encode()).hexdigest()[:16]
    return root / digest


def _flag(cloud: dict[str, str], key: str, default: bool) -> bool:
    value = cloud.get(key)
    return default if value is None else value.strip().lower() == "true"


def _stream(spark: SparkSession, fmt: str, path: str, cloud: dict[str, str],
            reader: dict[str, str], given: StructType | None) -> DataFrame:
    from pyspark.sql import functions as F

    location = _state_dir(path, fmt, cloud)
    if fmt in ("text", "binaryFile"):
        choice = None
        stream_reader = spark.readStream.format(fmt).options(**reader)
    else:
        mode = cloud.get("schemaevolutionmode")
        if mode is not None and mode not in schemas.EVOLUTION_MODES:
            raise ConfigError(f"cloudFiles.schemaEvolutionMode {mode!r} is not a mode",
                              hint=f"use one of: {', '.join(schemas.EVOLUTION_MODES)}.")
        choice = schemas.choose(
            spark, fmt=fmt, path=path, options=reader, given=given,
            stored=schemas.load_stored(location),
            infer_types=_flag(cloud, "infercolumntypes", False),
            hints=cloud.get("schemahints"), mode=mode, rescue=cloud.get("rescueddatacolumn"))
        if location is not None and _state.get() is not None:
            schemas.store(location, choice.target)
        stream_reader = spark.readStream.format(fmt).options(**reader).schema(choice.read)
    if "maxfilespertrigger" in cloud:
        stream_reader = stream_reader.option("maxFilesPerTrigger", cloud["maxfilespertrigger"])
    if choice is not None and choice.rescue and current_batch() is not None:
        stream_reader = stream_reader.option(FILE_PATH, schemas.FILE_PATH)
    started = None if _flag(cloud, "includeexistingfiles", True) else _first_start(location)
    if started is not None and current_batch() is not None:
        stream_reader = stream_reader.option(NEWER_THAN, str(started))
        started = None  # dltflow's incremental reads skip the older files when listing
    df = stream_reader.load(path)
    if started is not None:
        df = df.where(F.col("_metadata.file_modification_time")
                      > F.timestamp_millis(F.lit(started)))
    if choice is not None and choice.rescue and schemas.FILE_PATH not in df.columns \
            and not has_file_metadata(spark):  # a stream only planned, not run
        df = df.withColumn(schemas.FILE_PATH, F.lit(None).cast("string"))
    return schemas.project(df, choice) if choice is not None else df


def _first_start(location: Path | None) -> int | None:
    """When this source's stream first started (ms), kept so later runs agree."""
    if location is None:
        return None
    marker = location / "_dltflow_first_start.json"
    if marker.is_file():
        return int(json.loads(marker.read_text(encoding="utf-8"))["ms"])
    if _state.get() is None:  # planning or a dry run: decide when the stream really starts
        return int(time.time() * 1000)
    location.mkdir(parents=True, exist_ok=True)
    started = int(time.time() * 1000)
    marker.write_text(json.dumps({"ms": started}), encoding="utf-8")
    return started


def wrap_format(original: Callable[..., Any], streaming: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def format(self: Any, source: str) -> Any:  # noqa: A001 - Spark's name
        if isinstance(source, str) and source.lower() == "cloudfiles" and _active.get():
            spark: Any = getattr(self, "_spark", None) or getattr(self, "_client", None)
            return AutoLoaderReader(spark, streaming=streaming)
        return original(self, source)

    return format


_active: ContextVar[bool] = ContextVar("dltflow_autoloader_active", default=False)


@contextmanager
def active(state: Path | None) -> Iterator[None]:
    """``format("cloudFiles")`` works inside the block.

    Args:
        state: where sources without ``schemaLocation`` keep their schema and start
            time (the warehouse's ``_autoloader`` folder); None for a dry run, which
            must not write anything.
    """
    token, state_token = _active.set(True), _state.set(state)
    warned_token = _warned.set(set())
    try:
        yield
    finally:
        _warned.reset(warned_token)
        _state.reset(state_token)
        _active.reset(token)
