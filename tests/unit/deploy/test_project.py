"""Tests of the ``dltflow.yml`` models and loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.deploy.project import (
    ProjectConfig,
    TargetConfig,
    WorkspaceConfig,
    expand_env_vars,
    find_project_root,
    load_project,
)
from dltflow.exceptions import ConfigError

DESIGN_EXAMPLE = """\
dltflow: {name: my_project}
include:
  code: {name: my_project, launch_method: launch}
  conf: {name: conf}
  workflows: {name: workflows}
targets:
  dev:
    mode: development
    default: true
    workspace:
      profile: DEV
      root_path: /Users/me@x.com/.dltflow/my_project
      artifact_path: /Workspace/Users/me@x.com/.dltflow/my_project/artifacts
  prod:
    mode: production
    workspace:
      host: https://prod.cloud.databricks.com
      root_path: /Shared/.dltflow/my_project
"""


def _write(root: Path, text: str) -> Path:
    (root / "dltflow.yml").write_text(text, encoding="utf-8")
    return root


def test_design_example_loads(tmp_path: Path) -> None:
    project = load_project(_write(tmp_path, DESIGN_EXAMPLE))
    assert project.dltflow.name == "my_project"
    assert project.include.code.name == "my_project"
    assert project.include.code.launch_method == "launch"
    assert project.include.conf.name == "conf"
    assert project.include.workflows.name == "workflows"
    dev = project.targets["dev"]
    assert dev == TargetConfig(
        mode="development", default=True,
        workspace=WorkspaceConfig(
            profile="DEV", root_path="/Users/me@x.com/.dltflow/my_project",
            artifact_path="/Workspace/Users/me@x.com/.dltflow/my_project/artifacts"))
    assert project.targets["prod"].workspace.host == "https://prod.cloud.databricks.com"


def test_original_dltflow_file_stays_valid(tmp_path: Path) -> None:
    # What the original `dltflow init` wrote: no launch method, `targets: null`.
    original = ("dltflow:\n  name: my_project\ninclude:\n  code:\n    name: src\n"
                "  conf:\n    name: conf\n  workflows:\n    name: workflows\ntargets: null\n")
    project = load_project(_write(tmp_path, original))
    assert project.targets == {}
    assert project.include.code.launch_method is None


def test_original_target_with_string_default_and_dbfs_artifacts(tmp_path: Path) -> None:
    text = ("dltflow: {name: p}\ninclude: {code: {name: p, launch_method: launch}, "
            "conf: {name: conf}, workflows: {name: workflows}}\n"
            "targets:\n  dev:\n    mode: dev\n    default: 'true'\n    workspace:\n"
            "      host: https://x.cloud.databricks.com\n      root_path: /Shared/.dltflow/p\n"
            "      artifact_path: dbfs:/Shared/.dltflow/p\n")
    target = load_project(_write(tmp_path, text)).target(None)
    assert target.default is True
    assert target.mode == "development"
    assert target.workspace.artifact_path == "dbfs:/Shared/.dltflow/p"


def test_include_defaults_when_omitted(tmp_path: Path) -> None:
    project = load_project(_write(tmp_path, "dltflow: {name: p}\n"))
    assert (project.include.code.name, project.include.conf.name,
            project.include.workflows.name) == ("src", "conf", "workflows")


def test_target_selection() -> None:
    project = ProjectConfig.model_validate({
        "dltflow": {"name": "p"},
        "targets": {"dev": {"default": True}, "prod": {"mode": "production"}},
    })
    assert project.target(None) is project.targets["dev"]
    assert project.target("prod").mode == "production"
    with pytest.raises(ConfigError) as info:
        project.target("staging")
    assert "dev, prod" in info.value.problems[0]
    assert "staging" in info.value.problems[0]


def test_no_default_target_is_an_error_when_ambiguous() -> None:
    project = ProjectConfig.model_validate(
        {"dltflow": {"name": "p"}, "targets": {"a": {}, "b": {}}})
    with pytest.raises(ConfigError) as info:
        project.target(None)
    assert "a, b" in info.value.problems[0]
    single = ProjectConfig.model_validate({"dltflow": {"name": "p"}, "targets": {"only": {}}})
    assert single.target(None) is single.targets["only"]


@pytest.mark.parametrize(("root_path", "personal"), [
    ("/Users/me@x.com/.dltflow/p", True),
    ("/Workspace/Users/me@x.com/.dltflow/p", True),
    ("/Shared/.dltflow/p", False),
    ("/Workspace/Shared/p", False),
    ("/UsersX/p", False),
    (None, False),
])
def test_is_personal(root_path: str | None, personal: bool) -> None:
    target = TargetConfig(workspace=WorkspaceConfig(root_path=root_path))
    assert target.is_personal is personal


def test_env_vars_are_substituted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLTFLOW_TEST_HOST", "https://h.cloud.databricks.com")
    monkeypatch.setenv("DLTFLOW_TEST_USER", "me@x.com")
    text = ("dltflow: {name: p}\ntargets:\n  dev:\n    workspace:\n"
            "      host: ${DLTFLOW_TEST_HOST}\n"
            "      root_path: /Users/${DLTFLOW_TEST_USER}/.dltflow/$${literal}\n")
    workspace = load_project(_write(tmp_path, text)).target("dev").workspace
    assert workspace.host == "https://h.cloud.databricks.com"
    assert workspace.root_path == "/Users/me@x.com/.dltflow/${literal}"


def test_unset_env_var_names_variable_and_field(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLTFLOW_TEST_MISSING", raising=False)
    text = "dltflow: {name: p}\ntargets:\n  dev:\n    workspace:\n" \
           "      host: ${DLTFLOW_TEST_MISSING}\n"
    with pytest.raises(ConfigError) as info:
        load_project(_write(tmp_path, text))
    assert info.value.source == str(tmp_path / "dltflow.yml")
    assert "DLTFLOW_TEST_MISSING" in info.value.problems[0]
    assert "targets.dev.workspace.host" in info.value.problems[0]


def test_expand_env_vars_walks_lists() -> None:
    import os
    os.environ["DLTFLOW_TEST_ITEM"] = "x"
    try:
        assert expand_env_vars({"a": ["${DLTFLOW_TEST_ITEM}", 1, None]}, source="f") == \
            {"a": ["x", 1, None]}
    finally:
        del os.environ["DLTFLOW_TEST_ITEM"]


@pytest.mark.parametrize(("text", "field", "fragment"), [
    ("dltflow: {name: p}\ntargets: {dev: {workspace: {hots: h}}}\n",
     "targets.dev.workspace.hots", "unknown key"),
    ("dltflow: {name: p}\ntargets: {dev: {mode: staging}}\n", "targets.dev.mode", "development"),
    ("include: {conf: {name: c}}\n", "dltflow", "missing"),
    ("dltflow: {name: p}\ninclude: {code: {launch_method: x}}\n", "include.code.name",
     "missing"),
    ("dltflow: {name: p}\nextra: 1\n", "extra", "unknown key"),
])
def test_invalid_fields_are_named(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_project(_write(tmp_path, text))
    err = info.value
    assert err.source == str(tmp_path / "dltflow.yml")
    assert any(f"'{field}'" in p and fragment in p for p in err.problems), err.problems
    assert err.hint
    assert "validation error" not in str(err).lower()


def test_two_default_targets_is_an_error(tmp_path: Path) -> None:
    text = "dltflow: {name: p}\ntargets: {a: {default: true}, b: {default: true}}\n"
    with pytest.raises(ConfigError) as info:
        load_project(_write(tmp_path, text))
    assert "'targets'" in info.value.problems[0]
    assert "['a', 'b']" in info.value.problems[0]


@pytest.mark.parametrize("text", ["dltflow: [\n", "- a\n- b\n", ""])
def test_unparseable_or_not_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_project(_write(tmp_path, text))
    assert info.value.source == str(tmp_path / "dltflow.yml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert "dltflow init" in (info.value.hint or "")


def test_dump_round_trips(tmp_path: Path) -> None:
    project = load_project(_write(tmp_path, DESIGN_EXAMPLE))
    assert load_project(_write(tmp_path, project.dump())) == project


def test_find_project_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = _write(tmp_path_factory.mktemp("project"), "dltflow: {name: p}\n")
    nested = project / "a" / "b"
    nested.mkdir(parents=True)
    assert find_project_root(nested) == project.resolve()
    assert find_project_root(tmp_path_factory.mktemp("not_a_project")) is None


def test_repository_project_file_is_valid(project_root: Path) -> None:
    project = load_project(project_root)
    assert project.dltflow.name == "dltflow_samples"
    assert project.include.code.name == "samples"
    assert project.target(None) is project.targets["dev"]
