"""Deploy a plan: upload what is missing, then create or edit each pipeline.

The order is what keeps a failed deploy harmless: artifacts first (the manifest last, so
only complete folders are ever trusted), then the notebooks (new paths, old ones
untouched), and only then the pipeline edit that switches over. The deployer emits
:class:`DeployEvent` records and never prints; the CLI renders them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dltflow.deploy import reconcile
from dltflow.deploy.checks import check_deployment, recreate_problems
from dltflow.deploy.cleanup import clean_up
from dltflow.deploy.paths import RemotePath
from dltflow.deploy.plan import DeploymentPlan, DeployTarget, WorkflowPlan, plan_deployment
from dltflow.deploy.secrets import redact, warning_text
from dltflow.deploy.spec import DeploymentSpec, workflow_label
from dltflow.deploy.wheels import ship_wheels
from dltflow.deploy.workspace import ExistingPipeline, Workspace
from dltflow.exceptions import ConfigError, DeployError

_TERMINAL = {"COMPLETED", "FAILED", "CANCELED"}
_SHOWN_ERRORS = 3  # the first errors say why; later ones are mostly consequences


@dataclass(frozen=True)
class DeployEvent:
    """Something a deploy did (or, in a dry run, would do).

    Args:
        kind: ``upload``, ``reuse``, ``notebook``, ``create``, ``edit``, ``unchanged``,
            ``request``, ``reconciled`` (a lost answer checked), ``cleanup``, ``warning``,
            ``state`` or ``event``.
        message: one line for people.
        data: details for machines (paths, ids, request bodies).
    """

    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeployedPipeline:
    """One deployed pipeline: ``action`` is created, updated or unchanged."""

    name: str
    pipeline_id: str | None
    url: str | None
    action: str
    notebook_path: str


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did: artifact folder, uploads and pipelines."""

    digest: str
    artifact_root: str
    uploaded: tuple[str, ...]
    pipelines: tuple[DeployedPipeline, ...]
    dry_run: bool
    removed: tuple[str, ...] = ()


EventSink = Callable[[DeployEvent], None]


def target_from_project(project: Any, environment: str) -> DeployTarget:
    """The :class:`DeployTarget` of ``environment`` in a loaded ``dltflow.yml``."""
    ws = project.target(environment).workspace
    root, artifacts = ws.root_path, ws.artifact_path
    if not root and artifacts and RemotePath.parse(artifacts).kind == "workspace":
        root = artifacts
    if not root:
        raise ConfigError(f"targets.{environment}.workspace: field 'root_path' is missing",
                          source="dltflow.yml",
                          hint="set root_path, e.g. /Users/<you>/.dltflow/<project>.")
    return DeployTarget(environment, root, artifacts or root.rstrip("/") + "/artifacts",
                        project.include.code.name, project.include.conf.name,
                        project.include.code.launch_method, tuple(project.include.files))


def personal_prefix(environment: str, user_name: str) -> str:
    """``[dev_jane] `` for ``jane@x.com``: personal pipelines never hit shared ones."""
    short = user_name.split("@", 1)[0] or "user"
    return f"[{environment}_{short}] "


