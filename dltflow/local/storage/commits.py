"""Streaming tables append, exactly once whatever instant the process dies:

1. the micro-batch is written to ``_staging`` and checked (a crash: staging is junk);
2. the staged folder is renamed to ``_commits/<flow>/<batch>`` (the commit point);
3. its files are moved (renamed, so readers never see a partial file) into the
   current version; 4. the batch is marked done; 5. the commit folder is removed.

A crash after step 2 is rolled *forward* by :meth:`CommitProtocol.recover` at the start of
the next run (the rest of the files moved, the batch marked), so when Structured
Streaming replays the uncheckpointed batch, it is found done and skipped. Every step
calls :func:`~dltflow.local.storage.failpoints.reached`, so tests kill the process at each.

A batch committed into a Delta version is appended by a Delta commit, not by
moving files; that commit is tagged with the flow and batch, so recovery repeating
it after a crash finds the tag in the Delta log and does not append it twice.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from contextlib import suppress
from pathlib import Path

from dltflow.graph.names import validate_name, validate_name_part
from dltflow.local.storage.failpoints import reached
from dltflow.local.storage.layout import (
    _DESTINATION,
    _OWNED_FOLDERS,
    _SKIP_ON_MOVE,
    _VERSION,
    META_FILE,
    ONCE,
    VIEW_ROWS,
    WRITERS_FILE,
    TableLayout,
    _is_name,
)


class CommitProtocol(TableLayout):
    """Appending staged micro-batches exactly once, and recovering what a killed run left
    (see the module's protocol)."""

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
        for temporary in self.folder.glob(f".{WRITERS_FILE}.*"):
            self._inside(temporary, "delete").unlink(missing_ok=True)
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
