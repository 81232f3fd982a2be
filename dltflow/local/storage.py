"""The local warehouse: Parquet (or Delta) tables in versioned folders behind a pointer file.

Layout of one table, ``<warehouse>/<schema>/<name>/``::

    _dltflow.json          pointer + metadata: current version, schema, kind, ...
    v00003-1a2b3c4d/       the current version (Parquet files)
    _checkpoints/<flow>/   Structured Streaming checkpoints of the flows into it
    _batches/<flow>/<id>   micro-batches already appended (exactly-once on retries)
    _staging/              versions and batches being written
    _commits/<flow>/<key>  batches committed but not yet fully moved into the table

A rewrite writes a *new* version folder, then atomically replaces the pointer file
and re-registers ``<schema>.<name>`` in the session catalog; only then are older
versions deleted. A failure before the switch leaves the previous version readable.
A CDC target's state and the table it shows switch in that same pointer write, with
the micro-batch that produced them, so state, table and progress never disagree.

Streaming tables append, exactly once whatever instant the process dies:

1. the micro-batch is written to ``_staging`` and checked (a crash: staging is junk);
2. the staged folder is renamed to ``_commits/<flow>/<batch>`` (the commit point);
3. its files are moved (renamed, so readers never see a partial file) into the
   current version; 4. the batch is marked done; 5. the commit folder is removed.

A crash after step 2 is rolled *forward* by :meth:`Warehouse.recover` at the start of
the next run (the rest of the files moved, the batch marked), so when Structured
Streaming replays the uncheckpointed batch, it is found done and skipped. Every step
calls :func:`~dltflow.local.failpoints.reached`, so tests kill the process at each.

Table format: ``Warehouse(format=...)`` writes new versions as Parquet (the default;
JVM Spark needs no Delta jars) or as Delta tables (the Sail engine's default, and JVM
Spark with delta-spark configured), so local tables can be read by Delta tools. The
pointer file records each version's format, so versions of earlier runs in the other
format stay readable; a CDC target's state is always Parquet (only the engine reads
it). A batch committed into a Delta version is appended by a Delta commit, not by
moving files; that commit is tagged with the flow and batch, so recovery repeating
it after a crash finds the tag in the Delta log and does not append it twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.configfile import check_path_text
from dltflow.exceptions import InvalidNameError, UnsafePathError
from dltflow.graph.names import validate_name, validate_name_part
from dltflow.local.failpoints import reached
from dltflow.local.safepath import inside

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

META_FILE = "_dltflow.json"
_SKIP_ON_MOVE = ("_SUCCESS", "_committed", "_started")
_VERSION = re.compile(r"[vs]\d{5}-[0-9a-f]{8}")
_OWNED_FOLDERS = ("_checkpoints", "_batches", "_staging", "_commits")
"""Folders the engine keeps in a table's folder besides its versions; full refresh
deletes these, the versions and the pointer file, and nothing else."""
VIEW_ROWS = "_view_rows"
"""The folder of a streaming view's checked rows (:mod:`dltflow.local.stream_views`)."""
_DESTINATION = "_destination"
"""In a commit folder: the folder (relative to the table's) its files go to."""
ONCE = "once"
"""The commit key of a ``once=True`` flow's single batch."""
FORMATS = ("parquet", "delta")


def _quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def _ddl(schema: StructType) -> str:
    return ", ".join(f"{_quote(f.name)} {f.dataType.simpleString()}" for f in schema.fields)


