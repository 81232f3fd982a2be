"""``dltflow bundle``: the repository's own sample workflow exported as a bundle resource."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dltflow.cli.interface import cli

EXPORT = ["bundle", "--deployment-file", "workflows/simple.yml", "-e", "dev",
          "--dltflow-requirement", "dltflow"]


@pytest.fixture
def project(tmp_path: Path, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("samples", "conf", "workflows"):
        shutil.copytree(project_root / name, tmp_path / name)
    shutil.copy(project_root / "dltflow.yml", tmp_path / "dltflow.yml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dry_run_shows_the_resource_and_writes_nothing(project: Path) -> None:
    result = CliRunner().invoke(cli, [*EXPORT, "--dry-run", "--output", "json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["dry_run"] is True
    assert "resources/dltflow_simple.pipeline.yml" in shown["files"]
    assert shown["resource"]["libraries"] == [{"notebook": {"path":
                                                            "dltflow_simple_launcher.py"}}]
    assert not (project / "resources").exists() and not (project / "databricks.yml").exists()


def test_export_writes_the_bundle_then_is_unchanged(project: Path) -> None:
    first = CliRunner().invoke(cli, EXPORT)
    assert first.exit_code == 0, first.output
    resource = yaml.safe_load((project / "resources/dltflow_simple.pipeline.yml").read_text())
    body = resource["resources"]["pipelines"]["dltflow_simple"]
    assert body["name"] == "dltflow-simple" and body["development"] is True
    assert (project / "databricks.yml").is_file()
    again = CliRunner().invoke(cli, [*EXPORT, "--output", "json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["written"] == []


def test_changed_file_is_not_overwritten_without_the_flag(project: Path) -> None:
    assert CliRunner().invoke(cli, EXPORT).exit_code == 0
    resource = project / "resources/dltflow_simple.pipeline.yml"
    resource.write_text("# edited by hand\n")
    refused = CliRunner().invoke(cli, EXPORT)
    assert refused.exit_code == 2
    assert "exists with other content" in refused.output
    assert resource.read_text() == "# edited by hand\n"
    assert CliRunner().invoke(cli, [*EXPORT, "--overwrite"]).exit_code == 0
    assert "resources:" in resource.read_text()


def test_missing_deployment_file_option_is_bad_input(project: Path) -> None:
    result = CliRunner().invoke(cli, ["bundle", "-e", "dev"])
    assert result.exit_code == 2
    assert "--deployment-file" in result.output
