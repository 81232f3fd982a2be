"""The micro-batch whose query is being built: the files it reads, source by source.

A new batch takes every file its sources gained that earlier batches did not read; a
logged batch that never committed is replayed with exactly its files (see
:mod:`dltflow.local.streaming.offsets`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from dltflow.exceptions import EngineUnsupported

__all__ = ["BatchFiles", "building", "current_batch"]

_current: ContextVar[BatchFiles | None] = ContextVar("dltflow_incremental", default=None)


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


@contextmanager
def building(files: BatchFiles) -> Iterator[BatchFiles]:
    """``files`` is the micro-batch being built inside the block."""
    token = _current.set(files)
    try:
        yield files
    finally:
        _current.reset(token)


def current_batch() -> BatchFiles | None:
    """The micro-batch whose query is being built, if any."""
    return _current.get()
