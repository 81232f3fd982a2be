"""Remove what old deploys left behind, keeping the current and previous versions.

Every deploy writes a new content-addressed artifact folder and notebook when something
changed; without cleanup they pile up. dltflow only ever removes what it knows it
created: a history file in the target's ``root_path`` (``dltflow-deployments.json``)
records, per pipeline, the notebook and artifact folder of each deployed version.
After a successful switch, the versions beyond the newest ``1 + keep`` of each pipeline
are removed, unless a pipeline of the project still references them (someone rolled
back by hand). An artifact folder is removed only when it holds dltflow's manifest and
lies under the target's ``artifact_path``; a notebook only under ``root_path/notebooks``.
Cleanup never fails a deploy: the switch is done, so a failed removal is a warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dltflow.deploy.paths import RemotePath
from dltflow.deploy.plan import MANIFEST, DeploymentPlan, DeployTarget
from dltflow.deploy.workspace import Workspace, WorkspaceError
from dltflow.exceptions import DLTException

__all__ = ["HISTORY", "Deployed", "clean_up", "plan_cleanup"]

HISTORY = "dltflow-deployments.json"

Say = Callable[[str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class Deployed:
    """One deployed version of one pipeline.

    Args:
        pipeline: the pipeline's name.
        pipeline_id: its id (None before its first create, in a dry run).
        notebook: the notebook's path (as displayed, ``/Workspace/...``).
        artifacts: the artifact folder's path (as displayed).
    """

    pipeline: str
    pipeline_id: str | None
    notebook: str
    artifacts: str


@dataclass(frozen=True)
class CleanupPlan:
    """What to remove, and the history to keep afterwards."""

    history: tuple[Deployed, ...]
    notebooks: tuple[str, ...]
    artifacts: tuple[str, ...]


def plan_cleanup(history: Sequence[Deployed], current: Iterable[Deployed], *,
                 keep: int) -> CleanupPlan:
    """Add ``current`` to ``history`` and pick what no kept version uses.

    Args:
        history: known versions, oldest first.
        current: the versions just deployed.
        keep: how many earlier versions of each pipeline to keep besides the current one.
    """
    entries = list(history)
    for now in current:
        entries = [e for e in entries if not _same_version(e, now)] + [now]
    kept: list[Deployed] = []
    for name in dict.fromkeys(e.pipeline for e in entries):
        kept += [e for e in entries if e.pipeline == name][-(keep + 1):]
    kept_set = set(kept)
    ordered = tuple(e for e in entries if e in kept_set)
    used_nb = {e.notebook for e in ordered}
    used_art = {e.artifacts for e in ordered}
    return CleanupPlan(ordered,
                       tuple(dict.fromkeys(e.notebook for e in entries
                                           if e.notebook not in used_nb)),
                       tuple(dict.fromkeys(e.artifacts for e in entries
                                           if e.artifacts not in used_art)))


def clean_up(ws: Workspace, target: DeployTarget, plan: DeploymentPlan,
             pipeline_ids: Sequence[str | None], *, keep: int, dry_run: bool,
             say: Say) -> tuple[str, ...]:
    """Record this deploy in the history and remove versions no longer kept.

    Args:
        ws: the workspace.
        target: the target's paths (only objects below them are ever removed).
        plan: what was just deployed.
        pipeline_ids: the id of each of ``plan.workflows`` (None in a dry run create).
        keep: earlier versions to keep per pipeline.
        dry_run: only say what would be removed.
        say: receives ``(kind, message, data)`` events.

    Returns:
        The paths removed (or, in a dry run, that would be).
    """
    history_file = RemotePath.parse(target.root_path, field="root_path").child(HISTORY)
    try:
        raw = ws.read(history_file)
        history = _parse_history(raw)
        current = [Deployed(wf.name, pid, wf.notebook_path.display, plan.artifact_root.display)
                   for wf, pid in zip(plan.workflows, pipeline_ids, strict=True)]
        cleanup = plan_cleanup(history, current, keep=keep)
        notebooks, artifacts = _removable(ws, target, cleanup, [*history, *current])
        removed = _remove(ws, notebooks, artifacts, dry_run, say)
        if not dry_run:
            # A version not removed (still in use, a failed removal) stays recorded, so a
            # later deploy removes it once it can.
            left = set(cleanup.notebooks + cleanup.artifacts) - set(removed)
            entries = [e for e in history if e not in cleanup.history
                       and (e.notebook in left or e.artifacts in left)]
            new = _dump(list(dict.fromkeys(entries + list(cleanup.history))))
            if new != raw:  # a deploy that changed nothing writes nothing
                ws.upload(history_file, new)
        return removed
    except DLTException as err:
        say("warning", f"Warning: cleanup of old versions skipped: {err}", {})
        return ()


def _removable(ws: Workspace, target: DeployTarget, cleanup: CleanupPlan,
               known: list[Deployed]) -> tuple[list[str], list[str]]:
    """Only what lies under the target's folders and no pipeline references now."""
    notebooks_dir = RemotePath.parse(target.root_path, field="root_path").child("notebooks")
    artifacts_dir = RemotePath.parse(target.artifact_path)
    live = _live_notebooks(ws, {e.pipeline_id for e in known if e.pipeline_id})
    in_use = {e.artifacts for e in known if RemotePath.parse(e.notebook).api_path in live}
    notebooks = [n for n in cleanup.notebooks
                 if _below(n, notebooks_dir) and RemotePath.parse(n).api_path not in live]
    artifacts = [a for a in cleanup.artifacts if _below(a, artifacts_dir) and a not in in_use
                 and ws.exists(RemotePath.parse(a).child(MANIFEST))]
    return notebooks, artifacts


