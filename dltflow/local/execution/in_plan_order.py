"""Events of datasets that run at once, handed on in the plan's order.

When independent datasets run concurrently (:class:`~dltflow.local.execution.runner.Runner`
on an engine that allows it), their events would interleave by chance. Instead the
first unfinished dataset of the plan emits as it goes and every later one is held
until those before it have finished, so the event log, the progress lines and the
summary read exactly as a run one dataset at a time would: the same order, every run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from dltflow.local.events import Event


class InPlanOrder:
    """Releases the events of ``names`` (the plan's datasets, in order) in that order.

    Args:
        emit: receives every event, one at a time, in plan order.
        names: the datasets whose events pass through here.
    """

    def __init__(self, emit: Callable[[Event], None], names: Sequence[str]) -> None:
        self._emit = emit
        self._names = list(names)
        self._front = 0
        self._held: dict[str, list[Event]] = {name: [] for name in self._names}
        self._finished: set[str] = set()
        self._lock = threading.Lock()

    def emitter(self, name: str) -> Callable[[Event], None]:
        """What the run of dataset ``name`` emits through."""
        def emit(event: Event) -> None:
            with self._lock:
                if self._names[self._front] == name:
                    self._emit(event)
                else:
                    self._held[name].append(event)

        return emit

    def finished(self, name: str) -> None:
        """Dataset ``name`` emits nothing more: the next ones' held events are released."""
        with self._lock:
            self._finished.add(name)
            while self._front < len(self._names) and self._names[self._front] in self._finished:
                self._front += 1
                if self._front < len(self._names):
                    for event in self._held.pop(self._names[self._front]):
                        self._emit(event)
