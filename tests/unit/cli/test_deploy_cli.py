"""``dltflow deploy-py-dlt`` through click's CliRunner, against the fake workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dltflow.cli.interface import cli
from tests.support.fakeworkspace import FakeWorkspace, Fault
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import build_project, cli_workspace

DEPLOY = ["deploy-py-dlt", "--deployment-file", "workflows/people.yml", "--environment", "dev"]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    with cli_workspace(monkeypatch, tmp_path) as server:
        monkeypatch.chdir(build_project(tmp_path / "proj"))
        yield server


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, [*DEPLOY, "--poll-seconds", "0.01", *args])
    assert TOKEN not in result.output
    return result


def test_deploy_prints_progress_id_and_url(fake: FakeWorkspace) -> None:
    result = invoke()
    assert result.exit_code == 0, result.output
    (pipeline_id,) = fake.pipelines
    assert "Uploading sample_pkg/pipelines/people.py" in result.stderr
    assert f"people-pipeline: created, id {pipeline_id}" in result.stdout
    assert f"{fake.url}/pipelines/{pipeline_id}" in result.stdout
    again = invoke()
    assert again.exit_code == 0 and "people-pipeline: unchanged" in again.stdout
    assert len(fake.pipelines) == 1


def test_dry_run_shows_notebook_and_body_and_writes_nothing(fake: FakeWorkspace) -> None:
    result = invoke("--dry-run", "--dltflow-requirement", "/Volumes/main/libs/dltflow.whl")
    assert result.exit_code == 0, result.output
    assert "%pip" not in result.stdout
    assert '"/Volumes/main/libs/dltflow.whl"' in result.stdout  # environment.dependencies
    assert "_wheels/dltflow-" not in result.stdout  # the override replaces the own wheel
    assert fake.writes() == []
    assert "# Databricks notebook source" in result.stdout
    assert "--- POST /api/2.0/pipelines ---" in result.stdout
    assert '"name": "people-pipeline"' in result.stdout
    assert "Would deploy 1 pipeline(s)" in result.stdout


def test_json_output_is_one_object(fake: FakeWorkspace) -> None:
    result = invoke("--output", "json", "--as-individual")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    (pipeline,) = summary["pipelines"]
    assert pipeline["name"] == "[dev_jane.doe] people-pipeline"
    assert pipeline["pipeline_id"] in fake.pipelines and pipeline["action"] == "created"


def test_run_and_wait(fake: FakeWorkspace) -> None:
    result = invoke("--run", "--wait")
    assert result.exit_code == 0, result.output
    assert "COMPLETED" in result.stderr
    fake.next_update_outcome = "FAILED"
    failed = invoke("--run", "--wait")
    assert failed.exit_code == 1
    assert "ended FAILED" in failed.stderr and "expectation violated" in failed.stderr
    assert "flow people: Flow 'people' is RUNNING." in failed.stderr  # per-flow progress
    assert "Expectation 'valid_age' on dataset 'people' was violated" in failed.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--environment", "prod"], "no environment 'prod'"),
    (["--wait"], "--wait needs --run"),
    (["--workflow", "nope"], "no workflow named 'nope'"),
])
def test_bad_input_exits_2(fake: FakeWorkspace, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.stderr
    assert "Traceback" not in result.output


def test_invalid_deployment_file_names_the_field(fake: FakeWorkspace) -> None:
    path = Path("workflows/people.yml")
    path.write_text(path.read_text().replace("catalog: main", "catalgo: main"))
    result = invoke()
    assert result.exit_code == 2
    assert "workflows/people.yml" in result.stderr and "field 'catalgo'" in result.stderr


def test_api_error_is_one_message(fake: FakeWorkspace) -> None:
    fake.inject(Fault("/api/2.0/workspace/import", 403, times=100))
    result = invoke()
    assert result.exit_code == 1
    assert "Error: Could not upload" in result.stderr and "permission denied" in result.stderr
    assert "Traceback" not in result.output and fake.pipelines == {}


def test_no_credentials_is_a_clear_error(fake: FakeWorkspace,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    result = invoke()
    assert result.exit_code == 1
    assert "Could not authenticate" in result.stderr and "DATABRICKS_HOST" in result.stderr


def _edit(path: str, old: str, new: str) -> None:
    file = Path(path)
    assert old in file.read_text()
    file.write_text(file.read_text().replace(old, new))


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("dltflow.yml", "{name: sample_pkg}", "{name: ../elsewhere}", "include.code.name"),
    ("dltflow.yml", "root_path: /Shared/.dltflow/sample",
     'root_path: "/Shared/.dltflow/sample\\nimport os"', "root_path"),
    ("dltflow.yml", "root_path: /Shared/.dltflow/sample",
     'root_path: "/Shared/.dltflow/\\tsample"', "control character"),
    ("dltflow.yml", "{name: sample_pkg}", "{name: sample_pkg, launch_method: 'go()'}",
     "launch_method"),
    ("workflows/people.yml", "- pypi: {package: pyyaml}", '- pypi: {package: "pyyaml\\nx"}',
     "pypi.package"),
])
def test_bad_project_values_exit_2_without_traceback(fake: FakeWorkspace, file: str, old: str,
                                                     new: str, message: str) -> None:
    _edit(file, old, new)
    result = invoke("--dry-run")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no exception escaped the command
    assert message in result.stderr


def test_non_ascii_package_name_exits_2(fake: FakeWorkspace) -> None:
    Path("sample_pkg").rename("sämple_pkg")
    _edit("dltflow.yml", "{name: sample_pkg}", "{name: sämple_pkg}")
    _edit("workflows/people.yml", "sample_pkg/", "sämple_pkg/")
    result = invoke("--dry-run")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "not importable as a module" in result.stderr


def test_requirement_with_a_newline_exits_2(fake: FakeWorkspace) -> None:
    result = invoke("--dry-run", "--dltflow-requirement", "dltflow\n%sh rm -rf /")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "--dltflow-requirement" in result.stderr


def test_dry_run_lists_exactly_the_files_it_would_upload(fake: FakeWorkspace) -> None:
    Path("sample_pkg/id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    Path("sample_pkg/.env").write_text("TOKEN=x\n")
    Path("sample_pkg/secrets.json").write_text("{}\n")
    Path(".gitignore").write_text("secrets.json\n")
    result = invoke("--dry-run")
    assert result.exit_code == 0, result.output
    listed = [line.split()[2] for line in result.stderr.splitlines()
              if line.startswith("Would upload ") and "notebook" not in line]
    assert listed == ["_wheels/dltflow-0.2.0-py3-none-any.whl", "conf/people.yml",
                      "sample_pkg/__init__.py",
                      "sample_pkg/pipelines/__init__.py", "sample_pkg/pipelines/people.py"]


def test_dry_run_after_a_deploy_still_prints_notebook_and_body(fake: FakeWorkspace) -> None:
    assert invoke().exit_code == 0
    fake.clear_log()
    result = invoke("--dry-run")
    assert result.exit_code == 0, result.output
    assert fake.writes() == []
    (pipeline_id,) = fake.pipelines
    assert "(unchanged, already deployed) ---\n# Databricks notebook source" in result.stdout
    assert (f"--- PUT /api/2.0/pipelines/{pipeline_id} (settings unchanged, would not be "
            "sent) ---") in result.stdout
    assert '"environment": {' in result.stdout and "people-pipeline: unchanged" in result.stdout