def deploy(spec: DeploymentSpec, target: DeployTarget, workspace: Workspace | None, *,
           workflows: str | Sequence[str] | None = None, as_individual: bool = False,
           dry_run: bool = False, on_event: EventSink | None = None,
           dltflow_requirement: str | None = None, keep: int | None = 1,
           allow_recreate: bool = False) -> DeployResult:
    """Deploy the workflows of ``spec`` to ``target``.

    Args:
        spec: the validated deployment file environment.
        target: paths from ``dltflow.yml``.
        workspace: the workspace (None only for an offline dry run).
        workflows: which workflows (default: all).
        as_individual: prefix names with ``[<env>_<user>] `` (also when the root path is
            in a user folder).
        dry_run: read the workspace but write nothing; the events carry the request bodies.
        on_event: receives progress events.
        dltflow_requirement: how the pipeline installs dltflow (default: a wheel of the
            running dltflow, uploaded with the artifacts).
        allow_recreate: allow changing ``catalog``/``storage`` of an existing pipeline,
            which makes Databricks recreate its tables.
        keep: after the switch, remove old versions dltflow created, keeping this many
            earlier ones per pipeline (see :mod:`dltflow.deploy.cleanup`); None keeps all.

    Raises:
        DeployError: a workspace call or a wheel build failed (nothing was switched over).
        ConfigError: the deployment file, a task or the project is invalid, or the deploy
            would recreate tables without ``allow_recreate``; raised before any write.
    """
    emit = _redacting(on_event or (lambda event: None), spec)
    if workspace is None and not dry_run:
        raise DeployError("deploying needs a workspace client; only --dry-run works without.")
    chosen = spec.select(workflows)
    check_deployment(spec, chosen, default_launch_method=target.launch_method,
                     include_files=target.include_files, artifact_path=target.artifact_path)
    shipped = ship_wheels(spec.project_root, dltflow_requirement=dltflow_requirement)
    for wheel in shipped.all:
        emit(DeployEvent("wheel", f"Wheel {wheel.filename} (sha256 {wheel.digest[:12]}, "
                                  f"{len(wheel.data)} bytes)",
                         {"filename": wheel.filename, "sha256": wheel.digest}))
    prefix = ""
    if as_individual or RemotePath.parse(target.root_path, field="root_path").is_personal():
        user = workspace.user_name() if workspace is not None else "<you>"
        prefix = personal_prefix(spec.environment, user)
    for use in spec.secrets:
        emit(DeployEvent("warning", warning_text(use, str(spec.path)), {"field": use.field}))
    plan = plan_deployment(spec, target, workflows=chosen, name_prefix=prefix,
                           dltflow_requirement=dltflow_requirement, wheels=shipped.dltflow,
                           project_wheel=shipped.project)
    existing = {wf.name: _lookup(wf, workspace) for wf in plan.workflows}  # reads only
    if not allow_recreate:
        _refuse_recreate(spec, plan, prefix, existing)
    uploaded = _upload_artifacts(plan, workspace, dry_run, emit)
    for wf in plan.workflows:
        _upload_notebook(wf, workspace, dry_run, emit)
    results = tuple(_create_or_edit(wf, existing[wf.name], workspace, dry_run, emit)
                    for wf in plan.workflows)
    removed: tuple[str, ...] = ()
    if workspace is not None and keep is not None:
        removed = clean_up(workspace, target, plan, [r.pipeline_id for r in results],
                           keep=keep, dry_run=dry_run,
                           say=lambda kind, text, data: emit(DeployEvent(kind, text, data)))
    return DeployResult(plan.digest, plan.artifact_root.display, tuple(uploaded), results,
                        dry_run, removed)


def _upload_artifacts(plan: DeploymentPlan, ws: Workspace | None, dry_run: bool,
                      emit: EventSink) -> list[str]:
    root = plan.artifact_root.display
    if ws is not None and ws.exists(plan.manifest_path):
        emit(DeployEvent("reuse", f"Artifacts unchanged, reusing {root}", {"path": root}))
        return []
    uploaded = []
    for f in plan.files:
        path = plan.artifact_root.child(f.relative)
        verb = "Would upload" if dry_run else "Uploading"
        emit(DeployEvent("upload", f"{verb} {f.relative} -> {path.display}",
                         {"path": path.display, "bytes": len(f.data)}))
        if not dry_run and ws is not None:
            reconcile.upload(ws, path, f.data, _noter(emit))
        uploaded.append(path.display)
    if not dry_run and ws is not None:
        reconcile.upload(ws, plan.manifest_path, plan.manifest(), _noter(emit))
    return uploaded


