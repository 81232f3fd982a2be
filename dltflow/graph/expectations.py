"""Expectations, evaluated the same way by every backend.

One predicate decides which rows fail: :func:`passes` (a row passes only when its
constraint is TRUE; NULL fails, as a ``WHERE`` clause would treat it), and one function
removes the rows that ``drop``/``quarantine`` expectations reject: :func:`kept_rows`.
Everything else builds on those two:

* :func:`enforce_lazily`: no action runs (safe inside a Databricks pipeline
  definition, and for methods applied inline);
* :func:`evaluate`: every constraint counted in one aggregation (a plain-Python call
  of a pipeline method);
* :func:`observe`: the same aggregates attached as a Spark ``Observation``, gathered
  while the dataset is written (the local engine).

Only Columns are built at import time; pyspark is imported lazily, so declaring a
pipeline never needs a Spark session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import ExpectationFailed
from dltflow.graph.elements import ExpectationSpec

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation

__all__ = [
    "FAILED_EXPECTATIONS_COLUMN", "CheckedData", "ExpectationMetrics", "enforce_lazily",
    "evaluate", "failed_names", "kept_rows", "observe", "passes", "quarantined_rows",
    "sharing_checks",
]

FAILED_EXPECTATIONS_COLUMN = "_failed_expectations"
_REMOVING = ("drop", "quarantine")
_TOTAL = "__dltflow_total"


_shared: ContextVar[dict[str, Column] | None] = ContextVar("dltflow_checks", default=None)


@contextmanager
def sharing_checks() -> Iterator[None]:
    """Inside the block, :func:`passes` builds each constraint's Column only once.

    A local run checks every constraint while planning and uses it again while writing;
    on a classic session each Column costs several round trips to the JVM. A Column is
    not tied to a DataFrame, so one can serve every query of the run.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def passes(spec: ExpectationSpec) -> Column:
    """TRUE where the row satisfies ``spec``, FALSE otherwise (never NULL)."""
    from pyspark.sql import functions as F  # lazy: importing dltflow must not start pyspark

    shared = _shared.get()
    if shared is not None and spec.constraint in shared:
        return shared[spec.constraint]
    check = F.coalesce(F.expr(spec.constraint), F.lit(False))
    if shared is not None:
        shared[spec.constraint] = check
    return check


def kept_rows(df: DataFrame, specs: Sequence[ExpectationSpec],
              checks: Sequence[Column] | None = None) -> DataFrame:
    """``df`` without the rows that ``drop``/``quarantine`` expectations remove.

    ``checks``: the specs' :func:`passes` Columns when the caller already built them
    (each costs a few round trips to the JVM on a classic session).
    """
    for i, spec in enumerate(specs):
        if spec.action in _REMOVING:
            df = df.filter(checks[i] if checks is not None else passes(spec))
    return df


def failed_names(specs: Sequence[ExpectationSpec]) -> Column:
    """An array with the names of the expectations a row fails (empty when none)."""
    from pyspark.sql import functions as F

    names = [F.when(~passes(s), F.lit(s.name)) for s in specs]
    return F.filter(F.array(*names), lambda n: n.isNotNull())


def quarantined_rows(df: DataFrame, specs: Sequence[ExpectationSpec]) -> DataFrame:
    """The rows failing any of ``specs``, with the names they failed in
    :data:`FAILED_EXPECTATIONS_COLUMN`."""
    from pyspark.sql import functions as F

    flagged = df.withColumn(FAILED_EXPECTATIONS_COLUMN, failed_names(specs))
    return flagged.filter(F.size(F.col(FAILED_EXPECTATIONS_COLUMN)) > 0)


def enforce_lazily(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec]) -> DataFrame:
    """Apply ``drop`` and ``fail`` expectations without running anything.

    ``fail`` uses ``raise_error`` inside the filter, so the first violating row aborts
    whatever action later consumes the DataFrame. Used where no metrics can be
    collected: methods applied inline, and ``pyspark.pipelines`` which has no
    expectation decorators.
    """
    from pyspark.sql import functions as F

    df = kept_rows(df, specs)
    for spec in specs:
        if spec.action == "fail":
            message = (f"Expectation '{spec.name}' on dataset '{dataset}' was violated: "
                       f"{spec.constraint}")
            df = df.filter(F.when(passes(spec), F.lit(True)).otherwise(
                F.raise_error(F.lit(message))))
    return df


