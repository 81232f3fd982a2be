"""The warehouse layout: Parquet (or Delta) tables in versioned folders behind a pointer file.

The schema's folder, ``<warehouse>/<schema>/``, holds a folder per table and
``_dltflow_engines.json``, the engines that have written them (:func:`writers`).

Layout of one table, ``<warehouse>/<schema>/<name>/``::

    _dltflow.json          pointer + metadata: current version, schema, kind, ...
    v00003-1a2b3c4d/       the current version (Parquet files)
    _checkpoints/<flow>/   Structured Streaming checkpoints of the flows into it
    _batches/<flow>/<id>   micro-batches already appended (exactly-once on retries)
    _staging/              versions and batches being written
    _commits/<flow>/<key>  batches committed but not yet fully moved into the table

This module knows where things are and reads them; publishing a version is
:mod:`.warehouse`, the commit and recovery protocol of appended batches
:mod:`.commits`, catalog registration :mod:`.catalog`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.configfile import check_path_text
from dltflow.exceptions import InvalidNameError, UnsafePathError
from dltflow.graph.names import validate_name, validate_name_part
from dltflow.local.engines.capabilities import FORMATS
from dltflow.local.storage.safepath import child, inside

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

META_FILE = "_dltflow.json"
WRITERS_FILE = "_dltflow_engines.json"
"""In a schema's folder: the engines that have written its tables (see :func:`writers`)."""
_SKIP_ON_MOVE = ("_SUCCESS", "_committed", "_started")
_VERSION = re.compile(r"[vs]\d{5}-[0-9a-f]{8}")
_OWNED_FOLDERS = ("_checkpoints", "_batches", "_staging", "_commits")
"""Folders the engine keeps in a table's folder besides its versions; full refresh
deletes these, the versions and the pointer file, and nothing else."""
VIEW_ROWS = "_view_rows"
"""The folder of a streaming view's checked rows (:mod:`dltflow.local.execution.stream_views`)."""
_DESTINATION = "_destination"
"""In a commit folder: the folder (relative to the table's) its files go to."""
ONCE = "once"
"""The commit key of a ``once=True`` flow's single batch."""


def _quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


