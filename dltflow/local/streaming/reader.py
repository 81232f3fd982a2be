"""Batch reads of the files a micro-batch takes, in the source's format and schema.

Sail's JSON reader cannot read a number or an object into a string column, which Auto
Loader's all-string read schema needs; on Sail such a read infers and is cast to the
requested schema (:func:`_as_schema`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.local.engines.capabilities import has_file_metadata
from dltflow.local.streaming.batch import BatchFiles, current_batch
from dltflow.local.streaming.listing import (
    FILE_PATH,
    NEWER_THAN,
    data_files,
    delta_files,
    option_value,
    source_files,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from dltflow.local.storage import Warehouse

__all__ = ["FILE_FORMATS", "read_files", "read_folder", "read_table"]

FILE_FORMATS = ("json", "csv", "parquet", "orc", "text", "binaryfile", "avro", "xml", "delta")


def _batch(spark: SparkSession, fmt: str, options: Mapping[str, str],
           schema: StructType | None, files: Sequence[str], base: str | None,
           everything: Callable[[], DataFrame]) -> DataFrame:
    """A batch read of ``files``; with none, an empty DataFrame of the source's schema
    (``everything`` tells it when no schema was given)."""
    if not files:
        known = schema if schema is not None else everything().schema
        return spark.createDataFrame([], known)
    private = (NEWER_THAN, FILE_PATH, "maxFilesPerTrigger")
    reader = spark.read.format(fmt).options(**{k: v for k, v in options.items()
                                               if k not in private})
    sail = not has_file_metadata(spark)
    sail_json = sail and fmt == "json" and schema is not None
    if schema is not None and not sail_json:
        reader = reader.schema(schema)
    if base is not None:
        reader = reader.option("basePath", base)

    def load(paths: list[str]) -> DataFrame:
        loaded: DataFrame = reader.load(paths)
        return _as_schema(loaded, schema) if sail_json and schema is not None else loaded

    path_column = options.get(FILE_PATH)
    if path_column is None:
        return load(list(files))
    from pyspark.sql import functions as F

    if sail:  # no _metadata: each file on its own, to name it
        parts = [load([path]).withColumn(path_column, F.lit("file:" + path)) for path in files]
        return functools.reduce(lambda a, b: a.unionByName(b), parts)
    return load(list(files)).withColumn(path_column, F.col("_metadata.file_path"))


def _as_schema(raw: DataFrame, schema: StructType) -> DataFrame:
    """``raw`` (read with Sail's own JSON inference) in the requested schema: Sail's JSON
    reader cannot read a number or an object into a string column (``expected string
    got 0``), which Auto Loader's all-string read schema needs. Objects and arrays
    become JSON text, as Spark reads them into a string; absent columns are NULL."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StringType, StructType

    found = {f.name: f.dataType for f in raw.schema.fields}
    columns = []
    for wanted in schema.fields:
        kind, column = found.get(wanted.name), F.col(f"`{wanted.name}`")
        if kind is None:
            columns.append(F.lit(None).cast(wanted.dataType).alias(wanted.name))
        elif isinstance(wanted.dataType, StringType) and isinstance(
                kind, (StructType, ArrayType, MapType)):
            columns.append(F.to_json(column).alias(wanted.name))
        else:
            columns.append(column.cast(wanted.dataType).alias(wanted.name))
    return raw.select(*columns)


def read_table(files: BatchFiles, warehouse: Warehouse, name: str) -> DataFrame:
    """The rows of pipeline table ``name`` that this micro-batch has not read yet."""
    version, schema = warehouse.path(name), warehouse.stored_schema(name)
    assert version is not None and schema is not None, f"table {name} is not written"
    spark = warehouse.spark
    delta = warehouse.format_of(name) == "delta"
    taken = files.take(f"table:{name}:{version.name}",
                       lambda: delta_files(version, spark) if delta else data_files(version))
    return _batch(spark, "parquet", {}, schema, taken, str(version),
                  lambda: warehouse.read(name))


def read_folder(spark: SparkSession, folder: Path, schema: StructType) -> DataFrame:
    """The new Parquet files of an engine-written folder (a checked streaming view's
    kept rows) for the micro-batch being built."""
    files = current_batch()
    assert files is not None, "read_folder outside an incremental micro-batch"
    folder.mkdir(parents=True, exist_ok=True)
    return read_files(spark, files, "parquet", str(folder), {}, schema)


def read_files(spark: SparkSession, files: BatchFiles, fmt: str, path: str,
                options: Mapping[str, str], schema: StructType | None) -> DataFrame:
    if fmt.lower() not in FILE_FORMATS:
        raise files.unsupported(f"the streaming source '{fmt}'")
    limit = option_value(options, "maxFilesPerTrigger")
    absolute = os.path.abspath(path)
    if fmt.lower() == "delta":
        taken = files.take(f"delta:{absolute}",
                           lambda: delta_files(Path(absolute), spark),
                           int(limit) if limit else None)
        return _batch(spark, "parquet", {}, schema or spark.read.format("delta").load(
            absolute).schema, taken, absolute, lambda: spark.read.format("delta").load(absolute))
    taken = files.take(f"files:{absolute}", lambda: source_files(absolute, options),
                       int(limit) if limit else None)
    base = absolute if os.path.isdir(absolute) else None

    def everything() -> DataFrame:
        result: DataFrame = spark.read.format(fmt).options(**options).load(absolute)
        return result

    return _batch(spark, fmt, options, schema, taken, base, everything)
