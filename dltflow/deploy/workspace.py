"""Every call dltflow makes to a Databricks workspace, through a ``WorkspaceClient``.

The client is passed in (auth is whatever databricks-sdk resolves: a profile,
``DATABRICKS_HOST``/``DATABRICKS_TOKEN``, OAuth). SDK errors are caught by their typed
classes and become one :class:`WorkspaceError` saying what failed, why, and what to do;
credentials are scrubbed from every message.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from posixpath import dirname
from typing import TYPE_CHECKING, Any

import dltflow.deploy.settings as api_settings
from dltflow.deploy.paths import RemotePath
from dltflow.exceptions import DeployError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

_HINTS = {
    "unauthenticated": "check your credentials: DATABRICKS_HOST/DATABRICKS_TOKEN, or the "
                       "profile in dltflow.yml (`databricks auth login --profile NAME`).",
    "permission_denied": "ask a workspace admin for access, or deploy with --as-individual "
                         "to a folder you own.",
    "not_found": "check the host, the paths in dltflow.yml (root_path, artifact_path) and "
                 "that the pipeline still exists.",
    "conflict": "something with that name exists or changed meanwhile; check the workspace "
                "and deploy again.",
    "throttled": "the workspace is rate limiting requests; wait a minute and deploy again.",
    "server_error": "the workspace failed; deploy again (nothing is switched over until "
                    "the pipeline is edited, so a retry is safe).",
    "unreachable": "check the host and your network connection.",
}


#: DBFS ``put`` refuses contents over 1 MB; ``add-block`` refuses blocks over 1 MB
#: (base64), so raw blocks of 512 KiB stay well below it.
DBFS_PUT_LIMIT = 1024 * 1024
DBFS_BLOCK = 512 * 1024


class WorkspaceError(DeployError):
    """A workspace call failed.

    Args:
        action: what dltflow was doing (``upload /x/y.py``).
        kind: ``unauthenticated``, ``permission_denied``, ``not_found``, ``conflict``,
            ``throttled``, ``server_error`` or ``unreachable``.
        detail: the workspace's own message (credentials removed).
        status: the HTTP status, when there was one.
    """

    def __init__(self, action: str, kind: str, detail: str, status: int | None = None) -> None:
        self.action = action
        self.kind = kind
        self.detail = detail
        self.status = status
        code = f" (HTTP {status})" if status else ""
        super().__init__(f"Could not {action}: {kind.replace('_', ' ')}{code}: {detail}\n"
                         f"Hint: {_HINTS.get(kind, 'see the message above.')}")


@dataclass(frozen=True)
class ExistingPipeline:
    """A pipeline found in the workspace: its id, settings and last edit time."""

    pipeline_id: str
    settings: dict[str, Any]
    last_modified: int | None


class Workspace:
    """The workspace operations a deployment needs; nothing else talks to the client.

    Args:
        client: a configured ``databricks.sdk.WorkspaceClient``.
    """

    def __init__(self, client: WorkspaceClient) -> None:
        self.client = client
        self._made_dirs: set[str] = set()

    @property
    def host(self) -> str:
        return str(self.client.config.host or "").rstrip("/")

    def pipeline_url(self, pipeline_id: str) -> str:
        return f"{self.host}/pipelines/{pipeline_id}"

    def user_name(self) -> str:
        with self._calling("read the current user"):
            return str(self.client.current_user.me().user_name or "")

    def exists(self, path: RemotePath) -> bool:
        """Whether a file (or notebook) exists at ``path``."""
        from databricks.sdk.errors import NotFound

        with self._calling(f"check {path.display}"):
            try:
                if path.kind == "volume":
                    self.client.files.get_metadata(path.api_path)
                elif path.kind == "dbfs":
                    self.client.dbfs.get_status(path.api_path)
                else:
                    self.client.workspace.get_status(path.api_path)
            except NotFound:
                return False
        return True

    def upload(self, path: RemotePath, data: bytes) -> None:
        """Write a file, creating its folder; an existing file is replaced."""
        from databricks.sdk.service.workspace import ImportFormat

        self._mkdirs(path)
        with self._calling(f"upload {path.display}"):
            if path.kind == "volume":
                self.client.files.upload(path.api_path, io.BytesIO(data), overwrite=True,
                                         use_parallel=False)
            elif path.kind == "dbfs":
                self._dbfs_upload(path, data)
            else:
                self.client.workspace.import_(path.api_path, content=_b64(data),
                                              format=ImportFormat.RAW, overwrite=True)

    def _dbfs_upload(self, path: RemotePath, data: bytes) -> None:
        """DBFS ``put`` takes at most 1 MB; a bigger file is streamed in blocks (a wheel
        with its dependencies vendored easily passes 1 MB)."""
        if len(data) <= DBFS_PUT_LIMIT:
            self.client.dbfs.put(path.api_path, contents=_b64(data), overwrite=True)
            return
        handle = self.client.dbfs.create(path.api_path, overwrite=True).handle
        if handle is None:
            raise WorkspaceError(f"upload {path.display}", "server_error",
                                 "DBFS create returned no handle")
        try:
            for start in range(0, len(data), DBFS_BLOCK):
                self.client.dbfs.add_block(handle, _b64(data[start:start + DBFS_BLOCK]))
        finally:
            self.client.dbfs.close(handle)

    def upload_notebook(self, path: RemotePath, source: str) -> None:
        """Import a Python source-format notebook (pipelines run workspace notebooks)."""
        from databricks.sdk.service.workspace import ImportFormat, Language

        self._mkdirs(path)
        with self._calling(f"upload the notebook {path.display}"):
            self.client.workspace.import_(path.api_path, content=_b64(source.encode()),
                                          format=ImportFormat.SOURCE,
                                          language=Language.PYTHON, overwrite=True)

    def read(self, path: RemotePath) -> bytes | None:
        """The bytes of the file at ``path`` (a workspace file or a volume file); ``None``
        when there is none. Used to check an upload whose answer was lost."""
        from databricks.sdk.errors import NotFound
        from databricks.sdk.service.workspace import ExportFormat

        with self._calling(f"read {path.display}"):
            try:
                if path.kind == "volume":
                    contents = self.client.files.download(path.api_path).contents
                    return contents.read() if contents is not None else b""
                if path.kind == "dbfs":
                    return self.client.dbfs.download(path.api_path).read()
                return self.client.workspace.download(path.api_path,
                                                      format=ExportFormat.AUTO).read()
            except NotFound:
                return None

    def delete(self, path: RemotePath, *, folder: bool) -> None:
        """Remove a file or notebook, or a whole folder; gone already is fine."""
        from databricks.sdk.errors import NotFound

        with self._calling(f"remove {path.display}"):
            try:
                if path.kind == "workspace":
                    self.client.workspace.delete(path.api_path, recursive=folder)
                elif path.kind == "dbfs":
                    self.client.dbfs.delete(path.api_path, recursive=folder)
                elif folder:
                    self._delete_volume_folder(path.api_path)
                else:
                    self.client.files.delete(path.api_path)
            except NotFound:
                return

    def _delete_volume_folder(self, folder: str) -> None:
        # The Files API removes only empty directories: files first, then folders deepest
        # first.
        for entry in self.client.files.list_directory_contents(folder):
            if entry.path and entry.is_directory:
                self._delete_volume_folder(entry.path)
            elif entry.path:
                self.client.files.delete(entry.path)
        self.client.files.delete_directory(folder)

    def find_pipelines(self, name: str) -> list[str]:
        """Ids of the pipelines whose name is exactly ``name`` (all pages)."""
        escaped = name.replace("'", "''")
        with self._calling(f"list pipelines named {name!r}"):
            found = self.client.pipelines.list_pipelines(filter=f"name LIKE '{escaped}'",
                                                         max_results=100)
            return [p.pipeline_id for p in found if p.name == name and p.pipeline_id]

    def get_pipeline(self, pipeline_id: str) -> ExistingPipeline:
        with self._calling(f"read pipeline {pipeline_id}"):
            got = self.client.pipelines.get(pipeline_id)
        spec = got.spec.as_dict() if got.spec else {}
        return ExistingPipeline(pipeline_id, spec, got.last_modified)

    def create_pipeline(self, settings: dict[str, Any]) -> str:
        with self._calling(f"create pipeline {settings.get('name')!r}"):
            created = self.client.pipelines.create(**api_settings.to_sdk_kwargs(settings),
                                                   allow_duplicate_names=False)
        if not created.pipeline_id:
            raise WorkspaceError(f"create pipeline {settings.get('name')!r}", "server_error",
                                 "the response has no pipeline_id")
        return created.pipeline_id

    def edit_pipeline(self, existing: ExistingPipeline, settings: dict[str, Any]) -> None:
        """Replace the settings; fails with a conflict if someone edited them meanwhile."""
        with self._calling(f"edit pipeline {existing.pipeline_id}"):
            self.client.pipelines.update(existing.pipeline_id,
                                         **api_settings.to_sdk_kwargs(settings),
                                         id=existing.pipeline_id,
                                         expected_last_modified=existing.last_modified)

    def start_update(self, pipeline_id: str, *, full_refresh: bool = False) -> str:
        with self._calling(f"start an update of pipeline {pipeline_id}"):
            started = self.client.pipelines.start_update(pipeline_id, full_refresh=full_refresh)
        return str(started.update_id)

    def update_state(self, pipeline_id: str, update_id: str) -> str:
        with self._calling(f"read update {update_id} of pipeline {pipeline_id}"):
            update = self.client.pipelines.get_update(pipeline_id, update_id).update
        state = update.state if update is not None else None
        return state.value if state is not None else "UNKNOWN"

    def new_events(self, pipeline_id: str, update_id: str, seen: set[str],
                   limit: int = 200) -> list[dict[str, Any]]:
        """Events of one update not in ``seen``, oldest first (newest pages are read first)."""
        fresh = []
        with self._calling(f"read the events of pipeline {pipeline_id}"):
            for i, event in enumerate(self.client.pipelines.list_pipeline_events(
                    pipeline_id, max_results=100)):
                if event.id in seen or i >= limit:
                    break
                origin = event.origin.update_id if event.origin else None
                if origin in (None, update_id):
                    fresh.append(event.as_dict())
        seen.update(e.get("id", "") for e in fresh)
        return list(reversed(fresh))

    def _mkdirs(self, path: RemotePath) -> None:
        folder = dirname(path.api_path)
        if folder in self._made_dirs or folder in ("", "/"):
            return
        with self._calling(f"create the folder {path.parent_display}"):
            if path.kind == "volume":
                self.client.files.create_directory(folder)
            elif path.kind == "dbfs":
                self.client.dbfs.mkdirs(folder)
            else:
                self.client.workspace.mkdirs(folder)
        self._made_dirs.add(folder)

    @contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        import requests
        from databricks.sdk import errors
        from databricks.sdk.errors.base import DatabricksError

        kinds: tuple[tuple[type[BaseException], str], ...] = (
            (errors.Unauthenticated, "unauthenticated"),
            (errors.PermissionDenied, "permission_denied"),
            (errors.NotFound, "not_found"),
            (errors.ResourceConflict, "conflict"),
            (errors.TooManyRequests, "throttled"),
            (DatabricksError, "server_error"),
            (TimeoutError, "server_error"),
            (requests.RequestException, "unreachable"),
        )
        try:
            yield
        except tuple(k for k, _ in kinds) as err:
            kind = next(name for cls, name in kinds if isinstance(err, cls))
            cause = err.__cause__ if isinstance(err, TimeoutError) and err.__cause__ else err
            raise WorkspaceError(action, kind, self._redact(str(cause) or type(cause).__name__),
                                 _status(cause)) from None

    def _redact(self, text: str) -> str:
        config = self.client.config
        for secret in (config.token, config.client_secret, config.password):
            if secret:
                text = text.replace(str(secret), "***")
        return text


def _status(err: BaseException) -> int | None:
    """The HTTP status behind a typed SDK error (the SDK keeps the class, not the code)."""
    from databricks.sdk.errors.platform import STATUS_CODE_MAPPING

    for code, cls in STATUS_CODE_MAPPING.items():
        if type(err) is cls:
            return int(code)
    for code, cls in STATUS_CODE_MAPPING.items():
        if isinstance(err, cls):
            return int(code)
    return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
