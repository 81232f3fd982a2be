"""One write pass that also counts: expectation metrics and output rows via Observations.

The engine never runs an extra ``count()``: expectation counts come from
:func:`dltflow.graph.expectations.observe` and the number of rows written from a
second Observation on the kept rows, both gathered by the write itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dltflow.graph.elements import ExpectationSpec
from dltflow.graph.expectations import ExpectationMetrics, observe

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass
class FlowCounts:
    """Counts of one flow, accumulated over its micro-batches.

    Args:
        dataset: the dataset the flow writes.
        output_rows: rows written; None when nothing was materialized (a plain view).
        dropped_rows: rows removed by ``drop``/``quarantine`` expectations.
        expectations: name -> [passed, failed, action].
    """

    dataset: str
    output_rows: int | None = 0
    dropped_rows: int = 0
    expectations: dict[str, list[object]] = field(default_factory=dict)

    def declare(self, specs: Sequence[ExpectationSpec]) -> None:
        """Start every expectation at zero, so a run without new rows still reports it."""
        for spec in specs:
            self.expectations.setdefault(spec.name, [0, 0, spec.action])

    def add(self, rows: int, dropped: int, metrics: Sequence[ExpectationMetrics]) -> None:
        """Add the counts of one write (a version or a micro-batch)."""
        self.output_rows = (self.output_rows or 0) + rows
        self.dropped_rows += dropped
        for m in metrics:
            slot = self.expectations.setdefault(m.name, [0, 0, m.action])
            slot[0] = int(slot[0]) + m.passed_records  # type: ignore[call-overload]
            slot[1] = int(slot[1]) + m.failed_records  # type: ignore[call-overload]

    def metrics(self) -> tuple[ExpectationMetrics, ...]:
        """The accumulated per-expectation counts."""
        return tuple(ExpectationMetrics(name, self.dataset, int(p), int(f), str(a))  # type: ignore[call-overload]
                     for name, (p, f, a) in self.expectations.items())


def checked_write(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec],
                  write: Callable[[DataFrame], None], counts: FlowCounts) -> None:
    """Apply ``specs`` to ``df``, hand the kept rows to ``write``, then count and check.

    Raises:
        ExpectationFailed: a ``fail`` expectation was violated; the caller discards
            what ``write`` produced (it was written to staging).
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    checked = observe(df, dataset, specs) if specs else None
    kept = checked.kept if checked is not None else df
    counter = Observation(f"dltflow_rows_{uuid.uuid4().hex[:8]}")
    write(kept.observe(counter, F.count(F.lit(1)).alias("rows")))
    rows = int(counter.get.get("rows") or 0)
    if checked is None:
        counts.add(rows, 0, [])
        return
    metrics = checked.metrics()
    try:
        checked.raise_for_failures(metrics)
    except Exception:
        counts.add(0, 0, metrics)  # counted, but nothing of this write is kept
        raise
    counts.add(rows, checked.total_rows() - rows, metrics)
