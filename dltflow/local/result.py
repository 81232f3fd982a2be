"""What a local run returns: status, per-dataset counts, tables and the event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.local.events import Event, FlowFinished, read_event_log

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class DatasetResult:
    """Counts of one dataset in one run, summed over its flows.

    Args:
        output_rows: rows written (None for a view that was not materialized).
        dropped_rows: rows removed by ``drop``/``quarantine`` expectations.
        expectations: name -> ``{"passed_records": n, "failed_records": m}``.
        status: ``COMPLETED``, ``FAILED`` or ``SKIPPED``.
    """

    output_rows: int | None
    dropped_rows: int
    expectations: dict[str, dict[str, int]]
    status: str = "COMPLETED"

    def __getitem__(self, key: str) -> Any:
        """Dict-style access (``result.datasets["x"]["output_rows"]``)."""
        return getattr(self, key)

    def to_json(self) -> dict[str, Any]:
        """The dataset's entry of :meth:`PipelineResult.to_json`."""
        return {"output_rows": self.output_rows, "dropped_rows": self.dropped_rows,
                "expectations": {k: dict(v) for k, v in self.expectations.items()}}


def summarize(events: Sequence[Event]) -> dict[str, DatasetResult]:
    """Per-dataset results from the ``FlowFinished`` events of a run."""
    rows: dict[str, int | None] = {}
    dropped: dict[str, int] = {}
    expectations: dict[str, dict[str, dict[str, int]]] = {}
    status: dict[str, list[str]] = {}
    for event in events:
        if not isinstance(event, FlowFinished):
            continue
        name = event.dataset
        previous = rows.get(name)
        if event.output_rows is None:
            rows.setdefault(name, None)
        else:
            rows[name] = (previous or 0) + event.output_rows
        dropped[name] = dropped.get(name, 0) + event.dropped_rows
        slots = expectations.setdefault(name, {})
        for m in event.expectations:
            slot = slots.setdefault(m.name, {"passed_records": 0, "failed_records": 0})
            slot["passed_records"] += m.passed_records
            slot["failed_records"] += m.failed_records
        status.setdefault(name, []).append(event.status)
    return {name: DatasetResult(rows[name], dropped[name], expectations[name],
                                _overall(status[name])) for name in rows}


def _overall(statuses: list[str]) -> str:
    if "FAILED" in statuses:
        return "FAILED"
    return "SKIPPED" if all(s == "SKIPPED" for s in statuses) else "COMPLETED"


@dataclass
class PipelineResult:
    """The outcome of :func:`dltflow.local.run`.

    Args:
        status: ``COMPLETED`` or ``FAILED``.
        run_id: the update's id (``origin.update_id`` in the event log).
        datasets: name -> :class:`DatasetResult`.
        events: every event of the run, in order.
        error: the first error when the run failed, else None.
        spark: the session the run used.
        warehouse: the warehouse folder.
        schema: the catalog schema the tables were published in.
    """

    status: str
    run_id: str
    datasets: dict[str, DatasetResult]
    events: list[Event]
    error: BaseException | None
    spark: SparkSession = field(repr=False)
    warehouse: Path
    schema: str = "default"

    @property
    def ok(self) -> bool:
        """Whether the update completed."""
        return self.status == "COMPLETED"

    def table(self, name: str) -> DataFrame:
        """The stored table ``name`` as published by the run (``<schema>.<name>``)."""
        from dltflow.local.storage import Warehouse

        return Warehouse(self.spark, self.warehouse, self.schema).read(name)

    def event_log(self) -> DataFrame:
        """The event log of every run in this warehouse, as a DataFrame."""
        return read_event_log(self.spark, self.warehouse)

    def to_json(self) -> dict[str, Any]:
        """``{"status": ..., "datasets": {name: {"output_rows", "dropped_rows",
        "expectations": {name: {"passed_records", "failed_records"}}}}}``."""
        return {"status": self.status,
                "datasets": {name: d.to_json() for name, d in self.datasets.items()}}
