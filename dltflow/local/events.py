"""Frozen event records of a local run, and the event log that stores them.

The runner only *emits* these records; the CLI renders them and :class:`EventLog`
appends them, one JSON object per line, to ``<warehouse>/_event_log/<run_id>.json``.
Each record is shaped like an entry of DLT's own event log (``event_type``,
``origin.flow_name``, ``details.flow_progress.metrics.num_output_rows``,
``details.flow_progress.data_quality``), so queries written against Databricks'
``event_log()`` work on the local log too.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow import __version__
from dltflow.graph.expectations import ExpectationMetrics
from dltflow.local.plan.inputs import ExternalInput
from dltflow.local.storage.safepath import inside

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EVENT_LOG_DIR = "_event_log"


@dataclass(frozen=True)
class RunStarted:
    """An update started.

    Args:
        run_id: the update's id (``origin.update_id`` in the log).
        datasets: the datasets it will compute, in plan order.
    """

    run_id: str
    datasets: tuple[str, ...]


@dataclass(frozen=True)
class FlowStarted:
    """A flow started computing its dataset.

    Args:
        flow: the flow's name (a dataset's own query is a flow named after it).
        dataset: the dataset it writes.
        streaming: whether it runs as an incremental (available-now) stream.
    """

    flow: str
    dataset: str
    streaming: bool = False


@dataclass(frozen=True)
class FlowFinished:
    """A flow ended.

    Args:
        flow: the flow's name.
        dataset: the dataset it wrote.
        status: ``COMPLETED``, ``FAILED`` or ``SKIPPED``.
        output_rows: rows written (or kept, for a view); None when not counted.
        dropped_rows: rows removed by ``drop``/``quarantine`` expectations.
        expectations: per-expectation counts.
        duration_s: wall time in seconds.
        error: the error message when the flow failed.
    """

    flow: str
    dataset: str
    status: str
    output_rows: int | None = 0
    dropped_rows: int = 0
    expectations: tuple[ExpectationMetrics, ...] = ()
    duration_s: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class RunFinished:
    """The update ended.

    Args:
        status: ``COMPLETED`` or ``FAILED``.
        duration_s: wall time in seconds.
        error: the error message when the update failed.
    """

    status: str
    duration_s: float
    error: str | None = None


@dataclass(frozen=True)
class Recovered:
    """The update found and cleaned what an earlier, killed run left mid-write.

    Args:
        done: ``(what, how many)``, e.g. ``("batches committed", 1)``.
    """

    done: tuple[tuple[str, int], ...]

    @property
    def summary(self) -> str:
        """One line: what was cleaned."""
        return ("Recovered from an interrupted run: "
                + ", ".join(f"{what} {count}" for what, count in self.done))


@dataclass(frozen=True)
class DatasetDefined:
    """A dataset of the planned graph (``dataset_definition`` in the log).

    Args:
        dataset: its name.
        kind: ``materialized_view``, ``streaming_table`` or ``view``.
        expectations: ``(name, constraint, action)`` of each expectation.
        quarantine_of: for a quarantine table, the dataset whose failing rows it holds.
        error: why it could not be planned (a broken query, or an upstream's), if so.
        location: where it is declared (``file:line``: a Python or SQL source file).
    """

    dataset: str
    kind: str
    expectations: tuple[tuple[str, str, str], ...] = ()
    quarantine_of: str | None = None
    error: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class FlowDefined:
    """A flow of the planned graph, with what it reads (``flow_definition`` in the log).

    Args:
        flow: its name (a dataset's own query is named after the dataset).
        dataset: the dataset it writes (``output_dataset``).
        flow_type: ``query``, ``append``, ``apply_changes`` or ``snapshot``.
        input_datasets: the pipeline's datasets it reads.
        input_sources: what it reads from outside the pipeline.
        streaming: whether it reads incrementally.
    """

    flow: str
    dataset: str
    flow_type: str = "query"
    input_datasets: tuple[str, ...] = ()
    input_sources: tuple[ExternalInput, ...] = ()
    streaming: bool = False


Event = (RunStarted | Recovered | DatasetDefined | FlowDefined | FlowStarted | FlowFinished
         | RunFinished)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _error(message: str | None) -> dict[str, Any] | None:
    return {"exceptions": [{"message": message}]} if message else None


def _definition(record: dict[str, Any], event: DatasetDefined | FlowDefined) -> None:
    """A ``dataset_definition`` / ``flow_definition`` entry: the graph, kept in the log so
    a report of an old run shows the graph that run had."""
    if isinstance(event, DatasetDefined):
        record["origin"].update(dataset_name=event.dataset)
        record.update(event_type="dataset_definition",
                      message=f"Dataset '{event.dataset}' is defined as {event.kind}.",
                      details={"dataset_definition": {
                          "dataset_type": event.kind.upper(),
                          "expectations": [{"name": n, "constraint": c, "action": a}
                                           for n, c, a in event.expectations],
                          "quarantine_of": event.quarantine_of,
                          **({"source_code_location": event.location} if event.location
                             else {}),
                          **({"error": event.error} if event.error else {})}})
        return
    record["origin"].update(flow_name=event.flow, dataset_name=event.dataset)
    record.update(event_type="flow_definition",
                  message=f"Flow '{event.flow}' is defined as a {event.flow_type} flow.",
                  details={"flow_definition": {
                      "output_dataset": event.dataset, "flow_type": event.flow_type,
                      "input_datasets": list(event.input_datasets),
                      "input_sources": [i.as_event() for i in event.input_sources],
                      "streaming": event.streaming}})


def to_record(event: Event, *, run_id: str, pipeline: str, sequence: int) -> dict[str, Any]:
    """The DLT-shaped event-log entry for ``event``."""
    origin: dict[str, Any] = {"pipeline_name": pipeline, "update_id": run_id}
    record: dict[str, Any] = {"id": uuid.uuid4().hex, "sequence": sequence,
                              "timestamp": _now(), "level": "INFO", "origin": origin}
    if isinstance(event, RunStarted):
        record.update(event_type="create_update",
                      message=f"Update {run_id} started: {', '.join(event.datasets)}",
                      details={"create_update": {"datasets": list(event.datasets),
                                                "dltflow_version": __version__}})
    elif isinstance(event, Recovered):
        record.update(event_type="recovery", level="WARN", message=event.summary,
                      details={"recovery": dict(event.done)})
    elif isinstance(event, (DatasetDefined, FlowDefined)):
        _definition(record, event)
    elif isinstance(event, FlowStarted):
        origin.update(flow_name=event.flow, dataset_name=event.dataset)
        record.update(event_type="flow_progress",
                      message=f"Flow '{event.flow}' is RUNNING.",
                      details={"flow_progress": {"status": "RUNNING",
                                                 "streaming": event.streaming}})
    elif isinstance(event, FlowFinished):
        origin.update(flow_name=event.flow, dataset_name=event.dataset)
        record.update(
            event_type="flow_progress", level="ERROR" if event.status == "FAILED" else "INFO",
            message=f"Flow '{event.flow}' has {event.status}.", error=_error(event.error),
            details={"flow_progress": {
                "status": event.status,
                "duration_s": round(event.duration_s, 3),
                "metrics": {"num_output_rows": event.output_rows},
                "data_quality": {"dropped_records": event.dropped_rows,
                                 "expectations": [m.as_event() for m in event.expectations]},
            }})
    else:
        record.update(event_type="update_progress",
                      level="ERROR" if event.status == "FAILED" else "INFO",
                      message=f"Update {run_id} is {event.status}.", error=_error(event.error),
                      details={"update_progress": {"state": event.status,
                                                   "duration_s": round(event.duration_s, 3)}})
    return record


class EventLog:
    """Appends the events of one run to ``<warehouse>/_event_log/<run_id>.json``.

    Args:
        warehouse: the warehouse folder.
        run_id: the update's id.
        pipeline: the pipeline's name, recorded in ``origin.pipeline_name``.
    """

    def __init__(self, warehouse: Path, run_id: str, pipeline: str = "dltflow") -> None:
        root = Path(warehouse).resolve()
        self.folder = inside(root, root / EVENT_LOG_DIR)
        self.path = inside(root, self.folder / f"{run_id}.json")
        self.run_id = run_id
        self.pipeline = pipeline
        self._sequence = 0
        self._folder_made = False

    def append(self, event: Event) -> dict[str, Any]:
        """Write ``event`` as one JSON line, flushed at once so a crash keeps it."""
        self._sequence += 1
        record = to_record(event, run_id=self.run_id, pipeline=self.pipeline,
                           sequence=self._sequence)
        if not self._folder_made:  # once: a run of hundreds of tables appends thousands
            self.folder.mkdir(parents=True, exist_ok=True)
            self._folder_made = True
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=str) + "\n")
        return record


def read_event_log(spark: SparkSession, warehouse: Path | str) -> DataFrame:
    """Every run's events in ``warehouse`` as a DataFrame (``spark.read.json``)."""
    return spark.read.json(str(Path(warehouse).resolve() / EVENT_LOG_DIR))

