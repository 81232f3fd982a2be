"""The local warehouse: Parquet (or Delta) tables in versioned folders behind a pointer file.

A rewrite writes a *new* version folder, then atomically replaces the pointer file
and re-registers ``<schema>.<name>`` in the session catalog; only then are older
versions deleted. A failure before the switch leaves the previous version readable.
A CDC target's state and the table it shows switch in that same pointer write, with
the micro-batch that produced them, so state, table and progress never disagree.

Table format: ``Warehouse(format=...)`` writes new versions as Parquet (the default;
JVM Spark needs no Delta jars) or as Delta tables (the Sail engine's default, and JVM
Spark with delta-spark configured), so local tables can be read by Delta tools. The
pointer file records each version's format, so versions of earlier runs in the other
format stay readable; a CDC target's state is always Parquet (only the engine reads
it).

:class:`Warehouse` joins the layout (:mod:`.layout`), the commit protocol of appended
batches (:mod:`.commits`) and catalog registration (:mod:`.catalog`) with publishing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.exceptions import UnsafePathError
from dltflow.local.storage.catalog import CatalogTables
from dltflow.local.storage.commits import CommitProtocol
from dltflow.local.storage.failpoints import reached
from dltflow.local.storage.layout import _OWNED_FOLDERS, _VERSION, META_FILE

if TYPE_CHECKING:
    from pyspark.sql.types import StructType


class Warehouse(CommitProtocol, CatalogTables):
    """Tables of one target schema under a warehouse folder.

    Args:
        spark: the session whose catalog publishes the tables.
        root: the warehouse folder (created when missing).
        schema: the catalog schema (database) the tables are registered in.
        format: ``parquet`` or ``delta``: how new versions are written.
    """

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
