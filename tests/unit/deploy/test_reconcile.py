"""Ambiguous failures over real HTTP: the change is applied, its answer is lost.

Each case injects a fault that carries the request out and then fails the answer (a
503 the SDK retries, a 500 it does not, a dropped connection, a stall past the client's
timeout) on create, edit and upload, and checks that the deploy succeeds with exactly
one correct pipeline. Real concurrent changes still stop the deploy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.deploy import (
    DeployEvent,
    Workspace,
    WorkspaceError,
    deploy,
    load_deployment,
    load_project,
    target_from_project,
)
from dltflow.deploy.reconcile import ConcurrentChangeError
from tests.support.fakeworkspace import FakeWorkspace, Fault
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import build_project
from tests.support.project import make_client as project_client

CREATE = ("/api/2.0/pipelines", "POST")
EDIT = ("/api/2.0/pipelines/", "PUT")
UPLOAD = ("/api/2.0/workspace/import", "POST")
VOLUME_UPLOAD = ("/api/2.0/fs/files/", "PUT")

# status 0 drops the connection; a delay past the client's 1 s timeout is a stall.
LOST = {"503": {"status": 503}, "500": {"status": 500}, "dropped": {"status": 0},
        "stall": {"status": 200, "delay": 2.0}}


def make_client(host: str):  # type: ignore[no-untyped-def]
    return project_client(host, TOKEN, retry_timeout_seconds=5, http_timeout_seconds=1)


def run_deploy(root: Path, fake: FakeWorkspace) -> tuple[Any, list[DeployEvent]]:
    events: list[DeployEvent] = []
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root)
    target = target_from_project(load_project(root), "dev")
    result = deploy(spec, target, Workspace(make_client(fake.url)), on_event=events.append)
    return result, events


def lose_answer(fake: FakeWorkspace, where: tuple[str, str], how: str, **extra: Any) -> None:
    fake.inject(Fault(where[0], method=where[1], applied=True, **LOST[how], **extra))


def assert_one_correct_pipeline(fake: FakeWorkspace, result: Any) -> None:
    (pipeline_id,) = fake.pipelines
    (deployed,) = result.pipelines
    assert deployed.pipeline_id == pipeline_id
    notebook = fake.pipelines[pipeline_id].spec["libraries"][-1]["notebook"]["path"]
    assert notebook == deployed.notebook_path.removeprefix("/Workspace")
    assert f"/{result.digest}'" in fake.notebooks[notebook].decode()
    assert f"{result.artifact_root}/dltflow-manifest.json".removeprefix(
        "/Workspace") in fake.workspace_files


def change_code(root: Path) -> None:
    conf = root / "conf" / "people.yml"
    conf.write_text(conf.read_text().replace("between 10 and 100", "between 11 and 100"))


@pytest.mark.parametrize("how", sorted(LOST))
def test_create_applied_answer_lost(project: Path, fake: FakeWorkspace, how: str) -> None:
    lose_answer(fake, CREATE, how)
    result, events = run_deploy(project, fake)
    assert result.pipelines[0].action == "created"
    assert_one_correct_pipeline(fake, result)
    assert any(e.kind == "reconciled" for e in events)


@pytest.mark.parametrize("how", sorted(LOST))
def test_edit_applied_answer_lost(project: Path, fake: FakeWorkspace, how: str) -> None:
    run_deploy(project, fake)
    change_code(project)
    lose_answer(fake, EDIT, how)
    result, events = run_deploy(project, fake)
    assert result.pipelines[0].action == "updated"
    assert_one_correct_pipeline(fake, result)
    assert any(e.kind == "reconciled" for e in events)


@pytest.mark.parametrize("how", sorted(LOST))
@pytest.mark.parametrize("which", [0, 2, -1], ids=["first-file", "third-file", "notebook"])
def test_upload_applied_answer_lost(project: Path, fake: FakeWorkspace, how: str,
                                    which: int) -> None:
    files = 5  # 4 artifact files and the manifest, then the notebook
    lose_answer(fake, UPLOAD, how, skip=files if which == -1 else which)
    result, _ = run_deploy(project, fake)
    assert result.pipelines[0].action == "created"
    assert_one_correct_pipeline(fake, result)


@pytest.mark.parametrize("how", ["500", "dropped"])
def test_volume_upload_applied_answer_lost(tmp_path: Path, fake: FakeWorkspace,
                                           how: str) -> None:
    root = build_project(tmp_path / "vol", artifact_path="/Volumes/main/libs/artifacts")
    lose_answer(fake, VOLUME_UPLOAD, how, skip=1)
    result, events = run_deploy(root, fake)
    (pipeline_id,) = fake.pipelines
    assert result.pipelines[0].pipeline_id == pipeline_id
    assert f"{result.artifact_root}/dltflow-manifest.json" in fake.volume_files
    if how == "500":
        assert any(e.kind == "reconciled" for e in events)


def test_failure_that_changed_nothing_is_reported(project: Path, fake: FakeWorkspace) -> None:
    fake.inject(Fault(CREATE[0], 500, method="POST", times=100))
    with pytest.raises(WorkspaceError) as info:
        run_deploy(project, fake)
    assert info.value.kind == "server_error" and fake.pipelines == {}


def test_someone_else_creates_the_name_meanwhile(project: Path, fake: FakeWorkspace) -> None:
    def other_creates() -> None:
        fake._create({"name": "people-pipeline", "catalog": "main", "schema": "theirs"})

    fake.inject(Fault(CREATE[0], 200, method="POST", before=other_creates))
    with pytest.raises(ConcurrentChangeError) as info:
        run_deploy(project, fake)
    assert info.value.name == "people-pipeline"
    (pipeline,) = fake.pipelines.values()
    assert pipeline.spec["schema"] == "theirs"


def test_someone_else_edits_meanwhile(project: Path, fake: FakeWorkspace) -> None:
    run_deploy(project, fake)
    (pipeline,) = fake.pipelines.values()

    def other_edits() -> None:
        pipeline.spec = {**pipeline.spec, "configuration": {"owner": "someone else"}}
        pipeline.last_modified += 10

    change_code(project)
    fake.inject(Fault(EDIT[0], 200, method="PUT", before=other_edits))
    with pytest.raises(ConcurrentChangeError) as info:
        run_deploy(project, fake)
    assert info.value.pipeline_id == pipeline.pipeline_id
    assert pipeline.spec["configuration"] == {"owner": "someone else"}


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            fake: FakeWorkspace) -> Iterator[FakeWorkspace]:
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.chdir(build_project(tmp_path / "cli"))
    yield fake


@pytest.mark.parametrize("where", [CREATE, EDIT, UPLOAD], ids=["create", "edit", "upload"])
def test_cli_exits_0_after_a_lost_answer(cli_env: FakeWorkspace,
                                         where: tuple[str, str]) -> None:
    args = ["deploy-py-dlt", "--deployment-file", "workflows/people.yml", "--environment",
            "dev"]
    if where == EDIT:
        assert CliRunner().invoke(cli, args).exit_code == 0
        change_code(Path.cwd())
    lose_answer(cli_env, where, "503")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(cli_env.pipelines) == 1
    assert "someone else" not in result.output
