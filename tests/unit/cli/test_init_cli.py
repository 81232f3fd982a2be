"""``dltflow init`` through click's CliRunner: prompts, flags, profiles, overwrite
protection (the template project's own checks are in ``tests/process/test_init_template.py``)."""

from __future__ import annotations

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
