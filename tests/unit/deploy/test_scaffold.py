"""Tests of what ``dltflow init`` plans and writes (the library side)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from dltflow.deploy.project import load_project
from dltflow.deploy.scaffold import (
    InitOptions,
    default_code_path,
    next_steps,
    plan_files,
    project_config,
    read_databricks_profiles,
    scaffold,
)
from dltflow.exceptions import ConfigError
from dltflow.quality import load_dlt_config

TWO_PROFILES = """\
[DEFAULT]
host = https://default.cloud.databricks.com
token = dapi-default

[DEV]
host = https://dev.cloud.databricks.com
token = dapi-dev
"""


def _options(**overrides: object) -> InitOptions:
    values: dict[str, object] = {"project_name": "demo", "code_path": "demo"}
    values.update(overrides)
    return InitOptions(**values)  # type: ignore[arg-type]


def test_project_config_shared_and_personal() -> None:
    shared = project_config(_options(profile="DEV"))
    dev = shared.target(None)
    assert (dev.mode, dev.default, dev.workspace.profile) == ("development", True, "DEV")
    assert dev.workspace.root_path == "/Shared/.dltflow/demo"
    assert not dev.is_personal
    personal = project_config(_options(shared=False, user="me@x.com")).target("dev")
    assert personal.workspace.root_path == "/Users/me@x.com/.dltflow/demo"
    assert personal.workspace.artifact_path == "/Workspace/Users/me@x.com/.dltflow/demo/artifacts"
    assert personal.is_personal


def test_personal_without_user_uses_env_placeholder(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    scaffold(tmp_path, _options(shared=False))
    assert "${DATABRICKS_USER}" in (tmp_path / "dltflow.yml").read_text()
    monkeypatch.setenv("DATABRICKS_USER", "me@x.com")
    assert load_project(tmp_path).target("dev").workspace.root_path == \
        "/Users/me@x.com/.dltflow/demo"


def test_minimal_scaffold_writes_project_file_and_folders(tmp_path: Path) -> None:
    result = scaffold(tmp_path, _options(code_path="src/demo", conf_path="cfg"))
    assert sorted(result.written) == sorted(
        ["dltflow.yml", "src/demo/.gitkeep", "cfg/.gitkeep", "workflows/.gitkeep"])
    project = load_project(tmp_path)
    assert project.include.code.name == "src/demo"
    assert project.include.conf.name == "cfg"
    assert project.include.code.launch_method == "launch"


def test_template_files_are_consistent(tmp_path: Path) -> None:
    options = _options(project_name="My-Proj", code_path="src/my_proj", build_template=True)
    scaffold(tmp_path, options)
    deployment = yaml.safe_load((tmp_path / "workflows/sample.yml").read_text())
    workflow = deployment["dev"]["workflows"][0]
    assert workflow["development"] is True
    item = workflow["tasks"]["items"][0]
    assert item["python_file"] == "src/my_proj/pipelines/sample.py"
    assert item["parameters"] == ["--conf", "conf/sample.yml"]
    assert (tmp_path / item["python_file"]).is_file()
    config = load_dlt_config(tmp_path / "conf/sample.yml")
    assert [entry.func_name for entry in config.dlt] == ["people"]
    source = (tmp_path / item["python_file"]).read_text()
    methods = {node.name for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.FunctionDef)}
    assert {"read", "transform", "people", "launch"} <= methods
    test_source = (tmp_path / "tests/test_sample.py").read_text()
    assert "from my_proj.pipelines.sample import SamplePipeline" in test_source
    pyproject = (tmp_path / "pyproject.toml").read_text()
    assert 'pythonpath = ["src"]' in pyproject and "dltflow>=" in pyproject
    for path in plan_files(options):
        if path.endswith(".py"):
            ast.parse((tmp_path / path).read_text(), filename=path)


def test_no_launch_method_means_no_launch_block() -> None:
    files = plan_files(_options(launch_method=None, build_template=True))
    assert "def launch" not in files["demo/pipelines/sample.py"]
    assert "launch_method" not in files["dltflow.yml"]


def test_existing_project_file_is_protected(tmp_path: Path) -> None:
    (tmp_path / "dltflow.yml").write_text("dltflow: {name: keep}\n")
    with pytest.raises(ConfigError) as info:
        scaffold(tmp_path, _options())
    assert info.value.source == str(tmp_path / "dltflow.yml")
    assert (tmp_path / "dltflow.yml").read_text() == "dltflow: {name: keep}\n"
    scaffold(tmp_path, _options(), overwrite=True)
    assert load_project(tmp_path).dltflow.name == "demo"


def test_other_existing_files_are_skipped_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf/sample.yml").write_text("mine: true\n")
    result = scaffold(tmp_path, _options(build_template=True))
    assert sorted(result.skipped) == ["README.md", "conf/sample.yml"]
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert (tmp_path / "conf/sample.yml").read_text() == "mine: true\n"
    assert "setup.py" in result.written


@pytest.mark.parametrize("overrides", [
    {"project_name": "bad name"},
    {"code_path": "../outside"},
    {"code_path": "/abs/path"},
    {"code_path": "my-package"},
    {"conf_path": ""},
    {"launch_method": "not valid"},
    {"launch_method": "people"},
])
def test_bad_answers_are_config_errors(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        _options(**overrides)
    assert info.value.source == "dltflow init"
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(("name", "expected"), [
    ("my-project", "my_project"), ("My Project!", "my_project"), ("1st", "_1st"),
    ("class", "_class"), ("---", "my_project"),
])
def test_default_code_path(name: str, expected: str) -> None:
    assert default_code_path(name) == expected


def test_read_profiles_like_the_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "databrickscfg"
    config.write_text(TWO_PROFILES)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    found = read_databricks_profiles()
    assert found.path == config
    assert found.names == ["DEFAULT", "DEV"]
    assert found.profiles[1].host == "https://dev.cloud.databricks.com"
    assert found.default == "DEFAULT"


def test_settings_section_picks_default_profile(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "databrickscfg"
    config.write_text("[__settings__]\ndefault_profile = PROD\n\n[DEV]\nhost = https://d\n\n"
                      "[PROD]\nhost = https://p\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    found = read_databricks_profiles()
    assert found.names == ["DEV", "PROD"]
    assert found.default == "PROD"
    assert found.suggested == "PROD"


@pytest.mark.parametrize("content", [None, "", "not an ini file ["])
def test_missing_empty_or_broken_config_means_no_profiles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None) -> None:
    config = tmp_path / "databrickscfg"
    if content is not None:
        config.write_text(content)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    found = read_databricks_profiles()
    assert found.profiles == ()
    assert found.suggested is None


def test_next_steps() -> None:
    template = next_steps(_options(build_template=True), "proj")
    assert template[0] == "cd proj"
    assert "dltflow run --deployment-file workflows/sample.yml --environment dev" in template
    assert any(step.startswith("dltflow deploy-py-dlt") for step in template)
    bare = next_steps(_options(), ".")
    assert not bare[0].startswith("cd ")
