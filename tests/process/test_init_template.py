"""The ``dltflow init --build-template`` project works at once: its own tests pass in a
fresh pytest process, it runs from its deployment file, and it deploys to a workspace
(moved from ``tests/unit/cli/test_init_cli.py``: the first test spawns pytest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli


@pytest.fixture(scope="module")
def template_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "demo-project"
    env = {"DATABRICKS_CONFIG_FILE": str(root.parent / "none")}
    result = CliRunner(env=env).invoke(cli, ["init", "--no-input", "--build-template",
                                             "--project-name", "demo-project",
                                             "--directory", str(root)])
    assert result.exit_code == 0, result.output
    assert "dltflow run --deployment-file workflows/sample.yml --environment dev" in \
        result.output
    return root


def test_template_tests_pass(template_project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(template_project), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(template_project / "tests")],
        cwd=template_project, env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "2 passed" in completed.stdout


def test_template_runs_locally_from_its_deployment_file(
        template_project: Path, spark: object, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same code path as the deployed notebook (dltflow.runtime.launch), on the test
    # session; `spark` makes sure that session exists before the command looks for one.
    monkeypatch.chdir(template_project)
    result = CliRunner().invoke(cli, ["run", "--deployment-file", "workflows/sample.yml",
                                      "--environment", "dev", "--output", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "COMPLETED"
    people = report["datasets"]["people"]
    assert (people["output_rows"], people["dropped_rows"]) == (3, 2)
    assert people["expectations"]["valid_age"]["failed_records"] == 1
    assert people["expectations"]["has_name"]["failed_records"] == 1
    assert (template_project / ".dltflow").is_dir()


def test_template_deploys_to_a_workspace(template_project: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Over real HTTP to the fake workspace; auth from DATABRICKS_HOST/TOKEN (no profile).
    from tests.support.fakeworkspace import FakeWorkspace
    from tests.support.fakeworkspace.schema import settings_problems
    from tests.support.fakeworkspace.server import TOKEN

    monkeypatch.chdir(template_project)
    args = ["deploy-py-dlt", "--deployment-file", "workflows/sample.yml", "--environment", "dev"]
    with FakeWorkspace(validate_settings=settings_problems) as fake:
        env = {"DATABRICKS_HOST": fake.url, "DATABRICKS_TOKEN": TOKEN,
               "DATABRICKS_CONFIG_FILE": str(template_project / "no-databrickscfg")}
        first = CliRunner(env=env).invoke(cli, args)
        assert first.exit_code == 0, first.output
        assert [p.spec["name"] for p in fake.pipelines.values()] == ["demo-project-sample"]
        assert fake.schema_problems == []
        fake.clear_log()
        second = CliRunner(env=env).invoke(cli, args)
        assert second.exit_code == 0, second.output
        assert fake.writes() == []
        assert TOKEN not in first.output + second.output
