"""The ``spark.readStream`` stand-in: while a micro-batch's query is built (inside
:func:`reading`), ``spark.readStream`` hands out an :class:`IncrementalStreamReader`,
which collects the source like a ``DataStreamReader`` and returns a *batch* DataFrame
of only the files this batch reads.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from dltflow.exceptions import ConfigError
from dltflow.local.plan.registry import current_resolver
from dltflow.local.streaming.batch import BatchFiles, building, current_batch
from dltflow.local.streaming.listing import option_text
from dltflow.local.streaming.reader import FILE_FORMATS, read_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = ["IncrementalStreamReader", "reading", "register_source"]

_SOURCES: dict[str, Callable[[SparkSession], Any]] = {}


def register_source(name: str, reader: Callable[[SparkSession], Any]) -> None:
    """Hand out ``reader(spark)`` for ``readStream.format(name)`` in a micro-batch.

    A source dltflow emulates (Auto Loader's ``cloudFiles``) registers itself here when
    its module is imported, so the stand-in needs no import of the emulation.
    """
    _SOURCES[name.lower()] = reader


@contextmanager
def reading(files: BatchFiles) -> Iterator[BatchFiles]:
    """Streaming reads inside the block read ``files``' new files, as batch DataFrames."""
    with building(files):
        yield files


class IncrementalStreamReader:
    """``spark.readStream`` while a micro-batch's query is built: it collects the source
    like a ``DataStreamReader`` and loads only the files this batch reads.

    Args:
        spark: the session.
        files: the micro-batch being built.
    """

    def __init__(self, spark: SparkSession, files: BatchFiles) -> None:
        self._spark = spark
        self._files = files
        self._format: str | None = None
        self._options: dict[str, str] = {}
        self._schema: StructType | None = None

    def format(self, source: str) -> Any:  # noqa: A003 - Spark's name
        named = _SOURCES.get(source.lower())
        if named is not None:
            return named(self._spark)
        self._format = source
        return self

    def option(self, key: str, value: Any) -> IncrementalStreamReader:
        self._options[key] = option_text(value)
        return self

    def options(self, **options: Any) -> IncrementalStreamReader:
        for key, value in options.items():
            if value is not None:
                self.option(key, value)
        return self

    def schema(self, schema: StructType | str) -> IncrementalStreamReader:
        self._schema = schema if not isinstance(schema, str) else \
            self._spark.createDataFrame([], schema).schema
        return self

    def load(self, path: str | None = None, format: str | None = None,  # noqa: A002
             schema: StructType | str | None = None, **options: Any) -> DataFrame:
        if format is not None:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self.options(**options)
        fmt = self._format or str(self._spark.conf.get("spark.sql.sources.default",
                                                       "parquet"))
        path = path or self._options.pop("path", None)
        if not path:
            raise self._files.unsupported(f"the streaming source '{fmt}'")
        if isinstance(path, (list, tuple)):
            raise ConfigError("readStream.load() takes one path",
                              hint="give one folder (or a glob) per stream.")
        return read_files(self._spark, self._files, fmt, str(path), self._options,
                           self._schema)

    def _shorthand(self, fmt: str, path: str, schema: StructType | str | None,
                   options: dict[str, Any]) -> DataFrame:
        return self.load(path, format=fmt, schema=schema, **options)

    def json(self, path: str, schema: Any = None, **options: Any) -> DataFrame:
        return self._shorthand("json", path, schema, options)

    def csv(self, path: str, schema: Any = None, **options: Any) -> DataFrame:
        return self._shorthand("csv", path, schema, options)

    def parquet(self, path: str, **options: Any) -> DataFrame:
        return self._shorthand("parquet", path, None, options)

    def orc(self, path: str, **options: Any) -> DataFrame:
        return self._shorthand("orc", path, None, options)

    def text(self, path: str, **options: Any) -> DataFrame:
        return self._shorthand("text", path, None, options)

    def table(self, tableName: str) -> DataFrame:  # noqa: N803 - Spark's name
        resolver = current_resolver()
        name = resolver.lookup(tableName) if resolver is not None else None
        if resolver is not None and name is not None:
            return resolver.read(name, streaming=True)
        provider, location = _catalog_files(self._spark, tableName)
        if provider not in FILE_FORMATS or location is None:
            raise self._files.unsupported(
                f"a stream of the catalog table '{tableName}' ({provider or 'no'} files)")
        return read_files(self._spark, self._files, provider, location, {},
                           self._spark.read.table(tableName).schema)


def _catalog_files(spark: SparkSession, name: str) -> tuple[str | None, str | None]:
    """A catalog table's format and folder (``DESCRIBE TABLE EXTENDED``), so a stream of
    it is read like any folder of files (``spark.readStream.table("cdc_data.users")``)."""
    quoted = name if "`" in name else ".".join(f"`{part}`" for part in name.split("."))
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {quoted}").collect()
    found = {str(row[0]).strip(): str(row[1]).strip() for row in rows if row[0]}
    location = found.get("Location")
    if location is not None:
        parsed = urlparse(location)
        location = os.path.abspath(unquote(parsed.path) if parsed.scheme else location)
    provider = found.get("Provider")
    return (provider.lower() if provider else None), location


def wrap_read_stream(original: property) -> property:
    @functools.wraps(original.fget)  # type: ignore[arg-type]
    def read_stream(self: Any) -> Any:
        files = current_batch()
        if files is not None:
            return IncrementalStreamReader(self, files)
        return original.fget(self)  # type: ignore[misc]

    return property(read_stream)