class TableLayout:
    """Where the tables of one target schema live under a warehouse folder, and their
    pointer files.

    Args:
        spark: the session whose catalog publishes the tables.
        root: the warehouse folder (created when missing).
        schema: the catalog schema (database) the tables are registered in.
        format: ``parquet`` or ``delta``: how new versions are written.
    """

    def __init__(self, spark: SparkSession, root: Path | str, schema: str = "default", *,
                 format: str = "parquet") -> None:  # noqa: A002 - Spark's own word
        check_path_text(root, field="warehouse")
        assert format in FORMATS, f"unknown table format {format!r}"
        self.format = format
        self.spark = spark
        self.root = Path(root).resolve()
        self.schema = validate_name_part(schema, role="schema")
        self.folder = inside(self.root, self.root / schema)

    # -- paths --------------------------------------------------------------------

    @property
    def scratch(self) -> Path:
        """The engine's scratch folder (planning frames, staged verdicts)."""
        return self.root / "_scratch"

    def table_dir(self, name: str) -> Path:
        """The folder holding every version and checkpoint of ``name``."""
        return child(self.root, self.folder, validate_name(name), action="write")

    def _inside(self, path: Path, action: str) -> Path:
        return inside(self.root, path, action=action)

    def _version_dir(self, name: str, version: str) -> Path:
        """A version folder named in the pointer file, refused unless the engine could
        have written that name (a hand-edited pointer never leads outside)."""
        if not _VERSION.fullmatch(version):
            raise UnsafePathError(str(self.table_dir(name) / version), str(self.root),
                                  action="use", reason="it is not a version the engine wrote")
        return self.table_dir(name) / version

    # -- metadata -----------------------------------------------------------------

    def meta(self, name: str) -> dict[str, Any]:
        """The table's pointer file, or ``{}`` when it was never written."""
        path = self.table_dir(name) / META_FILE
        if not path.exists():
            return {}
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return result

    def _write_meta(self, name: str, meta: dict[str, Any]) -> None:
        folder = self.table_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = self._inside(folder / f".{META_FILE}.{uuid.uuid4().hex}", "write")
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(tmp, folder / META_FILE)  # atomic switch of the pointer

    def record_writer(self, engine: str, *, afresh: bool = False) -> None:
        """Note that ``engine`` writes this schema's tables (before it writes any);
        ``afresh``: it rewrites all of them (a full refresh), so only it is noted."""
        known = writers(self.folder) or frozenset()
        wanted = frozenset({engine}) if afresh else known | {engine}
        if wanted == known:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._inside(self.folder / f".{WRITERS_FILE}.{uuid.uuid4().hex}", "write")
        tmp.write_text(json.dumps(sorted(wanted)), encoding="utf-8")
        os.replace(tmp, self.folder / WRITERS_FILE)

    def exists(self, name: str, slot: str = "current") -> bool:
        """Whether ``name`` has a published version (``slot`` = ``state`` for CDC state)."""
        return bool(self.meta(name).get(slot))

    def path(self, name: str, slot: str = "current") -> Path | None:
        """The folder of the published version, or None."""
        version = self.meta(name).get(slot)
        return self._version_dir(name, version) if version else None

    def stored_schema(self, name: str, slot: str = "current") -> StructType | None:
        """The schema recorded with the published version."""
        from pyspark.sql.types import StructType

        raw = self.meta(name).get(f"{slot}_schema")
        return StructType.fromJson(json.loads(raw)) if raw else None

    def format_of(self, name: str, slot: str = "current") -> str:
        """The format the published version was written in (``parquet`` before formats
        were recorded)."""
        return str(self.meta(name).get(f"{slot}_format", "parquet"))

    # -- reading ------------------------------------------------------------------

    def read(self, name: str, *, streaming: bool = False, slot: str = "current") -> DataFrame:
        """The published version as a (streaming) DataFrame, with its recorded schema."""
        path, schema = self.path(name, slot), self.stored_schema(name, slot)
        if path is None or schema is None:
            raise FileNotFoundError(f"table {self.schema}.{name} has not been written yet")
        reader: Any = self.spark.readStream if streaming else self.spark.read
        if self.format_of(name, slot) == "delta":  # Delta knows its schema
            result: DataFrame = reader.format("delta").load(str(path))
        else:
            result = reader.schema(schema).parquet(str(path))
        return result

    # -- writing ------------------------------------------------------------------

    def save(self, writer: Any, path: Path, *, into: str | None = None) -> None:
        """Write with ``writer`` (a ``DataFrameWriter``) to ``path`` in this warehouse's
        format, or, for a batch committed ``into`` a table, in that table's format."""
        writer.format(self.write_format(into)).save(str(path))

    def write_format(self, into: str | None = None) -> str:
        """The format :meth:`save` writes in."""
        return self.format_of(into) if into is not None and self.exists(into) else self.format

    def staging(self, name: str) -> Path:
        """A fresh, not yet existing folder to write a version or a batch into."""
        return self.table_dir(name) / "_staging" / uuid.uuid4().hex

    @contextmanager
    def staged(self, name: str) -> Iterator[Path]:
        """A fresh staging folder for ``name``, removed again if the block raises, so a
        failed write never leaves a half-written version behind."""
        path = self.staging(name)
        try:
            yield path
        except BaseException:
            self.discard(path)
            raise

    def discard(self, staged: Path) -> None:
        """Forget a staged version or batch that must not be published."""
        shutil.rmtree(self._inside(staged, "delete"), ignore_errors=True)

    # -- streaming bookkeeping ----------------------------------------------------

    def checkpoint(self, name: str, flow: str) -> Path:
        """The checkpoint folder of ``flow`` writing into ``name``."""
        return self._inside(self.table_dir(name) / "_checkpoints" / validate_name(
            flow, role="flow"), "write")

    @staticmethod
    def _owned(folder: Path) -> bool:
        """Whether ``folder`` holds a pointer file the engine wrote."""
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(meta, dict) and "sequence" in meta

def writers(folder: Path) -> frozenset[str] | None:
    """The engines that have written the tables of the schema ``folder``, or None for a
    warehouse from before they were recorded.

    A Parquet table does not say who wrote it, and engines read each other's tables
    only partly (JVM Spark reads no Delta without delta-spark; Sail reads the INT96
    timestamps JVM Spark writes as ``timestamp_ntz``), so ``--engine auto`` asks this.
    """
    try:
        names = json.loads((folder / WRITERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(names, list):
        return None
    return frozenset(n for n in names if isinstance(n, str))


def _is_name(folder_name: str) -> bool:
    """Whether a folder found in the schema folder can be a table's (others are ignored)."""
    try:
        validate_name(folder_name)
    except InvalidNameError:
        return False
    return True
