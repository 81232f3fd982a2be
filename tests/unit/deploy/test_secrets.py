"""Secret-looking values expanded into uploaded fields: a warning, never the value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.deploy.secrets import SecretUse, looks_secret, redact
from dltflow.deploy.spec import load_deployment
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import WORKFLOW_YML, build_project

REAL_LOOKING = "dapi0123456789abcdef0123456789abcdef"
WITH_SECRETS = WORKFLOW_YML.replace(
    "configuration: {env: dev, strict: true}",
    "configuration: {env: dev, strict: true, api: '${DATABRICKS_TOKEN}', "
    "db: 'user:${DB_PASSWORD}@host', plain: '${REGION}', literal: '" + REAL_LOOKING + "', "
    "escaped: '$${MY_SECRET}'}").replace(
    'parameters: ["--conf", "conf/people.yml"]',
    'parameters: ["--conf", "conf/people.yml", "--key", "${SERVICE_KEY}"]')
ENV = {"DATABRICKS_TOKEN": TOKEN, "DB_PASSWORD": "hunter2-pw", "REGION": "eu-west-1",
       "SERVICE_KEY": "dapiabcdefabcdefabcdefabcdefabcdef12"}


def test_which_values_look_secret() -> None:
    assert looks_secret("DATABRICKS_TOKEN", "x") and looks_secret("my_secret_id", "x")
    assert looks_secret("DB_PASSWORD", "x") and looks_secret("ANY", REAL_LOOKING)
    assert not looks_secret("REGION", "eu-west-1") and not looks_secret("USER", "dapi")
    use = SecretUse("a.b", "X", "s3cr3t-value")
    assert "s3cr3t" not in repr(use)
    assert redact({"k": ["x s3cr3t-value y"]}, [use]) == {"k": ["x *** y"]}


def test_load_deployment_finds_each_field(tmp_path: Path) -> None:
    root = build_project(tmp_path / "p", workflow_yml=WITH_SECRETS)
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root,
                           environ=ENV)
    found = {(u.field, u.variable) for u in spec.secrets}
    assert found == {("dev.workflows[0].configuration.api", "DATABRICKS_TOKEN"),
                     ("dev.workflows[0].configuration.db", "DB_PASSWORD"),
                     ("dev.workflows[0].configuration.literal", None),
                     ("dev.workflows[0].tasks.items[0].parameters[3]", "SERVICE_KEY")}


@pytest.mark.parametrize("dry_run", [True, False])
def test_deploy_warns_and_never_prints_the_value(tmp_path: Path, fake: FakeWorkspace,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 dry_run: bool) -> None:
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(build_project(tmp_path / "cli", workflow_yml=WITH_SECRETS))
    result = CliRunner().invoke(cli, ["deploy-py-dlt", "--deployment-file",
                                      "workflows/people.yml", "--environment", "dev",
                                      *(["--dry-run"] if dry_run else [])])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 4
    assert all("{{secrets/<scope>/<key>}}" in w for w in warnings)
    assert any("${DATABRICKS_TOKEN}" in w and "configuration.api" in w for w in warnings)
    for value in (TOKEN, "hunter2-pw", REAL_LOOKING, ENV["SERVICE_KEY"]):
        assert value not in result.output
    assert "eu-west-1" in result.output or not dry_run  # ordinary values still shown
    if not dry_run:  # the upload itself is what the file asked for
        (pipeline,) = fake.pipelines.values()
        assert pipeline.spec["configuration"]["db"] == "user:hunter2-pw@host"
        assert pipeline.spec["configuration"]["escaped"] == "${MY_SECRET}"


def test_no_secrets_no_warning(tmp_path: Path, fake: FakeWorkspace,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.chdir(build_project(tmp_path / "plain"))
    result = CliRunner().invoke(cli, ["deploy-py-dlt", "--deployment-file",
                                      "workflows/people.yml", "--environment", "dev"])
    assert result.exit_code == 0, result.output
    assert "Warning:" not in result.stderr
