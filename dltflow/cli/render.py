"""How ``dltflow run`` shows a run: a line per flow as it starts and ends, a summary
table at the end, or one JSON object for machines.

The runner only emits events (see :mod:`dltflow.local.events`); this module turns them
into text. Progress goes to stderr so stdout holds only the result (the summary table,
or the JSON object with ``--output json``) and can be piped.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

import click

from dltflow.causes import describe_failure
from dltflow.local import (
    Event,
    FlowFinished,
    FlowStarted,
    Recovered,
    RunFinished,
    RunStarted,
)

if TYPE_CHECKING:
    from dltflow.local import DatasetResult, PipelineResult

__all__ = ["EventPrinter", "MarkedStream", "result_json", "summary_table"]

_HEADERS = ("dataset", "status", "rows written", "rows dropped", "expectation", "failed",
            "passed")
_STATUS_COLOURS = {"COMPLETED": "green", "FAILED": "red", "SKIPPED": "yellow"}


class EventPrinter:
    """An ``on_event`` callback that writes one line per event to ``stream``.

    Args:
        stream: where the lines go (stderr for the CLI).
        colour: whether to colour statuses (click drops colours on non-terminals).
    """

    def __init__(self, stream: TextIO, *, colour: bool | None = None) -> None:
        self.stream = stream
        self.colour = colour

    def __call__(self, event: Event) -> None:
        line = _line(event)
        if line is not None:
            click.echo(line, file=self.stream, color=self.colour)


class MarkedStream(io.TextIOBase):
    """A text stream that writes each line to ``target`` prefixed with ``marker``.

    While a pipeline runs, ``sys.stdout`` is one of these on stderr: the user's
    ``print()`` output stays visible, and is told apart from dltflow's own lines.
    """

    def __init__(self, target: TextIO, marker: str = "[pipeline] ") -> None:
        self.target = target
        self.marker = marker
        self._at_line_start = True

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for piece in text.splitlines(keepends=True):
            if self._at_line_start:
                self.target.write(self.marker)
            self.target.write(piece)
            self._at_line_start = piece.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()


def _status(status: str) -> str:
    return click.style(f"{status:<9}", fg=_STATUS_COLOURS.get(status), bold=True)


def _line(event: Event) -> str | None:
    if isinstance(event, RunStarted):
        return (f"Update {event.run_id} started: {len(event.datasets)} dataset(s): "
                f"{', '.join(event.datasets) or '-'}")
    if isinstance(event, Recovered):
        return event.summary
    if isinstance(event, FlowStarted):
        kind = "streaming flow" if event.streaming else "flow"
        return f"  {_status('STARTED')} {kind} {event.flow} -> {event.dataset}"
    if isinstance(event, FlowFinished):
        written = ("view (not stored)" if event.output_rows is None
                   else f"{event.output_rows} row(s) written, {event.dropped_rows} dropped")
        text = (f"  {_status(event.status)} flow {event.flow} -> {event.dataset}: "
                f"{written} in {event.duration_s:.2f}s")
        failed = [m for m in event.expectations if m.failed_records]
        if failed:
            text += "; failing expectations: " + ", ".join(
                f"{m.name} ({m.failed_records})" for m in failed)
        if event.error:
            text += "".join(f"\n    {line}" for line in _head(event.error))
        return text
    if isinstance(event, RunFinished):
        text = f"Update {_status(event.status).rstrip()} in {event.duration_s:.2f}s"
        return text + (f": {_first_line(event.error)}" if event.error else "")
    return None


def _head(message: str, count: int = 6) -> list[str]:
    """The first lines of an error (its cause and hint; never a whole stack trace)."""
    return [line for line in message.strip().splitlines() if line.strip()][:count]


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def _expectations(summary: DatasetResult) -> dict[str, dict[str, int]]:
    return {name: dict(counts) for name, counts in summary.expectations.items()}


def result_json(result: PipelineResult) -> str:
    """One JSON object: ``status``, ``datasets`` (the engine's ``to_json()``), plus
    ``run_id`` and ``error``."""
    payload = dict(result.to_json())
    payload["run_id"] = result.run_id
    payload["error"] = None if result.error is None else describe_failure(result.error)
    return json.dumps(payload, indent=2)


def _count(value: Any) -> str:
    return "-" if value is None else str(int(value))


def summary_table(datasets: Mapping[str, DatasetResult]) -> str:
    """A plain-text table: one row per dataset, one line per expectation."""
    rows: list[tuple[str, ...]] = []
    for name, summary in datasets.items():
        head = (name, summary.status, _count(summary.output_rows),
                _count(summary.dropped_rows))
        checks = _expectations(summary)
        if not checks:
            rows.append(head + ("-", "", ""))
        for i, (check, counts) in enumerate(checks.items()):
            lead = head if i == 0 else ("",) * len(head)
            rows.append(lead + (check, str(counts["failed_records"]),
                                str(counts["passed_records"])))
    if not rows:
        return "No datasets were computed."
    return _format(rows)


def _format(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_HEADERS)]
    numeric = {2, 3, 5, 6}

    def cells(values: tuple[str, ...]) -> str:
        return "  ".join(v.rjust(w) if i in numeric else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([cells(_HEADERS), rule, *(cells(r) for r in rows)])
