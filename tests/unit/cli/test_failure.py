"""``--output json`` prints exactly one JSON object on stdout, on failure too."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dltflow.cli.interface import cli
from tests.support.fakeworkspace import FakeWorkspace, Fault
from tests.support.fakeworkspace.schema import settings_problems
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import build_project

DEPLOY = ["deploy-py-dlt", "--deployment-file", "workflows/people.yml", "--output", "json",
          "--poll-seconds", "0.01"]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    with FakeWorkspace(validate_settings=settings_problems) as server:
        monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
        monkeypatch.setenv("DATABRICKS_HOST", server.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
        monkeypatch.chdir(build_project(tmp_path / "proj"))
        yield server


def one_object(result: Result) -> dict[str, object]:
    assert TOKEN not in result.output
    parsed = json.loads(result.stdout)  # the whole of stdout is one object
    assert isinstance(parsed, dict)
    return parsed


def test_bad_input_is_a_failed_object_exit_2(fake: FakeWorkspace) -> None:
    result = CliRunner().invoke(cli, [*DEPLOY, "--environment", "nope"])
    assert result.exit_code == 2
    failure = one_object(result)
    assert failure["status"] == "failed" and failure["exit_code"] == 2
    error = failure["error"]
    assert isinstance(error, dict) and error["type"] == "ConfigError"
    assert error["source"].endswith("people.yml") and error["problems"]
    assert "Error:" in result.stderr


def test_workspace_failure_is_a_failed_object_exit_1(fake: FakeWorkspace) -> None:
    fake.inject(Fault("/api/2.0/pipelines", 403, method="POST", times=100))
    result = CliRunner().invoke(cli, [*DEPLOY, "--environment", "dev"])
    assert result.exit_code == 1
    failure = one_object(result)
    error = failure["error"]
    assert isinstance(error, dict) and error["type"] == "WorkspaceError"
    assert error["kind"] == "permission_denied" and error["status"] == 403
    assert fake.pipelines == {}


def test_failed_update_keeps_what_was_deployed(fake: FakeWorkspace) -> None:
    fake.next_update_outcome = "FAILED"
    result = CliRunner().invoke(cli, [*DEPLOY, "--environment", "dev", "--run", "--wait"])
    assert result.exit_code == 1
    failure = one_object(result)
    assert failure["status"] == "failed" and failure["error"]["type"] == "DeployError"
    deployed = failure["result"]
    (pipeline,) = deployed["pipelines"]
    assert pipeline["pipeline_id"] in fake.pipelines and pipeline["action"] == "created"
    assert deployed["updates"][0]["pipeline_id"] == pipeline["pipeline_id"]


def test_success_says_succeeded(fake: FakeWorkspace) -> None:
    result = CliRunner().invoke(cli, [*DEPLOY, "--environment", "dev"])
    assert result.exit_code == 0, result.output
    assert one_object(result)["status"] == "succeeded"


def test_run_command_bad_input_is_one_object(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipeline.py").write_text("import dlt\n")
    result = CliRunner().invoke(cli, ["run", "pipeline.py", "--schema", "../../x",
                                      "--output", "json"])
    assert result.exit_code == 2, result.output
    error = one_object(result)["error"]
    assert error["type"] == "InvalidNameError" and error["name"] == "../../x"
