"""Reading runs back from the event log: which runs a warehouse holds, and one run's
events as the engine's own event records.

The report takes every figure from here, never from the live run, so the report of an
old run is exactly what that run recorded. A broken line in the run being reported is an
error naming the file and line; in the list of earlier runs it only marks that run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dltflow.exceptions import EventLogError
from dltflow.graph.expectations import ExpectationMetrics
from dltflow.local import (
    EVENT_LOG_DIR,
    DatasetDefined,
    Event,
    ExternalInput,
    FlowDefined,
    FlowFinished,
    FlowStarted,
    RunFinished,
    RunStarted,
)

__all__ = ["RunLog", "RunSummary", "list_runs", "load_run"]

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class RunSummary:
    """One run of the warehouse, as its log file tells.

    Args:
        run_id: the update's id.
        started: the ISO timestamp of its first event.
        status: ``COMPLETED``, ``FAILED``, ``RUNNING`` (no end recorded: it is still
            running or was killed) or ``UNREADABLE`` (its log has a broken line).
        duration_s: wall time, when the end was recorded.
        path: its log file.
    """

    run_id: str
    started: str
    status: str
    duration_s: float | None
    path: Path


@dataclass(frozen=True)
class RunLog:
    """Everything the event log holds about one run.

    Args:
        summary: the run's id, start, status and duration.
        pipeline: the pipeline's name.
        version: the dltflow version that ran it (None for logs older than the field).
        events: the run's events, in order, as engine event records.
        error: the update's error message, when it failed.
    """

    summary: RunSummary
    pipeline: str
    version: str | None
    events: tuple[Event, ...]
    error: str | None


def _folder(warehouse: Path) -> Path:
    return Path(warehouse) / EVENT_LOG_DIR


def _records(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise EventLogError(
                    "the event log has a truncated or corrupt line", path=str(path),
                    line=number, hint="the run was probably killed while writing; report "
                    "another run (--run ID), or delete the broken line.") from None
            if not isinstance(record, dict):
                raise EventLogError("an event-log line is not a JSON object", path=str(path),
                                    line=number)
            records.append(record)
    return records


def _first_timestamp(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            value = json.loads(handle.readline()).get("timestamp")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _summary(path: Path, records: list[dict[str, Any]]) -> RunSummary:
    started = next((r.get("timestamp") for r in records if r.get("timestamp")), "")
    status, duration = "RUNNING", None
    for record in records:
        if record.get("event_type") == "update_progress":
            progress = (record.get("details") or {}).get("update_progress") or {}
            status = str(progress.get("state", "RUNNING"))
            duration = progress.get("duration_s")
    return RunSummary(path.stem, str(started), status, duration, path)


def list_runs(warehouse: Path) -> list[RunSummary]:
    """Every run of ``warehouse``, newest first (by the time of its first event).

    Raises:
        EventLogError: the warehouse has no event log, or no runs in it.
    """
    folder = _folder(warehouse)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise EventLogError(f"no runs recorded in warehouse {warehouse}", path=str(folder),
                            hint="run the pipeline first (dltflow run ... --warehouse DIR), "
                                 "or pass the --warehouse it used.")
    runs = []
    for path in files:
        try:
            runs.append(_summary(path, _records(path)))
        except EventLogError:
            runs.append(RunSummary(path.stem, _first_timestamp(path) or "", "UNREADABLE",
                                   None, path))
    return sorted(runs, key=lambda r: (r.started, r.path.stat().st_mtime), reverse=True)


def load_run(warehouse: Path, run_id: str | None = None) -> tuple[RunLog, list[RunSummary]]:
    """One run's log (the latest when ``run_id`` is None) and the list of all runs.

    Raises:
        EventLogError: no runs, an unknown run id, or a broken line in the run's log.
    """
    runs = list_runs(warehouse)
    if run_id is None:
        chosen = runs[0]
    else:
        found = [r for r in runs if r.run_id == run_id] if _RUN_ID.match(run_id) else []
        if not found:
            known = ", ".join(r.run_id for r in runs[:5])
            raise EventLogError(f"no run with id {run_id!r} in warehouse {warehouse}",
                                path=str(_folder(warehouse)),
                                hint=f"latest runs: {known}" + (" ..." if len(runs) > 5 else ""))
        chosen = found[0]
    records = _records(chosen.path)
    try:
        events = tuple(e for e in (_event(r) for r in records) if e is not None)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise EventLogError(f"an event-log record is not in dltflow's shape ({err})",
                            path=str(chosen.path)) from None
    created = next((r for r in records if r.get("event_type") == "create_update"), {})
    finished = [r for r in records if r.get("event_type") == "update_progress"]
    error = _error_message(finished[-1]) if finished else None
    return RunLog(summary=_summary(chosen.path, records),
                  pipeline=str((created.get("origin") or {}).get("pipeline_name", "pipeline")),
                  version=((created.get("details") or {}).get("create_update") or {})
                  .get("dltflow_version"),
                  events=events, error=error), runs


def _error_message(record: dict[str, Any]) -> str | None:
    exceptions = (record.get("error") or {}).get("exceptions") or []
    return str(exceptions[0].get("message")) if exceptions else None


def _event(record: dict[str, Any]) -> Event | None:
    """The engine's event record for one log record (None for kinds the report ignores)."""
    kind = record.get("event_type")
    details = record.get("details") or {}
    origin = record.get("origin") or {}
    if kind == "create_update":
        return RunStarted(str(origin.get("update_id", "")),
                          tuple(details["create_update"].get("datasets", ())))
    if kind == "dataset_definition":
        body = details["dataset_definition"]
        return DatasetDefined(
            origin["dataset_name"], str(body["dataset_type"]).lower(),
            tuple((e["name"], e["constraint"], e["action"]) for e in body["expectations"]),
            body.get("quarantine_of"), body.get("error"), body.get("source_code_location"))
    if kind == "flow_definition":
        body = details["flow_definition"]
        return FlowDefined(origin["flow_name"], body["output_dataset"], body["flow_type"],
                           tuple(body["input_datasets"]),
                           tuple(ExternalInput(i["kind"], i["name"])
                                 for i in body.get("input_sources", ())),
                           bool(body.get("streaming")))
    if kind == "flow_progress":
        return _flow_progress(record, details["flow_progress"], origin)
    if kind == "update_progress":
        body = details["update_progress"]
        return RunFinished(body["state"], float(body.get("duration_s") or 0.0),
                           _error_message(record))
    return None


def _flow_progress(record: dict[str, Any], body: dict[str, Any], origin: dict[str, Any]
                   ) -> Event:
    flow, dataset = origin["flow_name"], origin["dataset_name"]
    if body["status"] == "RUNNING":
        return FlowStarted(flow, dataset, bool(body.get("streaming")))
    quality = body.get("data_quality") or {}
    metrics = tuple(ExpectationMetrics(e["name"], e.get("dataset", dataset),
                                       int(e["passed_records"]), int(e["failed_records"]))
                    for e in quality.get("expectations") or ())
    rows = (body.get("metrics") or {}).get("num_output_rows")
    return FlowFinished(flow, dataset, body["status"], None if rows is None else int(rows),
                        int(quality.get("dropped_records") or 0), metrics,
                        float(body.get("duration_s") or 0.0), _error_message(record))