@dataclass(frozen=True)
class ExpectationMetrics:
    """Counts for one expectation on one dataset, shaped like DLT's event log entry."""

    name: str
    dataset: str
    passed_records: int
    failed_records: int
    action: str = "allow"

    def as_event(self) -> dict[str, Any]:
        """The ``data_quality.expectations`` entry of DLT's event log."""
        return {"name": self.name, "dataset": self.dataset,
                "passed_records": self.passed_records, "failed_records": self.failed_records}


@dataclass(frozen=True)
class CheckedData:
    """A DataFrame with its expectations applied.

    Args:
        dataset: the dataset's name.
        specs: the expectations applied.
        kept: rows surviving ``drop``/``quarantine`` (``fail`` is checked separately).
        source: the rows before any expectation was applied (not observed).
        quarantine: rows failing a ``quarantine`` expectation, or None.
        observation: the Observation carrying the counts once ``kept`` was consumed.
    """

    dataset: str
    specs: tuple[ExpectationSpec, ...]
    kept: DataFrame
    source: DataFrame
    quarantine: DataFrame | None = None
    observation: Observation | None = None

    def _counts(self, counts: dict[str, Any] | None) -> dict[str, Any]:
        if counts is not None:
            return counts
        return self.observation.get if self.observation is not None else {}

    def metrics(self, counts: dict[str, Any] | None = None) -> list[ExpectationMetrics]:
        """Per-expectation counts, from ``counts`` or from the observation."""
        counts = self._counts(counts)
        total = int(counts.get(_TOTAL) or 0)
        result = []
        for i, spec in enumerate(self.specs):
            failed = int(counts.get(f"f{i}") or 0)
            result.append(ExpectationMetrics(spec.name, self.dataset, total - failed, failed,
                                             spec.action))
        return result

    def total_rows(self, counts: dict[str, Any] | None = None) -> int:
        """Rows the query returned before any were dropped."""
        return int(self._counts(counts).get(_TOTAL) or 0)

    def raise_for_failures(self, metrics: Sequence[ExpectationMetrics]) -> None:
        """Raise :class:`ExpectationFailed` for the first violated ``fail`` expectation."""
        for spec, metric in zip(self.specs, metrics, strict=True):
            if spec.action == "fail" and metric.failed_records:
                row = self.source.filter(~passes(spec)).limit(1).collect()
                raise ExpectationFailed(self.dataset, spec.name, constraint=spec.constraint,
                                        failed_records=metric.failed_records,
                                        record=row[0].asDict(recursive=True) if row else None)


def _aggregates(checks: Sequence[Column]) -> list[Column]:
    from pyspark.sql import functions as F

    columns = [F.count(F.lit(1)).alias(_TOTAL)]
    for i, check in enumerate(checks):
        columns.append(F.sum(F.when(check, 0).otherwise(1)).alias(f"f{i}"))
    return columns


def _split(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec],
           observation: Observation | None, source: DataFrame,
           checks: Sequence[Column]) -> CheckedData:
    quarantine_specs = [s for s in specs if s.action == "quarantine"]
    quarantine = quarantined_rows(source, quarantine_specs) if quarantine_specs else None
    return CheckedData(dataset, tuple(specs), kept_rows(df, specs, checks), source,
                       quarantine, observation)


def evaluate(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec]
             ) -> tuple[CheckedData, list[ExpectationMetrics]]:
    """Count every expectation in one aggregation.

    The caller decides when to call :meth:`CheckedData.raise_for_failures`, so the
    counts can be recorded first.
    """
    checks = [passes(s) for s in specs]
    checked = _split(df, dataset, specs, None, df, checks)
    if not specs:
        return checked, []
    counts = df.agg(*_aggregates(checks)).first()
    return checked, checked.metrics(counts.asDict() if counts is not None else {})


def observe(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec]) -> CheckedData:
    """Attach the counts to ``df`` so they are gathered while ``kept`` is written.

    The counts are read with :meth:`CheckedData.metrics` after the write; a caller must
    then call :meth:`CheckedData.raise_for_failures` before publishing the result.
    """
    from pyspark.sql import Observation

    observation = Observation(f"dltflow_{dataset}_{uuid.uuid4().hex[:8]}")
    checks = [passes(s) for s in specs]  # built once: counted, then filtered on
    observed = df.observe(observation, *_aggregates(checks))
    return _split(observed, dataset, specs, observation, df, checks)
