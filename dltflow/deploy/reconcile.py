"""Writes that survive a lost answer: after an ambiguous failure, read the workspace back.

A write can take effect while its answer is lost (a 5xx after the change, a dropped
connection, a stall past the client's timeout). The SDK then retries, and the retry
meets dltflow's own change: a 409 because the name is taken, or because
``expected_last_modified`` is now stale. Reporting that as someone else's change is
wrong, so every write here, when it fails ambiguously, reads the workspace back and
decides from what is there:

- the change dltflow asked for is in place (same name and settings — the notebook path
  in them carries the artifact digest — or the same file bytes): success;
- something else is there (another pipeline of that name, settings edited by someone
  else): :class:`ConcurrentChangeError`, a clear stop;
- nothing changed: the original error stands (re-running the deploy is safe).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from dltflow.deploy.paths import RemotePath
from dltflow.deploy.workspace import ExistingPipeline, Workspace, WorkspaceError
from dltflow.exceptions import DeployError

__all__ = ["AMBIGUOUS_KINDS", "ConcurrentChangeError", "create_pipeline", "edit_pipeline",
           "same_settings", "upload", "upload_notebook"]

# Failures after which a write may or may not have taken effect. A conflict belongs
# here: after a retry it is most often dltflow's own first attempt.
AMBIGUOUS_KINDS = frozenset({"server_error", "unreachable", "throttled", "conflict"})

# Keys the server fills in when a deployment file leaves them out; their presence in the
# current settings alone is not a difference.
SERVER_DEFAULTS = frozenset({"id", "edition", "channel", "photon", "development",
                             "continuous", "storage", "clusters", "serverless",
                             "deployment", "root_path", "budget_policy_id"})

Note = Callable[[str], None]


class ConcurrentChangeError(DeployError):
    """Someone else changed the pipeline while dltflow was deploying it.

    Args:
        name: the pipeline's name.
        pipeline_id: its id, when it exists.
        what: what dltflow found.
    """

    def __init__(self, name: str, pipeline_id: str | None, what: str) -> None:
        self.name = name
        self.pipeline_id = pipeline_id
        self.what = what
        super().__init__(f"Pipeline {name!r}{f' ({pipeline_id})' if pipeline_id else ''} "
                         f"was changed by someone else during this deploy: {what}.\nHint: "
                         "look at the pipeline in the workspace, agree on who deploys it, "
                         "then deploy again (nothing else was switched over).")


def same_settings(desired: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether ``current`` (as the workspace returns it) holds ``desired``."""
    keys = set(desired) | (set(current) - SERVER_DEFAULTS)
    return all(desired.get(k) == current.get(k) for k in keys)


def upload(ws: Workspace, path: RemotePath, data: bytes, note: Note) -> None:
    """Upload a file; a lost answer is success when the file holds ``data``."""
    try:
        ws.upload(path, data)
    except WorkspaceError as err:
        if err.kind not in AMBIGUOUS_KINDS or not _holds(ws, path, data, err):
            raise
        note(f"The answer to uploading {path.display} was lost ({err.kind.replace('_', ' ')}); "
             "the file is in place with the right content.")


def upload_notebook(ws: Workspace, path: RemotePath, source: str, note: Note) -> None:
    """Upload a notebook; its path carries a digest of its source, so a notebook found
    at that path after a lost answer is this one."""
    try:
        ws.upload_notebook(path, source)
    except WorkspaceError as err:
        if err.kind not in AMBIGUOUS_KINDS or not _exists(ws, path, err):
            raise
        note(f"The answer to uploading the notebook {path.display} was lost "
             f"({err.kind.replace('_', ' ')}); the notebook is in place.")


def create_pipeline(ws: Workspace, settings: dict[str, Any], note: Note) -> str:
    """Create the pipeline; returns its id, also when the answer to the create was lost."""
    name = str(settings.get("name"))
    try:
        return ws.create_pipeline(settings)
    except WorkspaceError as err:
        if err.kind not in AMBIGUOUS_KINDS:
            raise
        ids: list[str] = _read_back(err, lambda: ws.find_pipelines(name))
        if not ids:
            raise
        if len(ids) > 1:
            raise ConcurrentChangeError(name, None, f"{len(ids)} pipelines now have this "
                                                    f"name ({', '.join(ids)})") from None
        found: ExistingPipeline = _read_back(err, lambda: ws.get_pipeline(ids[0]))
        if not same_settings(settings, found.settings):
            raise ConcurrentChangeError(name, ids[0], "a pipeline of this name with other "
                                                      "settings was created meanwhile") from None
        note(f"The answer to creating pipeline {name!r} was lost ({err.kind.replace('_', ' ')});"
             f" the workspace shows it created as asked ({ids[0]}).")
        return str(ids[0])


def edit_pipeline(ws: Workspace, existing: ExistingPipeline, settings: dict[str, Any],
                  note: Note) -> None:
    """Edit the pipeline; a lost answer (or a 409 caused by dltflow's own first attempt)
    is success when the workspace holds exactly ``settings``."""
    name = str(settings.get("name"))
    try:
        ws.edit_pipeline(existing, settings)
    except WorkspaceError as err:
        if err.kind not in AMBIGUOUS_KINDS:
            raise
        now: ExistingPipeline = _read_back(err, lambda: ws.get_pipeline(existing.pipeline_id))
        if same_settings(settings, now.settings):
            note(f"The answer to editing pipeline {name!r} was lost "
                 f"({err.kind.replace('_', ' ')}); the workspace shows the new settings.")
            return
        if now.last_modified != existing.last_modified:
            raise ConcurrentChangeError(name, existing.pipeline_id,
                                        "its settings were edited, and are not the ones "
                                        "dltflow deployed") from None
        raise


def _holds(ws: Workspace, path: RemotePath, data: bytes, err: WorkspaceError) -> bool:
    found = _read_back(err, lambda: ws.read(path))
    return found is not None and hashlib.sha256(found).digest() == hashlib.sha256(data).digest()


def _exists(ws: Workspace, path: RemotePath, err: WorkspaceError) -> bool:
    return bool(_read_back(err, lambda: ws.exists(path)))


def _read_back(err: WorkspaceError, read: Callable[[], Any]) -> Any:
    """Read the workspace after ``err``; if even that fails, ``err`` is what to report."""
    try:
        return read()
    except WorkspaceError:
        raise err from None
