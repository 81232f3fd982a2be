"""Cleanup over real HTTP: old versions go, the current and previous stay, nothing foreign
is touched."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.deploy import (
    DeployEvent,
    Workspace,
    deploy,
    load_deployment,
    load_project,
    target_from_project,
)
from dltflow.deploy.cleanup import Deployed, plan_cleanup
from tests.support.fakeworkspace import FakeWorkspace, Fault
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import WORKFLOW_YML, build_project

ART = "/Shared/.dltflow/sample/art"
NOTEBOOKS = "/Shared/.dltflow/sample/notebooks"


def run_deploy(root: Path, client: Any, **kwargs: Any) -> tuple[Any, list[DeployEvent]]:
    events: list[DeployEvent] = []
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root)
    target = target_from_project(load_project(root), "dev")
    result = deploy(spec, target, Workspace(client), on_event=events.append, **kwargs)
    return result, events


def change_code(root: Path, version: int) -> None:
    (root / "conf" / "people.yml").write_text(
        (root / "conf" / "people.yml").read_text().split("# version")[0] + f"# version {version}\n")


def artifact_folders(fake: FakeWorkspace) -> set[str]:
    return {p[len(ART) + 1:].split("/")[0] for p in fake.workspace_files if p.startswith(ART + "/")}


def notebooks(fake: FakeWorkspace) -> set[str]:
    return {p for p in fake.notebooks if p.startswith(NOTEBOOKS + "/")}


def current_notebook(fake: FakeWorkspace) -> str:
    (pipeline,) = fake.pipelines.values()
    return str(pipeline.spec["libraries"][-1]["notebook"]["path"])


def test_ten_changed_deploys_leave_current_and_previous(project: Path, fake: FakeWorkspace,
                                                        client: Any) -> None:
    digests, deployed_notebooks = [], []
    for version in range(10):
        change_code(project, version)
        result, _ = run_deploy(project, client)
        digests.append(result.digest)
        deployed_notebooks.append(current_notebook(fake))
    assert len(set(digests)) == 10 and len(fake.pipelines) == 1
    assert artifact_folders(fake) == set(digests[-2:])
    assert notebooks(fake) == set(deployed_notebooks[-2:])
    assert current_notebook(fake) == deployed_notebooks[-1]
    for digest in digests[-2:]:  # the kept folders are complete
        assert f"{ART}/{digest}/dltflow-manifest.json" in fake.workspace_files
        assert f"{ART}/{digest}/sample_pkg/pipelines/people.py" in fake.workspace_files


def test_keep_n_and_an_unchanged_deploy(project: Path, fake: FakeWorkspace,
                                        client: Any) -> None:
    digests = []
    for version in range(6):
        change_code(project, version)
        digests.append(run_deploy(project, client, keep=3)[0].digest)
    assert artifact_folders(fake) == set(digests[-4:]) and len(notebooks(fake)) == 4
    result, _ = run_deploy(project, client, keep=3)  # unchanged: nothing new, nothing gone
    assert result.removed == () and artifact_folders(fake) == set(digests[-4:])
    result, _ = run_deploy(project, client, keep=0)
    assert artifact_folders(fake) == {digests[-1]} and len(notebooks(fake)) == 1
    assert len(result.removed) == 6


def test_never_touches_what_dltflow_did_not_create(project: Path, fake: FakeWorkspace,
                                                   client: Any) -> None:
    foreign = {f"{ART}/not-ours/data.csv": b"a,b\n", f"{ART}/half/conf/x.yml": b"x: 1\n",
               "/Shared/.dltflow/sample/README.md": b"hi"}
    fake.workspace_dirs.update({ART, f"{ART}/not-ours", f"{ART}/half", f"{ART}/half/conf",
                                NOTEBOOKS})
    fake.workspace_files.update(foreign)
    fake.notebooks[f"{NOTEBOOKS}/someone-elses"] = b"# Databricks notebook source\n"
    for version in range(4):
        change_code(project, version)
        run_deploy(project, client)
    for path, data in foreign.items():
        assert fake.workspace_files[path] == data
    assert f"{NOTEBOOKS}/someone-elses" in fake.notebooks
    assert len(notebooks(fake)) == 3  # two of dltflow's and the foreign one


def test_a_tampered_history_never_reaches_outside(project: Path, fake: FakeWorkspace,
                                                  client: Any) -> None:
    run_deploy(project, client)
    fake.workspace_files["/Users/jane.doe@example.com/precious.py"] = b"keep me"
    fake.workspace_dirs.add(f"{ART}/half")
    fake.workspace_files[f"{ART}/half/x.py"] = b"no manifest: not dltflow's"
    history_path = "/Shared/.dltflow/sample/dltflow-deployments.json"
    history = json.loads(fake.workspace_files[history_path])
    history["deployed"].insert(0, {"pipeline": "people-pipeline", "pipeline_id": None,
                                   "notebook": "/Workspace/Users/jane.doe@example.com/precious.py",
                                   "artifacts": "/Workspace/Users/jane.doe@example.com"})
    history["deployed"].insert(0, {"pipeline": "people-pipeline", "pipeline_id": None,
                                   "notebook": f"/Workspace{NOTEBOOKS}/../../../../Users",
                                   "artifacts": f"/Workspace{ART}/half"})
    fake.workspace_files[history_path] = json.dumps(history).encode()
    change_code(project, 1)
    run_deploy(project, client, keep=0)
    assert fake.workspace_files["/Users/jane.doe@example.com/precious.py"] == b"keep me"
    assert fake.workspace_files[f"{ART}/half/x.py"] == b"no manifest: not dltflow's"


def test_a_version_a_pipeline_still_uses_is_kept(tmp_path: Path, fake: FakeWorkspace,
                                                 client: Any) -> None:
    two = WORKFLOW_YML + WORKFLOW_YML.split("  workflows:\n")[1].replace(
        "people-pipeline", "other-pipeline")
    root = build_project(tmp_path / "two", workflow_yml=two)
    spec = lambda: load_deployment(root / "workflows/people.yml", "dev",  # noqa: E731
                                   project_root=root)
    target = target_from_project(load_project(root), "dev")
    first = deploy(spec(), target, Workspace(client), workflows="other-pipeline", keep=5)
    (other_id,) = fake.pipelines
    rollback = fake.pipelines[other_id].spec["libraries"][-1]["notebook"]["path"]
    for version in range(3):
        change_code(root, version)
        deploy(spec(), target, Workspace(client), workflows="other-pipeline", keep=5)
    # Someone rolls other-pipeline back by hand to the first version ...
    fake.pipelines[other_id].spec["libraries"][-1]["notebook"]["path"] = rollback
    change_code(root, 9)
    # ... then a deploy of the other pipeline, keeping nothing, cleans up.
    deploy(spec(), target, Workspace(client), workflows="people-pipeline", keep=0)
    assert rollback in fake.notebooks
    assert f"{ART}/{first.digest}/dltflow-manifest.json" in fake.workspace_files


def test_failed_removal_is_a_warning_and_retried_later(project: Path, fake: FakeWorkspace,
                                                       client: Any) -> None:
    for version in range(2):
        change_code(project, version)
        run_deploy(project, client)
    fake.inject(Fault("/api/2.0/workspace/delete", 403, times=100))
    change_code(project, 2)
    result, events = run_deploy(project, client)
    assert result.pipelines[0].action == "updated" and result.removed == ()
    assert any(e.kind == "warning" for e in events)
    assert len(artifact_folders(fake)) == 3
    fake.faults.clear()
    change_code(project, 3)
    run_deploy(project, client)
    assert len(artifact_folders(fake)) == 2 and len(notebooks(fake)) == 2


def test_volume_artifacts_are_cleaned(tmp_path: Path, fake: FakeWorkspace,
                                      client: Any) -> None:
    root = build_project(tmp_path / "vol", artifact_path="/Volumes/main/libs/artifacts")
    digests = []
    for version in range(4):
        change_code(root, version)
        digests.append(run_deploy(root, client)[0].digest)
    folders = {p.split("/")[5] for p in fake.volume_files}
    assert folders == set(digests[-2:])


def test_plan_keeps_versions_per_pipeline() -> None:
    def v(name: str, n: int) -> Deployed:
        return Deployed(name, "id-" + name, f"/Workspace/nb/{name}-{n}", f"/Workspace/art/{n}")

    history = [v("a", 1), v("b", 1), v("a", 2), v("a", 3)]
    plan = plan_cleanup(history, [v("a", 4)], keep=1)
    assert plan.history == (v("b", 1), v("a", 3), v("a", 4))
    assert plan.notebooks == ("/Workspace/nb/a-1", "/Workspace/nb/a-2")
    assert plan.artifacts == ("/Workspace/art/2",)  # art/1 is b's current version
    back = plan_cleanup(plan.history, [v("a", 3)], keep=0)  # a rollback re-deploys v3
    assert back.history == (v("b", 1), v("a", 3)) and back.notebooks == ("/Workspace/nb/a-4",)


def test_cli_dry_run_lists_and_removes_nothing(tmp_path: Path, fake: FakeWorkspace,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    root = build_project(tmp_path / "cli")
    monkeypatch.chdir(root)
    args = ["deploy-py-dlt", "--deployment-file", "workflows/people.yml", "--environment", "dev"]
    for version in range(3):
        change_code(root, version)
        assert CliRunner().invoke(cli, [*args, "--keep", "5"]).exit_code == 0
    before = (dict(fake.workspace_files), dict(fake.notebooks))
    fake.clear_log()
    result = CliRunner().invoke(cli, [*args, "--dry-run", "--keep", "0", "--output", "json"])
    assert result.exit_code == 0, result.output
    removed = json.loads(result.stdout)["removed"]
    assert len(removed) == 4 and all("Would remove old" in result.stderr for _ in removed)
    assert (dict(fake.workspace_files), dict(fake.notebooks)) == before
    assert fake.writes() == []
    text = CliRunner().invoke(cli, [*args, "--dry-run", "--keep", "0"])
    assert "Would remove 4 old notebook(s)/artifact folder(s):" in text.stdout
