"""``dltflow graph``: the planned graph as Mermaid, DOT and HTML, with no data moved."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from tests.support.report_page import check_drawing

ROOT = Path(__file__).resolve().parents[3]
APPEND = ROOT / "samples/pipelines/streaming_append.py"
APPEND_CONF = ROOT / "conf/streaming_append.yml"
MEDIUM = ROOT / "samples/pipelines/medium.py"
MEDIUM_CONF = ROOT / "conf/medium.yml"


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, ["graph", *map(str, args)], catch_exceptions=False)


def test_mermaid_shows_flows_inputs_and_quarantine(spark: SparkSession, tmp_path: Path) -> None:
    result = invoke(MEDIUM, "--conf", MEDIUM_CONF, "--warehouse", tmp_path / "wh",
                    "--schema", "graph_medium")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("flowchart LR\n")
    for name in ("raw_people", "people", "age_bins", "working_age", "working_age_quarantine"):
        assert f'"{name}<br/>' in text
    assert "quarantine of working_age" in text and "-. quarantine .->" in text
    assert not (tmp_path / "wh" / "graph_medium").exists()  # nothing was written


def test_html_of_two_append_flows_from_two_folders(spark: SparkSession, tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    result = invoke(APPEND, "--conf", APPEND_CONF, "--warehouse", tmp_path / "wh", "-o", out)
    assert result.exit_code == 0, result.output
    page = check_drawing(out.read_text(encoding="utf-8"))
    landing = (tmp_path / "wh" / "landing").resolve()
    json_in, csv_in = f"in:path:{landing / 'json'}", f"in:path:{landing / 'csv'}"
    assert set(page.nodes) == {"ds:orders", "flow:orders_from_json", "flow:orders_from_csv",
                               json_in, csv_in}
    assert page.edge_pairs() == {(json_in, "flow:orders_from_json"),
                                 (csv_in, "flow:orders_from_csv"),
                                 ("flow:orders_from_json", "ds:orders"),
                                 ("flow:orders_from_csv", "ds:orders")}
    assert page.nodes["ds:orders"]["data-kind"] == "streaming_table"
    assert not (tmp_path / "wh" / "default").exists()


def test_dot_from_a_deployment_file(spark: SparkSession, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("samples", "conf", "workflows"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    result = invoke("--deployment-file", "workflows/streaming_append.yml", "-e", "dev",
                    "--warehouse", "wh", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("digraph pipeline {")
    assert '"flow:orders_from_csv" -> "ds:orders" [style="bold"];' in result.stdout


def test_bad_source_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["graph", str(tmp_path / "missing.py")])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["graph"])
    assert result.exit_code == 2 and "name a pipeline" in result.output


def test_an_apply_changes_flow_is_a_node_into_its_target(spark: SparkSession,
                                                         tmp_path: Path) -> None:
    result = invoke(ROOT / "samples/pipelines/streaming_cdc.py", "--conf",
                    ROOT / "conf/streaming_cdc.yml", "--warehouse", tmp_path / "wh",
                    "--format", "dot")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert '"flow:users_history" [label="users_history\\napply_changes flow"' in text
    assert '"ds:user_changes" -> "flow:users_history";' in text
    assert '"flow:users_history" -> "ds:users_history" [style="bold"];' in text
    assert '"ds:users_history" [label="users_history\\nstreaming table", shape=box3d];' in text
