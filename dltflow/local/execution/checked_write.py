"""One write pass that also counts: expectation metrics and output rows.

The engine never computes the user's query a second time to count it. Where the session
can observe (classic Spark, Spark Connect on Spark), expectation counts come from
:func:`dltflow.graph.expectations.observe` and the number of rows written from a
second Observation on the kept rows, both gathered by the write itself.

Where it cannot (Sail has no ``Observation``), the query is computed once into a
scratch folder, partitioned by one boolean verdict column per expectation; the files'
Parquet footers give the same counts, ``fail`` expectations are checked, and only then
are the kept rows, without the verdicts, handed to the real write. When the caller
names the fresh folder that write fills (a :class:`Target`), one job per dataset is
enough: without expectations the rows are written there at once and counted from the
footers of its files; when the write is unpartitioned, the kept partitions' files
already are what it would write (partition values live in folder names, not in the
files), so they are moved there (for Delta, under a first commit dltflow writes, see
:mod:`dltflow.local.storage.delta_log`).
"""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Target:
    """The folder a checked write's ``write`` fills.

    Args:
        folder: a fresh folder that holds nothing but what ``write`` writes (Parquet
            files, plain or under a Delta log).
        unpartitioned: the format ``write`` writes there, ``parquet`` or ``delta``,
            when it writes no partition folders; None when it does.
    """

    folder: Path
    unpartitioned: str | None


def checked_write(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec],
                  write: Callable[[DataFrame], None] | None, counts: FlowCounts, *,
                  scratch: Path, target: Target | None = None) -> None:
    """Apply ``specs`` to ``df``, hand the kept rows to ``write``, then count and check.

    Args:
        write: writes the kept rows; None when they are only counted (a view).
        scratch: where the verdicts are staged when the session cannot observe (a
            fresh folder inside it, removed afterwards): the warehouse's scratch folder,
            so nothing is written outside the warehouse.
        target: where ``write`` writes, when the caller knows: a session that cannot
            observe then needs one job, not two.

    Raises:
        ExpectationFailed: a ``fail`` expectation was violated; the caller discards
            what ``write`` produced (it was written to staging).
    """
    if not capabilities(df.sparkSession).can_observe:
        if not specs and write is not None and target is not None:
            write(df)  # nothing to check: the written files hold the count
            counts.add(_parquet_rows(target.folder), 0, [])
            return
        _staged_write(df, dataset, specs, write, counts, scratch,
                      target if target is not None and target.unpartitioned else None)
        return
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    checked = observe(df, dataset, specs) if specs else None
    kept = checked.kept if checked is not None else df
    counter = Observation(f"dltflow_rows_{uuid.uuid4().hex[:8]}")
    (write or _discard)(kept.observe(counter, F.count(F.lit(1)).alias("rows")))
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


def _discard(df: DataFrame) -> None:
    """Compute ``df`` and keep nothing: what counting a view takes."""
    df.write.format("noop").mode("overwrite").save()


def _verdict(i: int) -> str:
    return f"__dltflow_v{i}"


def _staged_write(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec],
                  write: Callable[[DataFrame], None] | None, counts: FlowCounts,
                  scratch: Path, into: Target | None) -> None:
    """:func:`checked_write` without ``Observation``: stage the rows partitioned by their
    verdicts (one job), count each partition from its Parquet footers (no job), check,
    then hand over the kept partitions, which hold exactly the query's columns: their
    files moved into ``into`` (no job), else written by ``write`` (one job)."""
    from pyspark.sql import functions as F

    folder = scratch / f"verdicts-{uuid.uuid4().hex}"
    try:
        names = [_verdict(i) for i in range(len(specs))]
        verdicts = [passes(spec).alias(name) for spec, name in zip(specs, names, strict=True)]
        # `*`, not the column names: naming them would cost an analysis round trip
        (df.select(F.col("*"), *verdicts).write.mode("overwrite")
         .partitionBy(*names).parquet(str(folder)))
        files = _staged_files(folder, names)
        partitions: dict[tuple[bool, ...], int] = {}
        for _, part, n in files:
            partitions[part] = partitions.get(part, 0) + n
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
        adopted = into is not None and rows > 0 and _adopt(df, into, folder, files,
                                                           set(kept_parts))
        if not adopted and write is not None:
            write(_read_partitions(df, folder, names, kept_parts))
        counts.add(rows, total - rows, metrics)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _partition_folder(folder: Path, names: Sequence[str], part: tuple[bool, ...]) -> Path:
    for name, value in zip(names, part, strict=True):
        folder = folder / f"{name}={'true' if value else 'false'}"
    return folder


def _parquet_rows(folder: Path) -> int:
    """Rows in the Parquet files under ``folder``, from their footers (a Delta table's
    log is not read: a fresh folder holds exactly the files of its first commit)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(str(file)).num_rows for file in folder.rglob("*.parquet")
               if "_delta_log" not in file.relative_to(folder).parts)


StagedFile = tuple[Path, tuple[bool, ...], int]
"""A staged Parquet file, its verdicts (one per expectation) and its rows."""


def _staged_files(folder: Path, names: Sequence[str]) -> list[StagedFile]:
    """The staged files with rows, their verdicts read from their partition folders
    and their rows from their Parquet footers."""
    import pyarrow.parquet as pq

    found: list[StagedFile] = []
    for file in sorted(folder.rglob("*.parquet")):
        values = dict(p.split("=", 1) for p in file.relative_to(folder).parts[:-1])
        rows = pq.read_metadata(str(file)).num_rows
        if rows:
            found.append((file, tuple(values.get(name) == "true" for name in names), rows))
    return found


def _adopt(df: DataFrame, into: Target, folder: Path, files: Sequence[StagedFile],
           kept: set[tuple[bool, ...]]) -> bool:
    """Move the kept files into ``into`` as its first version (False, and nothing moved,
    when a Delta log of ``df``'s schema needs more than dltflow writes)."""
    from dltflow.local.storage import delta_log

    schema = df.schema.jsonValue() if into.unpartitioned == "delta" else None
    if schema is not None and not delta_log.describable(schema):
        return False
    into.folder.mkdir(parents=True, exist_ok=True)
    moved: list[tuple[str, int]] = []
    for i, (file, _, rows) in enumerate(f for f in files if f[1] in kept):
        name = f"kept{i}-{file.name}"  # two partitions' files may share a name
        os.replace(file, into.folder / name)
        moved.append((name, rows))
    if schema is not None:
        delta_log.write_first_commit(into.folder, schema, moved)
    return True


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