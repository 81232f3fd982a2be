"""One write pass that also counts: expectation metrics and output rows.

The engine never computes the user's query a second time to count it. Where the session
can observe (classic Spark, Spark Connect on Spark), expectation counts come from
:func:`dltflow.graph.expectations.observe` and the number of rows written from a
second Observation on the kept rows, both gathered by the write itself.

Where it cannot (Sail has no ``Observation``), the query is computed once into a
scratch folder with one boolean verdict column per expectation; one small aggregation
of those files gives the same counts, ``fail`` expectations are checked, and only then
are the kept rows, without the verdicts, handed to the real write.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.exceptions import ExpectationFailed
from dltflow.graph.elements import ExpectationSpec
from dltflow.graph.expectations import ExpectationMetrics, observe, passes
from dltflow.local.engines.capabilities import capabilities

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
                  write: Callable[[DataFrame], None], counts: FlowCounts, *,
                  scratch: Path) -> None:
    """Apply ``specs`` to ``df``, hand the kept rows to ``write``, then count and check.

    Args:
        scratch: where the verdicts are staged when the session cannot observe (a
            fresh folder inside it, removed afterwards): the warehouse's scratch folder,
            so nothing is written outside the warehouse.

    Raises:
        ExpectationFailed: a ``fail`` expectation was violated; the caller discards
            what ``write`` produced (it was written to staging).
    """
    if not capabilities(df.sparkSession).can_observe:
        _staged_write(df, dataset, specs, write, counts, scratch)
        return
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


def _verdict(i: int) -> str:
    return f"__dltflow_v{i}"


def _staged_write(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec],
                  write: Callable[[DataFrame], None], counts: FlowCounts,
                  scratch: Path) -> None:
    """:func:`checked_write` without ``Observation``: stage the rows partitioned by their
    verdicts (one job), count each partition from its Parquet footers (no job), check,
    then write the kept partitions, which hold exactly the query's columns (one job)."""
    from pyspark.sql import functions as F

    folder = scratch / f"verdicts-{uuid.uuid4().hex}"
    try:
        columns = list(df.columns)
        names = [_verdict(i) for i in range(len(specs))]
        verdicts = [passes(spec).alias(name) for spec, name in zip(specs, names, strict=True)]
        (df.select(*[F.col(f"`{c}`") for c in columns], *verdicts).write.mode("overwrite")
         .partitionBy(*names).parquet(str(folder)))
        partitions = _partition_rows(folder, names)
        removing = [i for i, spec in enumerate(specs) if spec.action in ("drop", "quarantine")]
        total = sum(partitions.values())
        kept_parts = [part for part in partitions if all(part[i] for i in removing)]
        rows = sum(partitions[part] for part in kept_parts)
        metrics = []
        for i, spec in enumerate(specs):
            failed = sum(n for part, n in partitions.items() if not part[i])
            metrics.append(ExpectationMetrics(spec.name, dataset, total - failed, failed,
                                              spec.action))
        try:
            _raise_for_failures(df, folder, dataset, specs, metrics, names, partitions)
        except ExpectationFailed:
            counts.add(0, 0, metrics)  # counted, but nothing of this write is kept
            raise
        write(_read_partitions(df, folder, names, kept_parts))
        counts.add(rows, total - rows, metrics)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _partition_folder(folder: Path, names: Sequence[str], part: tuple[bool, ...]) -> Path:
    for name, value in zip(names, part, strict=True):
        folder = folder / f"{name}={'true' if value else 'false'}"
    return folder


def _partition_rows(folder: Path, names: Sequence[str]) -> dict[tuple[bool, ...], int]:
    """Rows per verdict combination, read from the staged files' Parquet footers."""
    import pyarrow.parquet as pq

    found: dict[tuple[bool, ...], int] = {}
    for file in folder.rglob("*.parquet"):
        parts = file.relative_to(folder).parts[:-1]
        values = dict(p.split("=", 1) for p in parts)
        key = tuple(values.get(name) == "true" for name in names)
        found[key] = found.get(key, 0) + pq.read_metadata(str(file)).num_rows
    return {key: n for key, n in found.items() if n}


def _read_partitions(df: DataFrame, folder: Path, names: Sequence[str],
                     parts: Sequence[tuple[bool, ...]]) -> DataFrame:
    """The staged rows of ``parts``, with the query's columns (an empty frame of its
    schema when no row is in them)."""
    paths = [str(_partition_folder(folder, names, part)) for part in parts]
    if not paths:  # nullable, as columns read back from files are
        from pyspark.sql.types import StructField, StructType

        schema = StructType([StructField(f.name, f.dataType, True) for f in df.schema.fields])
        return df.sparkSession.createDataFrame([], schema)
    return df.sparkSession.read.parquet(*paths)


def _raise_for_failures(df: DataFrame, folder: Path, dataset: str,
                        specs: Sequence[ExpectationSpec], metrics: Sequence[ExpectationMetrics],
                        names: Sequence[str], partitions: dict[tuple[bool, ...], int]) -> None:
    """The first violated ``fail`` expectation, with one failing row read from staging."""
    for i, (spec, metric) in enumerate(zip(specs, metrics, strict=True)):
        if spec.action == "fail" and metric.failed_records:
            failing = [part for part in partitions if not part[i]]
            row = _read_partitions(df, folder, names, failing).limit(1).collect()
            raise ExpectationFailed(dataset, spec.name, constraint=spec.constraint,
                                    failed_records=metric.failed_records,
                                    record=row[0].asDict(recursive=True) if row else None)