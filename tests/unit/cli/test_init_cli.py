"""``dltflow init`` through click's CliRunner: prompts, flags, profiles, overwrite
protection, and a template project that works at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dltflow.cli.interface import cli
from dltflow.deploy.project import load_project

TWO_PROFILES = """\
[DEFAULT]
host = https://default.cloud.databricks.com
token = dapi-default-secret

[DEV]
host = https://dev.cloud.databricks.com
token = dapi-dev-secret
"""


@pytest.fixture
def no_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point databricks-sdk at a config file that does not exist."""
    missing = tmp_path / "no-databrickscfg"
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(missing))
    return missing


@pytest.fixture
def two_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "databrickscfg"
    config.write_text(TWO_PROFILES)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    return config


def _init(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["init", *args], input=input)


def test_prompts_answered(tmp_path: Path, no_profiles: Path) -> None:
    project = tmp_path / "proj"
    answers = "\n".join(["shop", "shop_pipelines", "run_it", "settings", "jobs", "personal",
                         "me@x.com"]) + "\n"
    result = _init("--directory", str(project), input=answers)
    assert result.exit_code == 0, result.output
    config = load_project(project)
    assert config.dltflow.name == "shop"
    assert config.include.code.name == "shop_pipelines"
    assert config.include.code.launch_method == "run_it"
    assert (config.include.conf.name, config.include.workflows.name) == ("settings", "jobs")
    target = config.target(None)
    assert target.workspace.root_path == "/Users/me@x.com/.dltflow/shop"
    assert target.is_personal
    assert target.workspace.profile is None
    assert "no Databricks profiles" in result.stderr
    assert "Next steps:" in result.stdout
    for folder in ("shop_pipelines", "settings", "jobs"):
        assert (project / folder).is_dir()


def test_no_input_uses_defaults_and_warns_without_profiles(tmp_path: Path,
                                                           no_profiles: Path) -> None:
    result = _init("--no-input", "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert str(no_profiles) in result.stderr
    config = load_project(tmp_path)
    assert config.dltflow.name == "my_project"
    assert config.include.code.name == "my_project"
    assert config.include.code.launch_method == "launch"
    assert config.target("dev").workspace.root_path == "/Shared/.dltflow/my_project"
    assert not config.target("dev").is_personal


def test_flags_answer_everything(tmp_path: Path, two_profiles: Path) -> None:
    result = _init("--project-name", "p1", "--code-path", "src/p1", "--launch-method", "go",
                   "--conf-path", "c", "--workflows-path", "w", "--personal", "--user",
                   "u@x.com", "--profile", "DEV", "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    config = load_project(tmp_path)
    assert config.include.code.name == "src/p1"
    target = config.target("dev")
    assert target.workspace.profile == "DEV"
    assert target.workspace.root_path == "/Users/u@x.com/.dltflow/p1"


def test_two_profiles_are_listed_and_offered(tmp_path: Path, two_profiles: Path) -> None:
    # project, code, launch, conf, workflows, deployment, then the profile choice.
    answers = "\n".join(["p", "", "", "", "", "shared", "DEV"]) + "\n"
    result = _init("--directory", str(tmp_path), input=answers)
    assert result.exit_code == 0, result.output
    assert "DEFAULT (https://default.cloud.databricks.com)" in result.output
    assert "DEV (https://dev.cloud.databricks.com)" in result.output
    assert "Databricks profile (DEFAULT, DEV) [DEFAULT]" in result.output
    assert load_project(tmp_path).target("dev").workspace.profile == "DEV"
    assert "secret" not in result.output


def test_profile_choice_rejects_unknown_then_accepts(tmp_path: Path, two_profiles: Path) -> None:
    answers = "\n".join(["p", "", "", "", "", "shared", "NOPE", "DEV"]) + "\n"
    result = _init("--directory", str(tmp_path), input=answers)
    assert result.exit_code == 0, result.output
    assert load_project(tmp_path).target("dev").workspace.profile == "DEV"


def test_no_input_takes_the_default_profile(tmp_path: Path, two_profiles: Path) -> None:
    result = _init("--no-input", "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert load_project(tmp_path).target("dev").workspace.profile == "DEFAULT"


def test_unknown_profile_flag_warns_and_is_kept(tmp_path: Path, two_profiles: Path) -> None:
    result = _init("--no-input", "--profile", "LATER", "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "'LATER' is not in" in result.stderr
    assert load_project(tmp_path).target("dev").workspace.profile == "LATER"


def test_existing_project_file_with_no_input_is_an_error(tmp_path: Path,
                                                         no_profiles: Path) -> None:
    (tmp_path / "dltflow.yml").write_text("dltflow: {name: keep}\n")
    result = _init("--no-input", "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--overwrite" in result.stderr
    assert (tmp_path / "dltflow.yml").read_text() == "dltflow: {name: keep}\n"
    assert not (tmp_path / "my_project").exists()


def test_existing_project_file_declined_keeps_it(tmp_path: Path, no_profiles: Path) -> None:
    (tmp_path / "dltflow.yml").write_text("dltflow: {name: keep}\n")
    result = _init("--directory", str(tmp_path), input="n\n")
    assert result.exit_code == 1
    assert "Overwrite it?" in result.output
    assert (tmp_path / "dltflow.yml").read_text() == "dltflow: {name: keep}\n"


def test_existing_project_file_confirmed_prefills_answers(tmp_path: Path,
                                                          no_profiles: Path) -> None:
    (tmp_path / "dltflow.yml").write_text(
        "dltflow: {name: old}\ninclude: {code: {name: oldpkg}, conf: {name: cfg}}\n")
    result = _init("--directory", str(tmp_path), input="y\n" + "\n" * 6)
    assert result.exit_code == 0, result.output
    config = load_project(tmp_path)
    assert (config.dltflow.name, config.include.code.name, config.include.conf.name) == \
        ("old", "oldpkg", "cfg")
    assert config.targets["dev"].default


def test_overwrite_flag_replaces_project_file_only(tmp_path: Path, no_profiles: Path) -> None:
    (tmp_path / "dltflow.yml").write_text("dltflow: {name: keep}\n")
    (tmp_path / "README.md").write_text("mine\n")
    result = _init("--no-input", "--overwrite", "--build-template", "--project-name", "new",
                   "--directory", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert load_project(tmp_path).dltflow.name == "new"
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert "skipped  README.md" in result.output


def test_bad_answer_is_a_clear_error(tmp_path: Path, no_profiles: Path) -> None:
    result = _init("--no-input", "--code-path", "../escape", "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert "Error: Invalid configuration in dltflow init" in result.stderr
    assert "code path" in result.stderr
    assert not (tmp_path / "dltflow.yml").exists()


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