def _live_notebooks(ws: Workspace, pipeline_ids: set[str]) -> set[str]:
    live: set[str] = set()
    for pipeline_id in sorted(pipeline_ids):
        try:
            settings = ws.get_pipeline(pipeline_id).settings
        except WorkspaceError as err:
            if err.kind == "not_found":
                continue
            raise
        live.update(str(lib.get("notebook", {}).get("path", ""))
                    for lib in settings.get("libraries", []) if isinstance(lib, dict))
    return live


def _remove(ws: Workspace, notebooks: list[str], artifacts: list[str], dry_run: bool,
            say: Say) -> tuple[str, ...]:
    removed = []
    for path, folder in [(n, False) for n in notebooks] + [(a, True) for a in artifacts]:
        what = "artifact folder" if folder else "notebook"
        if dry_run:
            say("cleanup", f"Would remove old {what} {path}", {"path": path})
            removed.append(path)
            continue
        try:
            ws.delete(RemotePath.parse(path), folder=folder)
        except WorkspaceError as err:
            say("warning", f"Warning: could not remove {path}: {err.kind.replace('_', ' ')}",
                {"path": path})
            continue
        say("cleanup", f"Removed old {what} {path}", {"path": path})
        removed.append(path)
    return tuple(removed)


def _below(display: str, folder: RemotePath) -> bool:
    try:
        path = RemotePath.parse(display)
    except DLTException:
        return False
    return path.kind == folder.kind and path.api_path.startswith(
        folder.api_path.rstrip("/") + "/") and ".." not in path.api_path.split("/")


def _same_version(a: Deployed, b: Deployed) -> bool:
    return (a.pipeline, a.notebook, a.artifacts) == (b.pipeline, b.notebook, b.artifacts)


def _parse_history(raw: bytes | None) -> list[Deployed]:
    """The recorded versions; an unreadable file records nothing (nothing is removed)."""
    if raw is None:
        return []
    try:
        data = json.loads(raw)
        return [Deployed(str(e["pipeline"]), e.get("pipeline_id"), str(e["notebook"]),
                         str(e["artifacts"])) for e in data["deployed"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _dump(entries: list[Deployed]) -> bytes:
    return (json.dumps({"version": 1, "deployed": [asdict(e) for e in entries]}, indent=2)
            + "\n").encode()
