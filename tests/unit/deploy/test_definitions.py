"""``deployment_definition``: a deployment file's tasks as one definition for run()."""

from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.deploy import deployment_definition
from dltflow.exceptions import ConfigError
from dltflow.graph import InMemoryRegistry, registration_context
from tests.support.project import build_project


def test_definition_uses_project_root_and_default_launch_method(tmp_path: Path) -> None:
    root = build_project(tmp_path / "p")
    text = (root / "dltflow.yml").read_text().replace("{name: sample_pkg}",
                                                      "{name: sample_pkg, launch_method: launch}")
    (root / "dltflow.yml").write_text(text)
    (definer,) = deployment_definition(root / "workflows/people.yml", "dev").tasks
    assert definer.artifact_root == str(root.resolve())
    # PeoplePipeline has no `launch`, so the project default falls back to registering
    assert definer.task.launch_method is None
    assert definer.task.conf_path == "conf/people.yml"


def test_definition_declares_what_the_notebook_launches(tmp_path: Path, spark: object) -> None:
    root = build_project(tmp_path / "p")
    definition = deployment_definition(root / "workflows/people.yml", "dev")
    assert definition.__name__ == "people:dev"
    assert [t.name for t in definition.tasks] == [
        "people-pipeline:sample_pkg.pipelines.people.PeoplePipeline"]
    registry = InMemoryRegistry()
    with registration_context(registry):
        definition()  # launch() on the active session, as the notebook cell does
    assert sorted(d.name for d in registry.datasets) == ["adults", "people"]


def test_unknown_workflow_is_a_config_error(tmp_path: Path) -> None:
    root = build_project(tmp_path / "p")
    with pytest.raises(ConfigError, match="no workflow named 'nope'"):
        deployment_definition(root / "workflows/people.yml", "dev", workflows=["nope"])
