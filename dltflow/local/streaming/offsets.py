"""The offset log: the files each micro-batch of a flow read, written before it runs.

Entries live in ``_checkpoints/<flow>/incremental/<batch>.json``; the batch's output
then commits with the batch id, so a batch logged but never committed (the process
died) is replayed with exactly its files, and nothing is read twice or skipped.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["OFFSETS", "OffsetLog"]

OFFSETS = "incremental"
"""The offset log's folder inside a flow's checkpoint folder."""


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