def _upload_notebook(wf: WorkflowPlan, ws: Workspace | None, dry_run: bool,
                     emit: EventSink) -> None:
    path = wf.notebook_path.display
    if ws is not None and ws.exists(wf.notebook_path):
        # A dry run shows the notebook anyway: what is deployed is worth seeing.
        emit(DeployEvent("notebook" if dry_run else "reuse", f"Notebook unchanged: {path}",
                         {"path": path, "source": wf.notebook, "unchanged": True}))
        return
    emit(DeployEvent("notebook", f"{'Would upload' if dry_run else 'Uploading'} notebook "
                                 f"{path}", {"path": path, "source": wf.notebook}))
    if not dry_run and ws is not None:
        reconcile.upload_notebook(ws, wf.notebook_path, wf.notebook, _noter(emit))


def _lookup(wf: WorkflowPlan, ws: Workspace | None) -> ExistingPipeline | None:
    """The pipeline named like ``wf`` (None: none yet); several are an error."""
    ids = ws.find_pipelines(wf.name) if ws is not None else []
    if len(ids) > 1:
        raise DeployError(f"{len(ids)} pipelines are named {wf.name!r} ({', '.join(ids)}); "
                          "dltflow cannot tell which one to update.\nHint: delete or rename "
                          "the duplicates, then deploy again.")
    return ws.get_pipeline(ids[0]) if ids and ws is not None else None


def _refuse_recreate(spec: DeploymentSpec, plan: DeploymentPlan, prefix: str,
                     existing: dict[str, ExistingPipeline | None]) -> None:
    problems = []
    labels = {prefix + wf.name: workflow_label(spec, wf) for wf in spec.workflows}
    for wf in plan.workflows:
        current = existing[wf.name]
        if current is not None:
            problems += [f"{labels[wf.name]}: {p} "
                         f"[pipeline {current.pipeline_id}]"
                         for p in recreate_problems(wf.settings, current.settings)]
    if problems:
        raise ConfigError(problems, source=str(spec.path),
                          hint="deploy with --allow-recreate if that is what you want (tables "
                               "are rebuilt from their sources; data the sources no longer "
                               "hold is lost), or keep the old value. Nothing was uploaded.")


def _create_or_edit(wf: WorkflowPlan, existing: ExistingPipeline | None, ws: Workspace | None,
                    dry_run: bool, emit: EventSink) -> DeployedPipeline:
    nb = wf.notebook_path.display
    if existing is None:
        emit(DeployEvent("request", f"POST /api/2.0/pipelines ({wf.name})",
                         {"method": "POST", "path": "/api/2.0/pipelines", "body": wf.settings}))
        if dry_run or ws is None:
            return DeployedPipeline(wf.name, None, None, "create", nb)
        pipeline_id = reconcile.create_pipeline(ws, wf.settings, _noter(emit))
        emit(DeployEvent("create", f"Created pipeline {wf.name!r} ({pipeline_id})",
                         {"pipeline_id": pipeline_id}))
        return DeployedPipeline(wf.name, pipeline_id, ws.pipeline_url(pipeline_id), "created", nb)
    assert ws is not None
    url = ws.pipeline_url(existing.pipeline_id)
    if reconcile.same_settings(wf.settings, existing.settings):
        if dry_run:  # the body is shown even when it would not be sent
            emit(DeployEvent("request", f"PUT /api/2.0/pipelines/{existing.pipeline_id} "
                             f"({wf.name}): settings unchanged, not sent",
                             {"method": "PUT", "unchanged": True,
                              "path": f"/api/2.0/pipelines/{existing.pipeline_id}",
                              "body": {**wf.settings, "id": existing.pipeline_id}}))
        emit(DeployEvent("unchanged", f"Pipeline {wf.name!r} ({existing.pipeline_id}) is up "
                                      "to date", {"pipeline_id": existing.pipeline_id}))
        return DeployedPipeline(wf.name, existing.pipeline_id, url, "unchanged", nb)
    emit(DeployEvent("request", f"PUT /api/2.0/pipelines/{existing.pipeline_id} ({wf.name})",
                     {"method": "PUT", "path": f"/api/2.0/pipelines/{existing.pipeline_id}",
                      "body": {**wf.settings, "id": existing.pipeline_id}}))
    if dry_run:
        return DeployedPipeline(wf.name, existing.pipeline_id, url, "update", nb)
    reconcile.edit_pipeline(ws, existing, wf.settings, _noter(emit))
    emit(DeployEvent("edit", f"Updated pipeline {wf.name!r} ({existing.pipeline_id})",
                     {"pipeline_id": existing.pipeline_id}))
    return DeployedPipeline(wf.name, existing.pipeline_id, url, "updated", nb)


