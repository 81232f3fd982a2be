from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.deploy.spec import load_deployment
from dltflow.exceptions import ConfigError
from tests.support.project import WORKFLOW_YML, write


def test_loads_workflow_settings_and_tasks(project: Path) -> None:
    spec = load_deployment(project / "workflows/people.yml", "dev", project_root=project)
    (wf,) = spec.workflows
    assert wf.name == "people-pipeline"
    assert wf.settings["configuration"] == {"env": "dev", "strict": "true"}  # strings for API
    assert wf.tasks.items[0].conf_path == "conf/people.yml"
    assert wf.tasks.dependencies[0].pypi is not None


def test_json_deployment_file(project: Path) -> None:
    path = write(project / "workflows/p.json", """
        {"dev": {"workflows": [{"name": "p", "tasks": {"items": [
          {"python_file": "sample_pkg/pipelines/people.py", "config_path": "conf/people.yml"}]}}]}}
    """)
    spec = load_deployment(path, "dev", project_root=project)
    assert spec.workflows[0].tasks.items[0].conf_path == "conf/people.yml"


def test_env_var_substitution(project: Path) -> None:
    path = write(project / "workflows/e.yml", WORKFLOW_YML.replace("schema: sample",
                                                                   "schema: ${MY_SCHEMA}"))
    spec = load_deployment(path, "dev", project_root=project, environ={"MY_SCHEMA": "s1"})
    assert spec.workflows[0].settings["schema"] == "s1"


def test_unset_env_var_is_named(project: Path) -> None:
    path = write(project / "workflows/e.yml", WORKFLOW_YML.replace("schema: sample",
                                                                   "schema: ${NOPE_X}"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project, environ={})
    assert info.value.source == str(path)
    assert any("NOPE_X" in p and "dev.workflows[0].schema" in p for p in info.value.problems)


def test_unknown_settings_key_and_nested_key_are_reported(project: Path) -> None:
    path = write(project / "workflows/bad.yml", WORKFLOW_YML.replace(
        "development: true",
        "developmnet: true\n      clusters: [{label: default, num_workrs: 2}]"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project)
    text = "\n".join(info.value.problems)
    assert "field 'developmnet'" in text and "(name=people-pipeline)" in text
    assert "field 'clusters[0].num_workrs'" in text


def test_reserved_key_and_wrong_type(project: Path) -> None:
    path = write(project / "workflows/bad.yml", WORKFLOW_YML.replace(
        "development: true", "development: maybe\n      id: abc"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project)
    text = "\n".join(info.value.problems)
    assert "field 'development': expected true or false" in text
    assert "field 'id': set by dltflow" in text


@pytest.mark.parametrize("bad_path", ["../outside.py", "/etc/passwd", "sample_pkg/../../x.py"])
def test_paths_must_stay_inside_the_project(project: Path, bad_path: str) -> None:
    (project.parent / "outside.py").write_text("x = 1")
    path = write(project / "workflows/bad.yml", WORKFLOW_YML.replace(
        "sample_pkg/pipelines/people.py", bad_path))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project)
    assert any("tasks.items[0].python_file" in p and "outside the project" in p
               for p in info.value.problems)


def test_missing_conf_and_unknown_task_key(project: Path) -> None:
    path = write(project / "workflows/bad.yml", WORKFLOW_YML.replace(
        "conf/people.yml", "conf/missing.yml"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project)
    assert any("tasks.items[0].parameters" in p and "does not exist" in p
               for p in info.value.problems)
    path = write(project / "workflows/bad2.yml", WORKFLOW_YML.replace(
        "python_file:", "pyton_file: x\n            python_file:"))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project)
    assert any("tasks.items[0].pyton_file" in p and "unknown key" in p
               for p in info.value.problems)


def test_dependency_needs_exactly_one_kind_and_no_newlines(project: Path) -> None:
    path = write(project / "workflows/bad.yml", WORKFLOW_YML.replace(
        "- pypi: {package: pyyaml}", '- pypi: {package: "pyyaml\\nimport os"}'))
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=project)
    assert any("dependencies[0].pypi.package" in p for p in info.value.problems)


def test_unknown_environment_and_workflow(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_deployment(project / "workflows/people.yml", "prod", project_root=project)
    assert "dev" in (info.value.hint or "")
    spec = load_deployment(project / "workflows/people.yml", "dev", project_root=project)
    with pytest.raises(ConfigError):
        spec.select("nope")
    assert spec.select(["people-pipeline"]) == spec.workflows
