"""dltflow's own incremental reads: streaming flows without a streaming engine.

Structured Streaming needs ``foreachBatch``, which Sail lacks. A streaming flow gets the
same effect from batch reads of only what its sources gained since it last ran:

* a *source* is a folder of files (``spark.readStream.format("json").load(path)``,
  Auto Loader, ``readStream.format("delta")``) or a table of the pipeline
  (``dlt.read_stream("bronze")``), whose data files the engine lists: a Parquet
  version's files, a Delta version's live files from its log;
* before a micro-batch runs, the files it reads are written to the flow's *offset
  log* (``_checkpoints/<flow>/incremental/<batch>.json``); its output then commits with
  the batch id (:meth:`~dltflow.local.storage.Warehouse.commit_batch`, or a pointer
  switch with progress). A batch logged but never committed (the process died) is
  replayed with exactly its files, so nothing is read twice or skipped;
* while the flow's query is called inside :func:`reading`, ``spark.readStream`` hands
  out an :class:`IncrementalStreamReader`, and a streaming read of a dataset goes to
  :func:`read_table`: both return *batch* DataFrames of the new files only.

The flow's query therefore runs once per micro-batch, as it does under Structured
Streaming; what cannot be computed one batch at a time without state (aggregations,
``dropDuplicates``, joins of two streams) is found by :func:`stateful_operator` while
planning and refused.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from dltflow.exceptions import ConfigError, EngineUnsupported

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from dltflow.local.storage import Warehouse

__all__ = ["BatchFiles", "IncrementalStreamReader", "OffsetLog", "current_batch", "read_folder",
           "read_table", "reading", "stateful_operator"]

OFFSETS = "incremental"
"""The offset log's folder inside a flow's checkpoint folder."""
NEWER_THAN = "dltflow.newerThanMs"
"""A reader option of dltflow's own: only files modified after this instant (ms) are
new (Auto Loader's ``includeExistingFiles=false``)."""
FILE_PATH = "dltflow.filePathColumn"
"""A reader option of dltflow's own: add a column of this name holding each row's
file, on sessions without ``_metadata`` columns (Sail)."""
FILE_FORMATS = ("json", "csv", "parquet", "orc", "text", "binaryfile", "avro", "xml", "delta")
_HIDDEN = ("_", ".")

_current: ContextVar[BatchFiles | None] = ContextVar("dltflow_incremental", default=None)
_installed = False


@dataclass
class BatchFiles:
    """The files one micro-batch of a flow reads, source by source.

    Args:
        consumed: source key -> files earlier batches of the flow read.
        replay: source key -> the files of a logged batch being replayed (None: a new
            batch, which takes every file not consumed yet).
        dataset: the dataset whose flow this is (for errors).
        engine: the engine's name (for errors).
    """

    consumed: Mapping[str, frozenset[str]]
    replay: Mapping[str, Sequence[str]] | None
    dataset: str
    engine: str
    taken: dict[str, list[str]] = field(default_factory=dict)
    held_back: bool = False
    """Whether a source has more new files than its ``maxFilesPerTrigger`` let in."""

    def take(self, key: str, listing: Callable[[], list[tuple[str, float]]],
             limit: int | None = None) -> list[str]:
        """The files of source ``key`` this batch reads (oldest first)."""
        if key in self.taken:  # one source read twice in one query: the same files
            return self.taken[key]
        if self.replay is not None:
            paths = [p for p in self.replay.get(key, ()) if os.path.exists(p)]
        else:
            seen = self.consumed.get(key, frozenset())
            new = sorted((modified, path) for path, modified in listing() if path not in seen)
            if limit is not None and len(new) > limit:
                new, self.held_back = new[:limit], True
            paths = [path for _, path in new]
        self.taken[key] = paths
        return paths

    @property
    def anything(self) -> bool:
        """Whether any source gave this batch a file."""
        return any(self.taken.values())

    def unsupported(self, construct: str) -> EngineUnsupported:
        """The error for a streaming source incremental reads cannot follow."""
        return EngineUnsupported(self.engine, construct, self.dataset,
                                 reason="dltflow's incremental reads follow files and "
                                        "pipeline tables only")


class OffsetLog:
    """The files each micro-batch of one flow read, written before the batch runs.

    Args:
        folder: the log's folder (``_checkpoints/<flow>/incremental``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._read: dict[int, dict[str, list[str]]] = {}
        """Entries read so far: an entry never changes once written, and the batch
        loop asks for every earlier one again before each batch."""

    def batches(self) -> list[int]:
        """The logged batch ids, in order."""
        if not self.folder.is_dir():
            return []
        return sorted(int(p.stem) for p in self.folder.glob("*.json") if p.stem.isdigit())

    def files(self, batch: int) -> dict[str, list[str]]:
        """Source key -> the files batch ``batch`` read."""
        if batch not in self._read:
            self._read[batch] = json.loads(
                (self.folder / f"{batch}.json").read_text(encoding="utf-8"))
        return self._read[batch]

    def consumed(self, before: int) -> dict[str, frozenset[str]]:
        """Source key -> every file the batches before ``before`` read."""
        seen: dict[str, set[str]] = {}
        for batch in self.batches():
            if batch < before:
                for key, paths in self.files(batch).items():
                    seen.setdefault(key, set()).update(paths)
        return {key: frozenset(paths) for key, paths in seen.items()}

    def write(self, batch: int, taken: Mapping[str, Sequence[str]]) -> None:
        """Log batch ``batch``'s files (atomically: a reader sees all of them or none)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{batch}.{uuid.uuid4().hex}"
        entry = {k: list(v) for k, v in taken.items() if v}
        temporary.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(temporary, self.folder / f"{batch}.json")
        self._read[batch] = entry

    def next_batch(self, done: Callable[[int], bool]) -> tuple[int, dict[str, list[str]] | None]:
        """The id of the next batch and, when the last logged one never committed, its
        files to replay."""
        logged = self.batches()
        if not logged:
            return 0, None
        last = logged[-1]
        return (last + 1, None) if done(last) else (last, self.files(last))


@contextmanager
def reading(files: BatchFiles) -> Iterator[BatchFiles]:
    """Streaming reads inside the block read ``files``' new files, as batch DataFrames."""
    _install()
    token = _current.set(files)
    try:
        yield files
    finally:
        _current.reset(token)


def current_batch() -> BatchFiles | None:
    """The micro-batch whose query is being built, if any."""
    return _current.get()


# -- listing ------------------------------------------------------------------------

def data_files(root: Path) -> list[tuple[str, float]]:
    """The files Spark would read under ``root`` (none hidden, at any level), with
    their modification times."""
    found: list[tuple[str, float]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [s for s in subfolders if not s.startswith(_HIDDEN)]
        for name in names:
            if not name.startswith(_HIDDEN):
                path = os.path.join(folder, name)
                found.append((path, os.path.getmtime(path)))
    return found


def _source_files(path: str, options: Mapping[str, str]) -> list[tuple[str, float]]:
    """The files of a file source: ``path`` (a file, a folder or a glob), filtered by
    ``pathGlobFilter`` and dltflow's ``newerThan``."""
    roots = glob.glob(path) if glob.has_magic(path) else [path]
    found: list[tuple[str, float]] = []
    for root in roots:
        if os.path.isdir(root):
            found += data_files(Path(root))
        elif os.path.isfile(root):
            found.append((os.path.abspath(root), os.path.getmtime(root)))
    pattern = _option(options, "pathGlobFilter")
    if pattern:
        found = [f for f in found if fnmatch.fnmatch(os.path.basename(f[0]), pattern)]
    newer = _option(options, NEWER_THAN)
    if newer:
        found = [f for f in found if f[1] * 1000 > float(newer)]
    return found


def delta_files(table: Path, spark: SparkSession) -> list[tuple[str, float]]:
    """The live data files of a Delta table, from its log (its JSON commits, after the
    last checkpoint when the early commits were cleaned up)."""
    log = table / "_delta_log"
    live: dict[str, float] = {}
    start = 0
    if not (log / f"{0:020d}.json").exists() and (log / "_last_checkpoint").exists():
        version = int(json.loads((log / "_last_checkpoint").read_text(encoding="utf-8"))
                      ["version"])
        parts = [str(p) for p in log.glob(f"{version:020d}.checkpoint*.parquet")]
        rows = (spark.read.parquet(*parts).where("add IS NOT NULL")
                .select("add.path", "add.modificationTime").collect())
        live = {row[0]: row[1] / 1000 for row in rows}
        start = version + 1
    for entry in sorted(log.glob("*.json")):
        if not entry.stem.isdigit() or int(entry.stem) < start:
            continue
        for line in entry.read_text(encoding="utf-8").splitlines():
            action = json.loads(line) if line.strip() else {}
            if "add" in action:
                live[action["add"]["path"]] = action["add"].get("modificationTime", 0) / 1000
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return [(_delta_path(table, path), modified) for path, modified in live.items()]


def _delta_path(table: Path, path: str) -> str:
    parsed = urlparse(path)
    if parsed.scheme:
        return unquote(parsed.path)
    return str(table / unquote(path))


def option_text(value: Any) -> str:
    """A reader option's value as Spark takes it (``True`` is ``"true"``)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _option(options: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in options.items() if k.lower() == lowered), None)


# -- reading ------------------------------------------------------------------------

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


def has_file_metadata(spark: SparkSession) -> bool:
    """Whether file reads have ``_metadata`` columns (JVM Spark; not Sail)."""
    from dltflow.local.engine_support import engine_of

    return engine_of(spark) != "sail"


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
    return _read_files(spark, files, "parquet", str(folder), {}, schema)


def _read_files(spark: SparkSession, files: BatchFiles, fmt: str, path: str,
                options: Mapping[str, str], schema: StructType | None) -> DataFrame:
    if fmt.lower() not in FILE_FORMATS:
        raise files.unsupported(f"the streaming source '{fmt}'")
    limit = _option(options, "maxFilesPerTrigger")
    absolute = os.path.abspath(path)
    if fmt.lower() == "delta":
        taken = files.take(f"delta:{absolute}",
                           lambda: delta_files(Path(absolute), spark),
                           int(limit) if limit else None)
        return _batch(spark, "parquet", {}, schema or spark.read.format("delta").load(
            absolute).schema, taken, absolute, lambda: spark.read.format("delta").load(absolute))
    taken = files.take(f"files:{absolute}", lambda: _source_files(absolute, options),
                       int(limit) if limit else None)
    base = absolute if os.path.isdir(absolute) else None

    def everything() -> DataFrame:
        result: DataFrame = spark.read.format(fmt).options(**options).load(absolute)
        return result

    return _batch(spark, fmt, options, schema, taken, base, everything)


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
        if source.lower() == "cloudfiles":
            from dltflow.local.autoloader import AutoLoaderReader

            return AutoLoaderReader(self._spark)
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
        return _read_files(self._spark, self._files, fmt, str(path), self._options,
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
        from dltflow.local.registry import current_resolver

        resolver = current_resolver()
        name = resolver.lookup(tableName) if resolver is not None else None
        if resolver is not None and name is not None:
            return resolver.read(name, streaming=True)
        provider, location = _catalog_files(self._spark, tableName)
        if provider not in FILE_FORMATS or location is None:
            raise self._files.unsupported(
                f"a stream of the catalog table '{tableName}' ({provider or 'no'} files)")
        return _read_files(self._spark, self._files, provider, location, {},
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


def _wrap_read_stream(original: property) -> property:
    @functools.wraps(original.fget)  # type: ignore[arg-type]
    def read_stream(self: Any) -> Any:
        files = _current.get()
        if files is not None:
            return IncrementalStreamReader(self, files)
        return original.fget(self)  # type: ignore[misc]

    read_stream.__dltflow_patched__ = True  # type: ignore[attr-defined]
    return property(read_stream)


def _install() -> None:
    """Route ``spark.readStream`` to :class:`IncrementalStreamReader` inside
    :func:`reading` (once per process; a no-op outside it)."""
    global _installed
    if _installed:
        return
    from pyspark.sql.session import SparkSession

    sessions: list[Any] = [SparkSession]
    try:  # Spark Connect is optional (grpc may be missing)
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        sessions.append(ConnectSession)
    except ImportError:
        pass
    for cls in sessions:
        original = cls.__dict__.get("readStream")
        if isinstance(original, property) and not getattr(original.fget, "__dltflow_patched__",
                                                          False):
            cls.readStream = _wrap_read_stream(original)
    _installed = True


# -- what cannot run one batch at a time ----------------------------------------------

_CLASSIC_STATEFUL = {
    "Aggregate": "an aggregation", "Deduplicate": "dropDuplicates",
    "DeduplicateWithinWatermark": "dropDuplicatesWithinWatermark",
    "FlatMapGroupsWithState": "a stateful function (mapGroupsWithState)",
    "FlatMapGroupsInPandasWithState": "a stateful function (applyInPandasWithState)",
    "TransformWithState": "a stateful processor (transformWithState)",
    "TransformWithStateInPandas": "a stateful processor (transformWithState)",
    "Sort": "a sort", "GlobalLimit": "a limit", "LocalLimit": "a limit",
}
_CONNECT_STATEFUL = {
    "aggregate": "an aggregation", "deduplicate": "dropDuplicates",
    "group_map": "a stateful function (mapGroupsWithState)",
    "apply_in_pandas_with_state": "a stateful function (applyInPandasWithState)",
    "transform_with_state": "a stateful processor (transformWithState)",
    "sort": "a sort", "limit": "a limit", "tail": "a limit",
}


def stateful_operator(df: DataFrame | None) -> str | None:
    """The first operator of a streaming DataFrame that needs state across micro-batches
    (an aggregation, ``dropDuplicates``, a join of two streams, a sort or limit), or None.

    Incremental reads see each batch alone, so such a flow would silently compute per
    batch what Structured Streaming computes over the whole stream; the planner asks
    this once per streaming flow and the flow is refused instead.
    """
    if df is None or not df.isStreaming:
        return None
    jdf = getattr(df, "_jdf", None)
    try:
        if jdf is not None:
            return _classic_stateful(jdf.queryExecution().analyzed())
        plan = getattr(df, "_plan", None)
        if plan is None:
            return None
        return _connect_stateful(plan.to_proto(df.sparkSession.client))
    except Exception:  # noqa: BLE001 - an unreadable plan is not refused here
        return None


def _classic_stateful(node: Any) -> str | None:
    if node.isStreaming():
        kind = node.nodeName()
        if kind in _CLASSIC_STATEFUL:
            return _CLASSIC_STATEFUL[kind]
        if kind == "Join" and node.left().isStreaming() and node.right().isStreaming():
            return "a join of two streams"
    children = node.children()
    for index in range(children.size()):
        found = _classic_stateful(children.apply(index))
        if found is not None:
            return found
    return None


def _relations(message: Any) -> Iterator[Any]:
    """Every Spark Connect relation nested in ``message`` (itself included)."""
    if type(message).__name__ == "Relation":
        yield message
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        repeated = not hasattr(value, "ListFields")  # a repeated field or a map
        for item in (value.values() if hasattr(value, "values") else value) if repeated \
                else [value]:
            if hasattr(item, "ListFields"):
                yield from _relations(item)


def _streams(relation: Any) -> bool:
    return any(r.WhichOneof("rel_type") == "read" and r.read.is_streaming
               for r in _relations(relation))


def _connect_stateful(plan: Any) -> str | None:
    for relation in _relations(plan):
        kind = relation.WhichOneof("rel_type")
        if kind in _CONNECT_STATEFUL and _streams(relation):
            return _CONNECT_STATEFUL[kind]
        if kind == "join" and _streams(relation.join.left) and _streams(relation.join.right):
            return "a join of two streams"
    return None