class Warehouse:
    """Tables of one target schema under a warehouse folder.

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
        return self._inside(self.folder / validate_name(name), "write")

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
        chosen = self.format_of(into) if into is not None and self.exists(into) else self.format
        writer.format(chosen).save(str(path))

    def staging(self, name: str) -> Path:
        """A fresh, not yet existing folder to write a version or a batch into."""
        return self.table_dir(name) / "_staging" / uuid.uuid4().hex

    def publish(self, name: str, staged: Path, schema: StructType, *, slot: str = "current",
                partition_cols: tuple[str, ...] = (), register: bool = True,
                progress: tuple[str, int] | None = None) -> Path:
        """Make ``staged`` the published version of ``name`` and drop older versions."""
        return self.publish_versions(name, {slot: (staged, schema)},
                                     partition_cols=partition_cols, register=register,
                                     progress=progress)[slot]

    def publish_versions(self, name: str, versions: Mapping[str, tuple[Path, StructType]], *,
                         partition_cols: tuple[str, ...] = (), register: bool = True,
                         progress: tuple[str, int] | None = None) -> dict[str, Path]:
        """Publish staged folders as the versions of their slots in *one* pointer switch.

        Args:
            name: the table.
            versions: slot (``current``, ``state``) -> (staged folder, its schema).
            partition_cols: the table's partition columns.
            register: (re-)register the table in the catalog (False: a temporary table).
            progress: ``(flow, batch_id)`` recorded as done in the same switch, so the
                data and the micro-batch that produced it commit together.

        Returns:
            slot -> the folder of its new version.
        """
        reached("publish.staged", name)
        meta = self.meta(name)
        sequence = int(meta.get("sequence", 0))
        targets: dict[str, Path] = {}
        replaced = []
        for slot, (staged, schema) in versions.items():
            sequence += 1
            prefix = "v" if slot == "current" else "s"
            version = f"{prefix}{sequence:05d}-{uuid.uuid4().hex[:8]}"
            target = self.table_dir(name) / version
            written = self.format if slot == "current" else "parquet"  # CDC state: internal
            if staged.exists():
                os.replace(self._inside(staged, "move"), target)
            elif written == "delta":  # an empty Delta table still records its schema
                self.spark.createDataFrame([], schema).write.format("delta").partitionBy(
                    *partition_cols).save(str(target))
            else:  # nothing was written (empty input): an empty version is still a version
                target.mkdir(parents=True)
            if meta.get(slot):
                replaced.append(meta[slot])
            meta.update({slot: version, f"{slot}_schema": schema.json(),
                         f"{slot}_format": written})
            targets[slot] = target
        reached("publish.renamed", name)
        meta.update(sequence=sequence, partition_cols=list(partition_cols))
        if "current" in versions:
            meta["temporary"] = not register
        if progress is not None:
            flow, batch_id = progress
            meta.setdefault("progress", {})[flow] = int(batch_id)
        self._write_meta(name, meta)
        reached("publish.switched", name)
        if "current" in versions and register:
            self.register(name)
        for version in replaced:
            shutil.rmtree(self._version_dir(name, version), ignore_errors=True)
        return targets

    def ensure(self, name: str, schema: StructType, *,
               partition_cols: tuple[str, ...] = (), register: bool = True) -> Path:
        """The current version folder of a streaming table, created empty when missing."""
        current = self.path(name)
        if current is not None and current.exists():
            self._add_columns(name, schema, register)
            return current
        return self.publish(name, self.staging(name), schema, partition_cols=partition_cols,
                            register=register)

    def _add_columns(self, name: str, schema: StructType, register: bool) -> None:
        """Schema evolution of a streaming table: columns its flows now return are added
        (older files read them as NULL), as DLT does when a source gains columns."""
        from pyspark.sql.types import StructType

        stored = self.stored_schema(name)
        if stored is None:
            return
        known = {f.name for f in stored.fields}
        new = [f for f in schema.fields if f.name not in known]
        if not new:
            return
        meta = self.meta(name)
        meta["current_schema"] = StructType(list(stored.fields) + new).json()
        self._write_meta(name, meta)
        if register:
            self.register(name)

    def commit_batch(self, name: str, flow: str, key: str, staged: Path,
                     into: Path | None = None) -> None:
        """Add a staged batch's files to ``name`` exactly once (see the module's protocol).

        Args:
            name: the table (or streaming view) the batch belongs to.
            flow: the flow that produced it.
            key: the micro-batch id, :data:`ONCE` for a ``once=True`` flow, or any other
                unique key for a batch that is not tracked.
            staged: the folder the batch was written to.
            into: where its files go; the table's current version by default.
        """
        reached("append.staged", name)
        commit = self._commit_dir(name, flow, key)
        if commit.exists():  # committed by a run that died; recovery normally finished it
            self.discard(staged)
        else:
            destination = into if into is not None else self.path(name)
            assert destination is not None, f"streaming table {name} must exist before appending"
            staged.mkdir(parents=True, exist_ok=True)  # an empty batch may write nothing
            relative = self._inside(destination, "write").relative_to(self.table_dir(name))
            (staged / _DESTINATION).write_text(str(relative), encoding="utf-8")
            commit.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._inside(staged, "move"), commit)  # the commit point
            reached("append.committed", name)
        self._finish_commit(name, commit)

    def _commit_dir(self, name: str, flow: str, key: str) -> Path:
        folder = self.table_dir(name) / "_commits" / validate_name(flow, role="flow")
        return self._inside(folder / validate_name_part(key, role="batch"), "write")

    def _finish_commit(self, name: str, commit: Path) -> None:
        """Move what is left of a committed batch into its destination, mark the batch
        done, then forget the commit; safe to repeat after a crash at any step."""
        manifest = commit / _DESTINATION
        target = self._commit_destination(name, manifest)
        if target is not None:
            files = [f for f in sorted(commit.rglob("*")) if f.is_file() and f != manifest
                     and not f.name.startswith(_SKIP_ON_MOVE)]
            if (target / "_delta_log").is_dir():  # a Delta commit, not a move of files
                files = []
                if (commit / "_delta_log").is_dir():
                    self._delta_append(commit, target, commit.parent.name, commit.name)
            for moved, source in enumerate(files):
                destination = self._inside(target / source.relative_to(commit), "write")
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, destination)
                if moved == 0:
                    reached("append.moving", name)
            reached("append.moved", name)
            self._mark_done(name, commit.parent.name, commit.name)
            reached("append.marked", name)
        shutil.rmtree(self._inside(commit, "delete"), ignore_errors=True)
        with suppress(OSError):  # the flow's folder, once its last commit is gone
            commit.parent.rmdir()

    def _delta_append(self, commit: Path, target: Path, flow: str, key: str) -> None:
        """Append a committed batch to a Delta version with one Delta commit, tagged
        (``userMetadata``) with the flow and batch; a tag already in the table's log
        means an earlier attempt appended it before a crash, so it is not appended
        again (Delta's ``txnAppId`` would do this on JVM Spark, but Sail ignores it)."""
        tag = f"dltflow batch {flow} {key}"
        if self._delta_tagged(target, tag):
            return
        (self.spark.read.format("delta").load(str(commit)).write.format("delta")
         .option("userMetadata", tag).mode("append").save(str(target)))

    @staticmethod
    def _delta_tagged(table: Path, tag: str) -> bool:
        """Whether a commit in ``table``'s Delta log carries ``tag`` as its userMetadata."""
        for entry in sorted((table / "_delta_log").glob("*.json")):
            for line in entry.read_text(encoding="utf-8").splitlines():
                if tag in line and json.loads(line).get("commitInfo", {}).get(
                        "userMetadata") == tag:
                    return True
        return False

    def _commit_destination(self, name: str, manifest: Path) -> Path | None:
        """Where a committed batch goes, or None when that folder is gone (a full
        refresh replaced the version it was appended to: it must not be applied)."""
        try:
            relative = manifest.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if relative == VIEW_ROWS:
            folder = self.table_dir(name) / VIEW_ROWS
            return folder if folder.is_dir() else None
        current = self.meta(name).get("current")
        return self._version_dir(name, relative) if relative == current else None

    def _mark_done(self, name: str, flow: str, key: str) -> None:
        if key == ONCE:
            self.mark_once(name, flow)
        elif key.isdigit():
            self.mark_batch(name, flow, int(key))

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

    def batch_done(self, name: str, flow: str, batch_id: int) -> bool:
        """Whether micro-batch ``batch_id`` of ``flow`` was already applied: appended
        (a marker) or published with the table's pointer (its recorded progress)."""
        done = self.meta(name).get("progress", {}).get(flow)
        return (done is not None and int(batch_id) <= int(done)) or \
            self._batch_marker(name, flow, batch_id).exists()

    def mark_batch(self, name: str, flow: str, batch_id: int) -> None:
        """Record that micro-batch ``batch_id`` of ``flow`` was appended."""
        marker = self._batch_marker(name, flow, batch_id)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()

    def _batch_marker(self, name: str, flow: str, batch_id: int) -> Path:
        folder = self.table_dir(name) / "_batches" / validate_name(flow, role="flow")
        return self._inside(folder / str(int(batch_id)), "write")

    def once_done(self, name: str, flow: str) -> bool:
        """Whether the ``once=True`` flow ``flow`` has already run into ``name``."""
        return flow in self.meta(name).get("once", [])

    def mark_once(self, name: str, flow: str) -> None:
        """Remember that the ``once=True`` flow ``flow`` ran."""
        meta = self.meta(name)
        meta["once"] = sorted(set(meta.get("once", [])) | {flow})
        self._write_meta(name, meta)

    def reset(self, name: str) -> None:
        """Full refresh: delete the table, its state and its checkpoints.

        Only what the engine wrote goes: the pointer file, version folders and the
        engine's own folders. A folder at the table's path without a pointer file is
        not the engine's and is refused; unknown files in a table folder are kept.

        Raises:
            UnsafePathError: the folder exists but the engine did not create it.
        """
        folder = self.table_dir(name)
        if not folder.exists():
            return
        if not self._owned(folder):
            if any(folder.iterdir()):
                raise UnsafePathError(str(folder), str(self.root), action="full-refresh",
                                      reason="the folder was not created by dltflow "
                                             f"(it has no {META_FILE})")
            folder.rmdir()
            return
        self.unregister(name)
        for entry in sorted(folder.iterdir()):
            if entry.name in _OWNED_FOLDERS or (entry.is_dir() and _VERSION.fullmatch(
                    entry.name)):
                shutil.rmtree(self._inside(entry, "delete"), ignore_errors=True)
        for entry in folder.glob(f".{META_FILE}.*"):  # pointer files a crash left behind
            self._inside(entry, "delete").unlink(missing_ok=True)
        (folder / META_FILE).unlink(missing_ok=True)  # last: the folder is ours until now
        if not any(folder.iterdir()):
            folder.rmdir()

    def recover(self) -> Counter[str]:
        """Finish or remove what a run killed mid-write left in this schema's tables.

        Committed batches are rolled forward (moved in, marked done); staged writes
        (and staged verdicts in the scratch folder), versions no pointer names and
        temporary pointer files are deleted. Only
        folders holding nothing but the engine's own entries are touched.

        Returns:
            What was done: ``batches committed``, ``staged writes removed``,
            ``orphan versions removed`` -> how many (empty when nothing was left).
        """
        done: Counter[str] = Counter()
        for verdicts in sorted(self.scratch.glob("verdicts-*")):  # counting without Observation
            shutil.rmtree(self._inside(verdicts, "delete"), ignore_errors=True)
            done["staged writes removed"] += 1
        if not self.folder.is_dir():
            return done
        for folder in sorted(self.folder.iterdir()):
            if folder.is_dir() and _is_name(folder.name) and self._engine_folder(folder):
                self._recover_table(folder, done)
        return done

    def _recover_table(self, folder: Path, done: Counter[str]) -> None:
        name = folder.name
        for commit in sorted((folder / "_commits").glob("*/*")):
            if commit.is_dir():
                self._finish_commit(name, commit)
                done["batches committed"] += 1
        for staged in sorted((folder / "_staging").glob("*")):
            shutil.rmtree(self._inside(staged, "delete"), ignore_errors=True)
            done["staged writes removed"] += 1
        meta = self.meta(name) if (folder / META_FILE).exists() else {}
        published = {meta.get("current"), meta.get("state")}
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and _VERSION.fullmatch(entry.name) and entry.name not in published:
                shutil.rmtree(self._inside(entry, "delete"), ignore_errors=True)
                done["orphan versions removed"] += 1
        for temporary in folder.glob(f".{META_FILE}.*"):
            self._inside(temporary, "delete").unlink(missing_ok=True)

    def _engine_folder(self, folder: Path) -> bool:
        """Whether every entry of ``folder`` is one the engine writes (so recovery may
        clean it even before its first pointer file exists)."""
        if self._owned(folder):
            return True
        return all(entry.name in (*_OWNED_FOLDERS, VIEW_ROWS) or _VERSION.fullmatch(entry.name)
                   or entry.name.startswith(f".{META_FILE}.") for entry in folder.iterdir())

    @staticmethod
    def _owned(folder: Path) -> bool:
        """Whether ``folder`` holds a pointer file the engine wrote."""
        try:
            meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(meta, dict) and "sequence" in meta

    # -- catalog ------------------------------------------------------------------

    def _qualified(self, name: str) -> str:
        return f"{_quote(self.schema)}.{_quote(name)}"

    def ensure_schema(self) -> None:
        """Create the target schema in the session catalog when it is missing."""
        if self._jvm_catalog is not None:
            exists = bool(self._jvm_catalog[0].databaseExists(self.schema))
        else:
            exists = bool(self.spark.catalog.databaseExists(self.schema))
        if not exists:  # a lookup costs less than DDL
            self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {_quote(self.schema)}")

    def register(self, name: str) -> None:
        """(Re-)point ``<schema>.<name>`` at the current version."""
        path, schema = self.path(name), self.stored_schema(name)
        if path is None or schema is None or not schema.fields:
            return  # nothing to publish yet (a flow-only table before its first batch)
        partition_cols = self.meta(name).get("partition_cols") or []
        qualified = self._qualified(name)
        location = str(path).replace("\\", "\\\\").replace("'", "\\'")
        if self._relocatable(name, schema, partition_cols):
            self.spark.sql(f"ALTER TABLE {qualified} SET LOCATION '{location}'")
            return
        self.spark.sql(f"DROP TABLE IF EXISTS {qualified}")
        partitioned = (f" PARTITIONED BY ({', '.join(map(_quote, partition_cols))})"
                       if partition_cols else "")
        if self.format_of(name) == "delta":  # the log holds the schema (and nullability)
            self.spark.sql(f"CREATE TABLE {qualified} USING delta LOCATION '{location}'")
            return
        self.spark.sql(f"CREATE TABLE {qualified} ({_ddl(schema)}) USING parquet"
                       f"{partitioned} LOCATION '{location}'")
        if partition_cols:
            self.spark.sql(f"ALTER TABLE {qualified} RECOVER PARTITIONS")

    @cached_property
    def _jvm_catalog(self) -> tuple[Any, Any, Any] | None:
        """A classic session's catalog and the classes naming its tables, through py4j
        (looked up once: each step of a JVM class path is a round trip); None on Spark
        Connect."""
        jsession = getattr(self.spark, "_jsparkSession", None)
        jvm = getattr(self.spark, "_jvm", None)
        if jsession is None or jvm is None:
            return None
        return (jsession.sessionState().catalog(),
                jvm.org.apache.spark.sql.catalyst.TableIdentifier, jvm.scala.Some)

    def _session_catalog(self, name: str) -> tuple[Any, Any] | None:
        """A classic session's catalog and the identifier of ``name`` in it, or None on
        Spark Connect. Asking it directly costs a fraction of what the ``spark.catalog``
        API does (that parses and resolves the name first)."""
        if self._jvm_catalog is None:
            return None
        catalog, table_identifier, some = self._jvm_catalog
        return catalog, table_identifier(name, some(self.schema))

    def _in_catalog(self, name: str) -> bool:
        """Whether ``<schema>.<name>`` is a table of the session catalog."""
        found = self._session_catalog(name)
        if found is None:
            return bool(self.spark.catalog.tableExists(f"{self.schema}.{name}"))
        catalog, ident = found
        return bool(catalog.tableExists(ident))

    def _relocatable(self, name: str, schema: StructType, partition_cols: list[str]) -> bool:
        """Whether the catalog entry of ``name`` is exactly the one :meth:`register` would
        create for ``schema`` but for its location, so moving it there is enough.

        ``ALTER TABLE ... SET LOCATION`` resolves the table once; ``DROP`` and ``CREATE``
        resolve it twice (the old and the new location) and leave a moment without the
        table. Only a classic session shows its catalog entries cheaply (through py4j),
        and only an unpartitioned Parquet table is moved (partitions are registered with
        locations of their own, a Delta table's entry belongs to Delta's catalog); any
        other case, and anything unexpected, is re-created as before.
        """
        if partition_cols or self.format_of(name) != "parquet":
            return False
        from pyspark.sql.types import StructType

        try:
            found = self._session_catalog(name)
            if found is None:
                return False
            catalog, ident = found
            if not catalog.tableExists(ident):
                return False
            entry = catalog.getTableMetadata(ident)
            provider = entry.provider()
            if (entry.tableType().name() != "EXTERNAL" or not provider.isDefined()
                    or str(provider.get()).lower() != "parquet"
                    or not entry.partitionColumnNames().isEmpty()
                    or entry.bucketSpec().isDefined() or entry.comment().isDefined()
                    or not entry.properties().isEmpty()
                    or not entry.storage().properties().isEmpty()):
                return False
            stored = StructType.fromJson(json.loads(entry.schema().json()))
        except Exception:  # noqa: BLE001 - any surprise: re-create the entry as before
            return False
        return bool(stored == _declared(schema))

    def unregister(self, name: str) -> None:
        """Remove ``<schema>.<name>`` from the session catalog."""
        self.spark.sql(f"DROP TABLE IF EXISTS {self._qualified(name)}")

    def stored_tables(self) -> list[str]:
        """Names of the tables with a published version in this schema's folder."""
        if not self.folder.exists():
            return []
        return sorted(p.parent.name for p in self.folder.glob(f"*/{META_FILE}")
                      if _is_name(p.parent.name) and self.exists(p.parent.name))

    def register_existing(self) -> None:
        """Publish the tables of earlier runs, so a fresh session sees them too."""
        self.ensure_schema()
        for name in self.stored_tables():
            if self.meta(name).get("temporary"):
                continue
            if not self._in_catalog(name):
                self.register(name)


def _declared(data_type: Any) -> Any:
    """``data_type`` as a catalog entry created from its :func:`_ddl` holds it: every
    field, element and value nullable, no field metadata (the DDL carries neither)."""
    from pyspark.sql.types import ArrayType, MapType, StructField, StructType

    if isinstance(data_type, StructType):
        return StructType([StructField(f.name, _declared(f.dataType), True)
                           for f in data_type.fields])
    if isinstance(data_type, ArrayType):
        return ArrayType(_declared(data_type.elementType), True)
    if isinstance(data_type, MapType):
        return MapType(_declared(data_type.keyType), _declared(data_type.valueType), True)
    return data_type


def _is_name(folder_name: str) -> bool:
    """Whether a folder found in the schema folder can be a table's (others are ignored)."""
    try:
        validate_name(folder_name)
    except InvalidNameError:
        return False
    return True
