"""Deploy over real HTTP: the real databricks-sdk client against the fake workspace."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from dltflow import __version__
from dltflow.deploy import (
    DeployEvent,
    Workspace,
    WorkspaceError,
    deploy,
    load_deployment,
    load_project,
    run_update,
    target_from_project,
    wait_for_update,
)
from dltflow.deploy.wheels import dltflow_wheel
from dltflow.exceptions import DeployError
from tests.support.fakeworkspace import FakeWorkspace, Fault
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import build_project

WORKFLOW = "workflows/people.yml"


def _deploy(root: Path, client, **kwargs):  # type: ignore[no-untyped-def]
    events: list[DeployEvent] = []
    spec = load_deployment(root / WORKFLOW, "dev", project_root=root)
    target = target_from_project(load_project(root), "dev")
    result = deploy(spec, target, Workspace(client), on_event=events.append, **kwargs)
    return result, events


def _notebook_path(fake: FakeWorkspace, pipeline_id: str) -> str:
    return fake.pipelines[pipeline_id].spec["libraries"][-1]["notebook"]["path"]


def test_first_deploy_uploads_and_creates(project: Path, fake: FakeWorkspace, client) -> None:
    result, events = _deploy(project, client)
    (pipeline,) = result.pipelines
    assert pipeline.action == "created"
    assert pipeline.url == f"{fake.url}/pipelines/{pipeline.pipeline_id}"
    stored = fake.pipelines[pipeline.pipeline_id]
    assert stored.spec["name"] == "people-pipeline"
    assert stored.spec["configuration"] == {"env": "dev", "strict": "true"}
    root = f"/Shared/.dltflow/sample/art/{result.digest}"
    assert fake.workspace_files[f"{root}/sample_pkg/pipelines/people.py"] == (
        project / "sample_pkg/pipelines/people.py").read_bytes()
    assert f"{root}/conf/people.yml" in fake.workspace_files
    assert f"{root}/dltflow-manifest.json" in fake.workspace_files
    notebook = fake.notebooks[_notebook_path(fake, pipeline.pipeline_id)].decode()
    assert notebook.startswith("# Databricks notebook source")
    assert f"'/Workspace{root}'" in notebook
    assert "%pip" not in notebook  # dependencies go through environment.dependencies
    wheel = f"/Workspace{root}/_wheels/dltflow-{__version__}-py3-none-any.whl"
    assert stored.spec["environment"]["dependencies"] == [wheel, "pyyaml"]
    assert fake.workspace_files[wheel.removeprefix("/Workspace")] == dltflow_wheel().data
    assert any(e.kind == "upload" for e in events)


def test_second_deploy_changes_nothing(project: Path, fake: FakeWorkspace, client) -> None:
    first, _ = _deploy(project, client)
    fake.clear_log()
    second, events = _deploy(project, client)
    assert fake.writes() == []
    assert second.uploaded == () and second.digest == first.digest
    assert [p.action for p in second.pipelines] == ["unchanged"]
    assert len(fake.pipelines) == 1
    assert {e.kind for e in events} == {"wheel", "reuse", "unchanged"}


def test_changed_code_edits_the_same_pipeline(project: Path, fake: FakeWorkspace,
                                              client) -> None:
    first, _ = _deploy(project, client)
    pipeline_id = first.pipelines[0].pipeline_id
    old_notebook = _notebook_path(fake, pipeline_id)
    (project / "conf/people.yml").write_text(
        (project / "conf/people.yml").read_text().replace("10 and 100", "12 and 99"))
    second, _ = _deploy(project, client)
    assert second.digest != first.digest
    assert [p.action for p in second.pipelines] == ["updated"]
    assert len(fake.pipelines) == 1 and second.pipelines[0].pipeline_id == pipeline_id
    assert _notebook_path(fake, pipeline_id) != old_notebook
    assert old_notebook in fake.notebooks  # the previous notebook is left intact
    edit = [r for r in fake.requests if r.method == "PUT"][-1]
    assert edit.body["expected_last_modified"] is not None


def test_5xx_mid_upload_leaves_pipeline_on_old_artifacts(project: Path, fake: FakeWorkspace,
                                                         client) -> None:
    first, _ = _deploy(project, client)
    pipeline_id = first.pipelines[0].pipeline_id
    before = dict(fake.pipelines[pipeline_id].spec)
    (project / "sample_pkg/pipelines/people.py").write_text(
        (project / "sample_pkg/pipelines/people.py").read_text() + "\n# changed\n")
    fake.inject(Fault("/api/2.0/workspace/import", 500, skip=2))
    with pytest.raises(WorkspaceError) as info:
        _deploy(project, client)
    assert info.value.kind == "server_error" and info.value.status == 500
    assert "upload" in info.value.action
    assert fake.pipelines[pipeline_id].spec == before
    old_root = f"/Shared/.dltflow/sample/art/{first.digest}"
    assert f"{old_root}/dltflow-manifest.json" in fake.workspace_files
    assert f"'/Workspace{old_root}'" in fake.notebooks[_notebook_path(fake, pipeline_id)].decode()
    retry, _ = _deploy(project, client)  # the half-written folder is re-uploaded, not trusted
    assert retry.pipelines[0].action == "updated" and len(retry.uploaded) > 0


def test_409_on_create_is_a_clear_error(project: Path, fake: FakeWorkspace, client) -> None:
    fake.inject(Fault("/api/2.0/pipelines", 409, method="POST",
                      error_code="RESOURCE_ALREADY_EXISTS", message="name taken"))
    with pytest.raises(WorkspaceError) as info:
        _deploy(project, client)
    assert info.value.kind == "conflict" and info.value.status == 409
    assert "create pipeline 'people-pipeline'" in str(info.value)
    assert fake.pipelines == {}


@pytest.mark.parametrize(("status", "kind"), [(401, "unauthenticated"),
                                              (403, "permission_denied"),
                                              (404, "not_found")])
def test_auth_and_missing_errors(project: Path, fake: FakeWorkspace, client, status: int,
                                 kind: str) -> None:
    fake.inject(Fault("/api/2.0/workspace/", status, times=100))
    with pytest.raises(WorkspaceError) as info:
        _deploy(project, client)
    assert info.value.kind == kind and info.value.status == status
    assert "Hint:" in str(info.value) and TOKEN not in str(info.value)


def test_wrong_token_never_shows_the_token(project: Path, fake: FakeWorkspace) -> None:
    from tests.support.project import make_client

    bad = make_client(fake.url, "dapi-wrong-secret")
    with pytest.raises(WorkspaceError) as info:
        _deploy(project, bad)
    assert info.value.kind == "unauthenticated"
    assert "dapi-wrong-secret" not in str(info.value)


def test_429_is_retried_by_the_sdk(project: Path, fake: FakeWorkspace, client) -> None:
    fake.inject(Fault("/api/2.0/pipelines", 429, method="POST"))
    result, _ = _deploy(project, client)
    assert result.pipelines[0].action == "created"
    assert len([r for r in fake.requests if r.method == "POST" and
                r.path == "/api/2.0/pipelines"]) == 2


def test_persistent_503_becomes_a_clear_error(project: Path, fake: FakeWorkspace,
                                             client) -> None:
    fake.inject(Fault("/api/2.0/workspace/mkdirs", 503, times=1000))
    with pytest.raises(WorkspaceError) as info:
        _deploy(project, client)
    assert info.value.kind == "server_error"
    assert fake.pipelines == {}


def test_dry_run_writes_nothing(project: Path, fake: FakeWorkspace, client) -> None:
    result, events = _deploy(project, client, dry_run=True)
    assert fake.writes() == []
    assert fake.workspace_files == {} and fake.pipelines == {}
    (request,) = [e for e in events if e.kind == "request"]
    assert request.data["method"] == "POST" and request.data["body"]["name"] == "people-pipeline"
    assert any(e.kind == "notebook" and "launch(" in e.data["source"] for e in events)
    assert result.pipelines[0].action == "create" and result.dry_run


def test_as_individual_prefixes_the_name(project: Path, fake: FakeWorkspace, client) -> None:
    _deploy(project, client)
    result, _ = _deploy(project, client, as_individual=True)
    assert result.pipelines[0].name == "[dev_jane.doe] people-pipeline"
    assert sorted(p.spec["name"] for p in fake.pipelines.values()) == [
        "[dev_jane.doe] people-pipeline", "people-pipeline"]


def test_personal_root_path_implies_individual(tmp_path: Path, fake: FakeWorkspace,
                                               client) -> None:
    root = build_project(tmp_path / "p")
    text = (root / "dltflow.yml").read_text().replace(
        "root_path: /Shared/.dltflow/sample", "root_path: /Users/jane.doe@example.com/.dltflow")
    (root / "dltflow.yml").write_text(text)
    result, _ = _deploy(root, client)
    assert result.pipelines[0].name.startswith("[dev_jane.doe] ")


def test_volume_artifacts(tmp_path: Path, fake: FakeWorkspace, client) -> None:
    root = build_project(tmp_path / "p", artifact_path="/Volumes/main/libs/artifacts/sample")
    result, _ = _deploy(root, client)
    key = f"/Volumes/main/libs/artifacts/sample/{result.digest}/conf/people.yml"
    assert fake.volume_files[key] == (root / "conf/people.yml").read_bytes()
    notebook = fake.notebooks[_notebook_path(fake, result.pipelines[0].pipeline_id)].decode()
    assert f"'/Volumes/main/libs/artifacts/sample/{result.digest}'" in notebook
    fake.clear_log()
    _deploy(root, client)
    assert fake.writes() == []


def test_dbfs_artifacts_only_when_asked(tmp_path: Path, fake: FakeWorkspace, client) -> None:
    root = build_project(tmp_path / "p", artifact_path="dbfs:/dltflow/sample")
    result, _ = _deploy(root, client)
    assert f"/dltflow/sample/{result.digest}/conf/people.yml" in fake.dbfs_files
    notebook = fake.notebooks[_notebook_path(fake, result.pipelines[0].pipeline_id)].decode()
    assert f"'/dbfs/dltflow/sample/{result.digest}'" in notebook


def test_finds_existing_pipeline_across_pages(project: Path, fake: FakeWorkspace,
                                              client) -> None:
    for name in ("people-pipeline-x", "people_pipeline", "a", "b", "c"):
        client.pipelines.create(name=name, allow_duplicate_names=True)
    created, _ = _deploy(project, client)
    assert created.pipelines[0].action == "created"
    again, _ = _deploy(project, client)  # the exact name is on a later page of the listing
    assert again.pipelines[0].action == "unchanged"
    assert len(fake.pipelines) == 6


def test_duplicate_names_refuse_to_guess(project: Path, fake: FakeWorkspace, client) -> None:
    for _ in range(2):
        client.pipelines.create(name="people-pipeline", allow_duplicate_names=True)
    with pytest.raises(DeployError, match="2 pipelines are named"):
        _deploy(project, client)


def test_run_and_wait(project: Path, fake: FakeWorkspace, client) -> None:
    result, _ = _deploy(project, client)
    ws, events = Workspace(client), []
    pipeline_id = result.pipelines[0].pipeline_id
    update_id = run_update(ws, pipeline_id, on_event=events.append)
    assert wait_for_update(ws, pipeline_id, update_id, on_event=events.append,
                           poll_seconds=0.01) == "COMPLETED"
    states = [e.data["state"] for e in events if e.kind == "state" and "state" in e.data]
    assert states == ["INITIALIZING", "RUNNING", "COMPLETED"]
    assert any(e.kind == "event" and "Update started" in e.message for e in events)
    progress = [e.message for e in events if e.kind == "event" and "flow " in e.message]
    assert progress == ["  flow people: Flow 'people' is RUNNING.",
                        "  flow adults: Flow 'adults' is RUNNING.",
                        "  flow people: Flow 'people' has COMPLETED.",
                        "  flow adults: Flow 'adults' has COMPLETED."]
    fake.next_update_outcome = "FAILED"
    fake.failure_message = "Expectation 'valid_age' violated by 2 records\n\tat stack..."
    update_id = run_update(ws, pipeline_id)
    with pytest.raises(DeployError, match="ended FAILED") as info:
        wait_for_update(ws, pipeline_id, update_id, poll_seconds=0.01)
    # The cause sits in the exception of the first error event, not in "FAILED".
    first_error = str(info.value).split("\n")[1]
    assert first_error == ("  flow people: Flow 'people' has FAILED fatally. An error occurred "
                           "because of the following: ExpectationViolationException: "
                           "Expectation 'valid_age' violated by 2 records")
    assert "stack" not in str(info.value)


def test_a_failed_update_without_error_events_says_so(project: Path, fake: FakeWorkspace,
                                                      client) -> None:
    result, _ = _deploy(project, client)
    ws = Workspace(client)
    pipeline_id = result.pipelines[0].pipeline_id
    fake.flows = []
    fake.next_update_outcome = "CANCELED"
    update_id = run_update(ws, pipeline_id)
    with pytest.raises(DeployError, match="ended CANCELED") as info:
        wait_for_update(ws, pipeline_id, update_id, poll_seconds=0.01)
    assert "no error event" in str(info.value)


def test_uploaded_files_are_exact(project: Path, fake: FakeWorkspace, client) -> None:
    result, _ = _deploy(project, client)
    root = f"/Shared/.dltflow/sample/art/{result.digest}"
    exported = client.workspace.export(f"{root}/conf/people.yml")
    assert base64.b64decode(exported.content) == (project / "conf/people.yml").read_bytes()


@pytest.mark.parametrize("hostile", ["../../../Users/someone/x", "/etc/passwd", "..", "a/../../b",
                                     "..\\\\..\\\\x"])
def test_workspace_paths_built_from_names_stay_under_root(
        project: Path, fake: FakeWorkspace, client, hostile: str) -> None:
    spec_file = project / WORKFLOW
    spec_file.write_text(spec_file.read_text().replace("people-pipeline", json.dumps(hostile)))
    result, _ = _deploy(project, client)
    (pipeline,) = result.pipelines
    notebook = _notebook_path(fake, pipeline.pipeline_id)
    assert notebook.startswith("/Shared/.dltflow/sample/notebooks/")
    assert "/../" not in notebook and "\n" not in notebook
    written = [*fake.workspace_files, *fake.notebooks]
    assert all(p.startswith("/Shared/.dltflow/sample/") for p in written), written