def _redacting(emit: EventSink, spec: DeploymentSpec) -> EventSink:
    """Events never carry a secret from the deployment file (dry-run previews show the
    notebook and request bodies); what is uploaded is unchanged."""
    if not spec.secrets:
        return emit
    return lambda event: emit(DeployEvent(event.kind, redact(event.message, spec.secrets),
                                          redact(event.data, spec.secrets)))


def _noter(emit: EventSink) -> reconcile.Note:
    return lambda message: emit(DeployEvent("reconciled", message))


def run_update(workspace: Workspace, pipeline_id: str, *, full_refresh: bool = False,
               on_event: EventSink | None = None) -> str:
    """Start an update of the pipeline; returns its update id."""
    update_id = workspace.start_update(pipeline_id, full_refresh=full_refresh)
    (on_event or (lambda e: None))(DeployEvent(
        "state", f"Started update {update_id}", {"update_id": update_id}))
    return update_id


def wait_for_update(workspace: Workspace, pipeline_id: str, update_id: str, *,
                    on_event: EventSink | None = None, poll_seconds: float = 5.0,
                    timeout_seconds: float | None = None) -> str:
    """Follow an update's state and events until it ends.

    Returns:
        ``COMPLETED``.

    Raises:
        DeployError: the update failed or was canceled (with its error events), or it did
            not end within ``timeout_seconds``.
    """
    emit = on_event or (lambda e: None)
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    seen: set[str] = set()
    errors: list[str] = []
    state = ""
    while True:
        current = workspace.update_state(pipeline_id, update_id)
        # Events after the state: the events that explain a final state are then read too.
        for event in workspace.new_events(pipeline_id, update_id, seen):
            line, error = describe_event(event)
            if error is not None:
                errors.append(error)
            emit(DeployEvent("event", line, event))
        if current != state:
            state = current
            emit(DeployEvent("state", f"Update {update_id}: {state}", {"state": state}))
        if state in _TERMINAL:
            break
        if deadline is not None and time.monotonic() > deadline:
            raise DeployError(f"update {update_id} of pipeline {pipeline_id} did not end "
                              f"within {timeout_seconds:.0f}s (last state {state}).")
        time.sleep(poll_seconds)
    if state != "COMPLETED":
        detail = ("\n  " + "\n  ".join(errors[:_SHOWN_ERRORS])) if errors else \
            "\n  (the event log holds no error event for this update)"
        raise DeployError(f"update {update_id} of pipeline {pipeline_id} ended {state}{detail}"
                          f"\nHint: open {workspace.pipeline_url(pipeline_id)} for the "
                          "full event log.")
    return state


def describe_event(event: dict[str, Any]) -> tuple[str, str | None]:
    """One progress line for a pipeline event, and its error text when it is an error.

    A ``flow_progress`` event names its flow (``people: Flow 'people' is RUNNING.``); an
    error's text is its message followed by the messages of its exceptions, where DLT
    puts the actual cause.
    """
    level = event.get("level", "INFO")
    origin = event.get("origin") or {}
    message = str(event.get("message", ""))
    if event.get("event_type") == "flow_progress" and origin.get("flow_name"):
        line = f"  flow {origin['flow_name']}: {message}"
    else:
        line = f"[{level}] {event.get('event_type', 'event')}: {message}"
    causes = [f"{e.get('class_name', 'error').rsplit('.', 1)[-1]}: "
              f"{str(e.get('message', '')).strip().splitlines()[0] if e.get('message') else ''}"
              for e in (event.get("error") or {}).get("exceptions", [])]
    if level != "ERROR" and not causes:
        return line, None
    flow = f"flow {origin['flow_name']}: " if origin.get("flow_name") else ""
    error = flow + " ".join([message, *causes]).strip()
    return (line + "".join(f"\n    {c}" for c in causes)), error

