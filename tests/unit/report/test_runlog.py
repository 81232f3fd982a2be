"""Reading runs back from the event log, and the bad input the report refuses (exit 2,
one message, no traceback). No Spark: the logs are written by the engine's EventLog."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.exceptions import EventLogError
from dltflow.graph.expectations import ExpectationMetrics
from dltflow.local.events import (
    DatasetDefined,
    EventLog,
    FlowDefined,
    FlowFinished,
    FlowStarted,
    RunFinished,
    RunStarted,
)
from dltflow.local.plan.inputs import ExternalInput
from dltflow.report import list_runs, load_run, report_html
from tests.support.report_page import check_drawing, figures_of

EVENTS = [
    RunStarted("run_a", ("raw", "clean")),
    DatasetDefined("raw", "streaming_table"),
    DatasetDefined("clean", "materialized_view", (("positive", "x > 0", "drop"),)),
    FlowDefined("raw", "raw", "query", (), (ExternalInput("path", "/data/in"),), True),
    FlowDefined("clean", "clean", "query", ("raw",)),
    FlowStarted("raw", "raw", True),
    FlowFinished("raw", "raw", "COMPLETED", 10, 0, (), 0.5),
    FlowStarted("clean", "clean"),
    FlowFinished("clean", "clean", "COMPLETED", 7, 3,
                 (ExpectationMetrics("positive", "clean", 7, 3),), 0.25),
    RunFinished("COMPLETED", 1.0),
]


def write_run(warehouse: Path, run_id: str, events: list = EVENTS) -> Path:
    log = EventLog(warehouse, run_id, "demo")
    for event in events:
        log.append(event)
    return log.path


def report(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    return result.exit_code, result.output


def test_a_run_reads_back_as_the_events_it_recorded(tmp_path: Path) -> None:
    write_run(tmp_path, "run_a")
    log, runs = load_run(tmp_path)
    assert list(log.events) == EVENTS
    assert log.pipeline == "demo" and log.version
    assert [(r.run_id, r.status, r.duration_s) for r in runs] == [("run_a", "COMPLETED", 1.0)]
    page = check_drawing(report_html(tmp_path))
    assert figures_of(page, "ds:clean") == {
        "status": "COMPLETED", "output_rows": 7, "dropped_rows": 3,
        "expectations": {"positive": {"passed_records": 7, "failed_records": 3}}}
    assert ("in:path:/data/in", "ds:raw") in page.edge_pairs()


def test_latest_by_default_and_any_earlier_run_by_id(tmp_path: Path) -> None:
    write_run(tmp_path, "run_a")
    later = [RunStarted("run_b", ("raw",)), DatasetDefined("raw", "streaming_table"),
             FlowDefined("raw", "raw"), FlowFinished("raw", "raw", "FAILED", 0, error="boom"),
             RunFinished("FAILED", 2.0, "boom")]
    write_run(tmp_path, "run_b", later)
    assert [r.run_id for r in list_runs(tmp_path)] == ["run_b", "run_a"]
    assert load_run(tmp_path)[0].summary.run_id == "run_b"
    assert load_run(tmp_path, "run_a")[0].summary.status == "COMPLETED"
    code, _ = report("--warehouse", str(tmp_path), "--run", "run_a", "-o",
                     str(tmp_path / "a.html"))
    assert code == 0
    html = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert ">run_a<" in html and 'data-run="run_b"' in html


def test_no_runs_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(EventLogError) as err:
        load_run(tmp_path / "empty")
    assert err.value.line is None
    code, output = report("--warehouse", str(tmp_path / "empty"), "-o", str(tmp_path / "r.html"))
    assert code == 2
    assert "no runs recorded" in output and "Traceback" not in output
    assert not (tmp_path / "r.html").exists()


def test_unknown_run_id_is_bad_input(tmp_path: Path) -> None:
    write_run(tmp_path, "run_a")
    for wrong in ("nope", "../run_a", "run_a.json"):
        code, output = report("--warehouse", str(tmp_path), "--run", wrong,
                              "-o", str(tmp_path / "r.html"))
        assert code == 2, wrong
        assert "no run with id" in output and "run_a" in output
        assert "Traceback" not in output
    assert not (tmp_path / "r.html").exists()


def test_a_truncated_line_names_file_and_line(tmp_path: Path) -> None:
    path = write_run(tmp_path, "run_a")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) - 40], encoding="utf-8")  # cut inside the last record
    lines = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(EventLogError) as err:
        load_run(tmp_path)
    assert err.value.line == lines and err.value.path == str(path)
    code, output = report("--warehouse", str(tmp_path), "-o", str(tmp_path / "r.html"))
    assert code == 2
    assert f"run_a.json:{lines}" in output and "truncated" in output
    assert "Traceback" not in output
    assert not (tmp_path / "r.html").exists()


def test_a_broken_earlier_run_is_listed_not_fatal(tmp_path: Path) -> None:
    broken = write_run(tmp_path, "run_a")
    broken.write_text(broken.read_text(encoding="utf-8")[:-30], encoding="utf-8")
    later = [RunStarted("run_b", ()), RunFinished("COMPLETED", 0.1)]
    write_run(tmp_path, "run_b", later)
    statuses = {r.run_id: r.status for r in list_runs(tmp_path)}
    assert statuses == {"run_a": "UNREADABLE", "run_b": "COMPLETED"}
    assert load_run(tmp_path)[0].summary.run_id == "run_b"


def test_a_dataset_that_failed_while_planned_still_shows(tmp_path: Path) -> None:
    """A query that raises during analysis fails the run before any definition."""
    write_run(tmp_path, "run_a", [
        RunStarted("run_a", ()), FlowFinished("bad", "bad", "FAILED", error="ZeroDivisionError"),
        RunFinished("FAILED", 0.2, "ZeroDivisionError")])
    html = report_html(tmp_path)
    page = check_drawing(html)
    assert page.nodes["ds:bad"]["data-status"] == "FAILED"
    assert 'data-failed="bad"' in html and "ZeroDivisionError" in html


def test_every_node_has_a_details_panel_readable_without_script(tmp_path: Path) -> None:
    write_run(tmp_path, "run_a")
    html = report_html(tmp_path)
    page = check_drawing(html)
    panels = {a["data-node"] for tag, a in page.tags if tag == "details"}
    assert panels == set(page.nodes)
    links = {a["href"] for tag, a in page.tags if tag == "a" and "node-link" in a.get("class", "")}
    assert links == {"#d" + a["id"][1:] for a in page.nodes.values()}
    without_script = html[:html.index("<script>")] + html[html.index("</script>") + 9:]
    assert "7 rows" in without_script and "positive" in without_script


def test_an_unwritable_output_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    write_run(tmp_path, "run_a")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, output = report("--warehouse", str(tmp_path), "-o", str(blocker / "r.html"))
    assert code != 0 and "Could not open file" in output and "Traceback" not in output
