"""The DataFrames behind a query's reads, built when the query runs.

* ``STREAM(LIVE.x)``: ``dlt.read_stream("x")`` on the active registry (x must be a
  dataset of the pipeline);
* ``STREAM(x)``: ``spark.readStream.table("x")``, which the local engine resolves to
  the pipeline's dataset ``x`` when there is one, else to the catalog table;
* ``read_files(...)``: ``spark.read`` of the files (CSV columns typed, as read_files
  infers types);
* ``STREAM read_files(...)`` and ``cloud_files(...)``: Auto Loader,
  ``spark.readStream.format("cloudFiles")``, emulated by the local engine on a folder.
  Auto Loader's own options get their ``cloudFiles.`` prefix; ``read_files`` infers
  column types unless told otherwise (Auto Loader alone reads JSON/CSV as strings).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import ConfigError
from dltflow.sql.statements import DatasetRead, FileRead

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["AUTO_LOADER_OPTIONS", "file_format", "load"]

AUTO_LOADER_OPTIONS = frozenset(o.lower() for o in (
    "allowOverwrites", "backfillInterval", "cleanSource", "includeExistingFiles",
    "inferColumnTypes", "maxBytesPerTrigger", "maxFileAge", "maxFilesPerTrigger",
    "partitionColumns", "schemaEvolutionMode", "schemaHints", "schemaLocation",
    "useIncrementalListing", "useNotifications", "useManagedFileEvents", "validateOptions",
))
"""Auto Loader options that ``read_files`` takes without their ``cloudFiles.`` prefix."""

_EXTENSIONS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet",
               ".orc": "orc", ".txt": "text", ".avro": "avro", ".xml": "xml"}


def file_format(read: FileRead) -> str:
    """The format of ``read``: as given, else from the files' extension (read_files
    detects the format itself)."""
    if read.format:
        return read.format
    path = Path(read.path)
    candidates = [path] if path.suffix else sorted(
        p for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))
    for candidate in candidates:
        if candidate.suffix.lower() in _EXTENSIONS:
            return _EXTENSIONS[candidate.suffix.lower()]
    raise ConfigError(f"read_files('{read.path}'): cannot tell the file format",
                      hint="name it: read_files(path, format => 'json').")


def _batch(spark: SparkSession, read: FileRead, fmt: str) -> DataFrame:
    options = dict(read.options)
    reader: Any = spark.read.format(fmt)
    schema = next((v for k, v in options.items() if k.lower() == "schema"), None)
    infer = next((v for k, v in options.items() if k.lower() == "infercolumntypes"), "true")
    if schema is not None:
        reader = reader.schema(schema)
    elif fmt.lower() == "csv":
        reader = reader.option("inferSchema", infer)
    for key, value in options.items():
        if key.lower() in ("schema", "infercolumntypes"):
            continue
        if key.lower() in AUTO_LOADER_OPTIONS or key.lower().startswith("cloudfiles."):
            warnings.warn(f"read_files option {key} applies to a stream; a batch read "
                          "ignores it locally", UserWarning, stacklevel=4)
            continue
        reader = reader.option(key, value)
    return reader.load(read.path)  # type: ignore[no-any-return]


def _stream(spark: SparkSession, read: FileRead, fmt: str) -> DataFrame:
    reader: Any = spark.readStream.format("cloudFiles").option("cloudFiles.format", fmt)
    given = {k.lower() for k, _ in read.options}
    if read.function == "read_files" and "infercolumntypes" not in given \
            and "cloudfiles.infercolumntypes" not in given:
        reader = reader.option("cloudFiles.inferColumnTypes", "true")
    for key, value in read.options:
        if key.lower() == "schema":
            reader = reader.schema(value)
        elif key.lower() in AUTO_LOADER_OPTIONS:
            reader = reader.option(f"cloudFiles.{key}", value)
        else:
            reader = reader.option(key, value)
    return reader.load(read.path)  # type: ignore[no-any-return]


def load(read: DatasetRead | FileRead, spark: SparkSession) -> DataFrame:
    """The DataFrame ``read`` stands for (call inside a dataset's query)."""
    if isinstance(read, DatasetRead):
        if read.live:
            from dltflow.graph.api import read_stream

            return read_stream(read.name)
        return spark.readStream.table(read.name)
    fmt = file_format(read)
    return _stream(spark, read, fmt) if read.streaming else _batch(spark, read, fmt)
