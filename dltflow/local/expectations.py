"""Expectation evaluation with metrics: every constraint of a dataset in one pass.

Two ways to get the counts, both a single scan of the data:

* :func:`evaluate` aggregates all constraints at once and returns the counts
  (plain-Python calls of a pipeline method);
* :func:`observe` attaches the same aggregates to the DataFrame as a Spark
  ``Observation``, so they are collected while the dataset is *written* and no extra
  scan is needed (the local engine).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dltflow.exceptions import ExpectationFailed
from dltflow.graph.elements import ExpectationSpec
from dltflow.quality.expressions import passes, quarantined_rows

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Observation

_TOTAL = "__dltflow_total"


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

    def metrics(self, counts: dict[str, Any] | None = None) -> list[ExpectationMetrics]:
        """Per-expectation counts, from ``counts`` or from the observation."""
        if counts is None:
            counts = self.observation.get if self.observation is not None else {}
        total = int(counts.get(_TOTAL) or 0)
        result = []
        for i, spec in enumerate(self.specs):
            failed = int(counts.get(f"f{i}") or 0)
            result.append(ExpectationMetrics(spec.name, self.dataset, total - failed, failed,
                                             spec.action))
        return result

    def total_rows(self, counts: dict[str, Any] | None = None) -> int:
        """Rows the query returned before any were dropped."""
        if counts is None:
            counts = self.observation.get if self.observation is not None else {}
        return int(counts.get(_TOTAL) or 0)

    def raise_for_failures(self, metrics: Sequence[ExpectationMetrics]) -> None:
        """Raise :class:`ExpectationFailed` for the first violated ``fail`` expectation."""
        for spec, metric in zip(self.specs, metrics, strict=True):
            if spec.action == "fail" and metric.failed_records:
                row = self.source.filter(~passes(spec)).limit(1).collect()
                raise ExpectationFailed(self.dataset, spec.name, constraint=spec.constraint,
                                        failed_records=metric.failed_records,
                                        record=row[0].asDict(recursive=True) if row else None)


def _aggregates(specs: Sequence[ExpectationSpec]) -> list[Column]:
    from pyspark.sql import functions as F

    columns = [F.count(F.lit(1)).alias(_TOTAL)]
    for i, spec in enumerate(specs):
        columns.append(F.sum(F.when(passes(spec), 0).otherwise(1)).alias(f"f{i}"))
    return columns


def _split(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec],
           observation: Observation | None, source: DataFrame) -> CheckedData:
    removing = [s for s in specs if s.action in ("drop", "quarantine")]
    kept = df
    for spec in removing:
        kept = kept.filter(passes(spec))
    quarantine_specs = [s for s in specs if s.action == "quarantine"]
    quarantine = quarantined_rows(source, quarantine_specs) if quarantine_specs else None
    return CheckedData(dataset, tuple(specs), kept, source, quarantine, observation)


def evaluate(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec]
             ) -> tuple[CheckedData, list[ExpectationMetrics]]:
    """Count every expectation in one aggregation.

    The caller decides when to call :meth:`CheckedData.raise_for_failures`, so the
    counts can be recorded first.
    """
    checked = _split(df, dataset, specs, None, df)
    if not specs:
        return checked, []
    counts = df.agg(*_aggregates(specs)).first()
    return checked, checked.metrics(counts.asDict() if counts is not None else {})


def observe(df: DataFrame, dataset: str, specs: Sequence[ExpectationSpec]) -> CheckedData:
    """Attach the counts to ``df`` so they are gathered while ``kept`` is written.

    The counts are read with :meth:`CheckedData.metrics` after the write; a caller must
    then call :meth:`CheckedData.raise_for_failures` before publishing the result.
    """
    from pyspark.sql import Observation

    observation = Observation(f"dltflow_{dataset}_{uuid.uuid4().hex[:8]}")
    observed = df.observe(observation, *_aggregates(specs))
    return _split(observed, dataset, specs, observation, df)
