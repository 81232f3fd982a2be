"""A fake Databricks workspace: the REST endpoints dltflow's deploy uses, in memory.

Paths and JSON shapes follow what ``databricks-sdk`` (0.156) sends and parses:
workspace import/export/get-status/mkdirs/list, Files API (``/api/2.0/fs/files``,
``/api/2.0/fs/directories``), DBFS put/mkdirs/get-status/read, pipelines
(list/create/get/edit, updates, events) and SCIM ``Me``. Every request is logged;
faults can be injected per path prefix; every pipeline create/edit body goes to a
validator callback.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

TOKEN = "dapi-test-secret"
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_DBFS_LIMIT = 1024 * 1024


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any

    @property
    def is_write(self) -> bool:
        return self.method in _WRITE_METHODS


@dataclass
class Fault:
    """The next ``times`` requests matching ``method`` and ``path_prefix`` (after
    ``skip`` matching ones) get ``status``.

    ``applied=True`` carries the request out first and then loses the answer (the
    client sees ``status`` although the change took effect); ``status=0`` drops the
    connection without any answer; ``status=200`` answers normally (with ``delay``: a
    stall); ``delay`` waits that many seconds before answering; ``before`` runs just
    before the request is handled (someone else's change at that moment).
    """

    path_prefix: str
    status: int
    times: int = 1
    skip: int = 0
    method: str | None = None
    error_code: str | None = None
    message: str = "injected fault"
    applied: bool = False
    delay: float = 0.0
    before: Callable[[], None] | None = None


@dataclass
class _Pipeline:
    pipeline_id: str
    spec: dict[str, Any]
    last_modified: int
    creator: str


@dataclass
class _Update:
    update_id: str
    pipeline_id: str
    outcome: str
    states: list[str] = field(default_factory=list)
    reported: bool = False


_ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED",
                403: "PERMISSION_DENIED", 404: "RESOURCE_DOES_NOT_EXIST",
                409: "RESOURCE_ALREADY_EXISTS", 429: "REQUEST_LIMIT_EXCEEDED",
                500: "INTERNAL_ERROR", 503: "TEMPORARILY_UNAVAILABLE"}


class _HttpError(Exception):
    def __init__(self, status: int, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code or _ERROR_CODES.get(status, "UNKNOWN")


class FakeWorkspace:
    """The server and its state. Use as a context manager; ``url`` is its host."""

    def __init__(self, *, user: str = "jane.doe@example.com", page_size: int = 2,
                 validate_settings: Callable[[dict[str, Any]], list[str]] | None = None) -> None:
        self.user = user
        self.page_size = page_size
        self.validate_settings = validate_settings
        self.schema_problems: list[str] = []
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.workspace_files: dict[str, bytes] = {}
        self.notebooks: dict[str, bytes] = {}
        self.workspace_dirs: set[str] = {"/", "/Users", f"/Users/{user}", "/Shared"}
        self.volume_files: dict[str, bytes] = {}
        self.volume_dirs: set[str] = set()
        self.dbfs_files: dict[str, bytes] = {}
        self.dbfs_handles: dict[int, tuple[str, bytearray]] = {}
        self.dbfs_blocks = 0
        self.pipelines: dict[str, _Pipeline] = {}
        self.updates: dict[str, _Update] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.next_update_outcome = "COMPLETED"
        self.flows: list[str] = ["people", "adults"]
        self.failure_message = ("[EXPECTATION_VIOLATION] Expectation 'valid_age' on dataset "
                                "'people' was violated by 2 records: expectation violated.")
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        # A short poll: shutdown() waits up to one poll for the loop (0.5 s by default).
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeWorkspace:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test helpers -------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def writes(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.is_write]

    def clear_log(self) -> None:
        self.requests.clear()

    def add_volume(self, path: str) -> None:
        self.volume_dirs.add(path.rstrip("/"))

    # -- dispatch -----------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes
               ) -> tuple[int, dict[str, str], bytes]:
        parsed = urlparse(raw_path)
        path, query = unquote(parsed.path), parse_qs(parsed.query)
        logged_body: Any = body
        if body and "json" in (headers.get("Content-Type") or ""):
            logged_body = json.loads(body)
        with self._lock:
            self.requests.append(LoggedRequest(method, path, query, logged_body))
            fault = self._take_fault(method, path)
        try:
            if fault is not None and fault.before is not None:
                with self._lock:
                    fault.before()
            if fault is not None and not fault.applied:
                if fault.status != 200:
                    return self._fail(fault)
                time.sleep(fault.delay)
            if path == "/.well-known/databricks-config":  # the SDK's unauthenticated probe
                return 200, {"Content-Type": "application/json"}, json.dumps(
                    {"oidc_endpoint": f"{self.url}/oidc", "workspace_id": "1234567890",
                     "cloud": "aws"}).encode()
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                raise _HttpError(401, "Invalid access token.")
            with self._lock:
                status, payload = self._route(method, path, query, body, logged_body)
            if fault is not None and fault.applied:  # the change stands, the answer is lost
                if fault.status != 200:
                    return self._fail(fault)
                time.sleep(fault.delay)  # a stall: the real answer comes too late
        except _HttpError as err:
            return _error_response(err)
        if isinstance(payload, bytes):
            return status, {"Content-Type": "application/octet-stream"}, payload
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def _fail(self, fault: Fault) -> tuple[int, dict[str, str], bytes]:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status == 0:
            return 0, {}, b""  # the handler drops the connection
        return _error_response(_HttpError(fault.status, fault.message, fault.error_code))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if path.startswith(fault.path_prefix) and fault.method in (None, method):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes,
               body: Any) -> tuple[int, Any]:
        q = {k: v[0] for k, v in query.items()}
        if path == "/api/2.0/preview/scim/v2/Me" and method == "GET":
            return 200, {"id": "42", "userName": self.user, "active": True}
        if path.startswith("/api/2.0/workspace/"):
            return self._workspace(method, path.rsplit("/", 1)[1], q, body)
        if path.startswith("/api/2.0/fs/"):
            return self._files(method, path[len("/api/2.0/fs"):], q, raw)
        if path.startswith("/api/2.0/dbfs/"):
            return self._dbfs(method, path.rsplit("/", 1)[1], q, body)
        if path.startswith("/api/2.0/pipelines"):
            return self._pipelines(method, path[len("/api/2.0/pipelines"):].strip("/"), q, body)
        raise _HttpError(404, f"No API found for '{method} {path}'", "ENDPOINT_NOT_FOUND")

    # -- workspace ----------------------------------------------------------------
    def _workspace(self, method: str, op: str, q: dict[str, str], body: Any) -> tuple[int, Any]:
        if op == "mkdirs" and method == "POST":
            path = _norm(body["path"])
            if path in self.workspace_files or path in self.notebooks:
                raise _HttpError(400, f"{path} is a file", "RESOURCE_ALREADY_EXISTS")
            parts = path.strip("/").split("/")
            for i in range(1, len(parts) + 1):
                self.workspace_dirs.add("/" + "/".join(parts[:i]))
            return 200, {}
        if op == "import" and method == "POST":
            return self._import(body)
        if op == "delete" and method == "POST":
            return self._delete(_norm(body["path"]), bool(body.get("recursive")))
        if op == "get-status" and method == "GET":
            path = _norm(q["path"])
            if path in self.workspace_dirs:
                return 200, {"path": path, "object_type": "DIRECTORY", "object_id": 1}
            if path in self.notebooks:
                return 200, {"path": path, "object_type": "NOTEBOOK", "language": "PYTHON"}
            if path in self.workspace_files:
                return 200, {"path": path, "object_type": "FILE",
                             "size": len(self.workspace_files[path])}
            raise _HttpError(404, f"Path ({path}) doesn't exist.")
        if op == "export" and method == "GET":
            path = _norm(q["path"])
            data = self.notebooks.get(path, self.workspace_files.get(path))
            if data is None:
                raise _HttpError(404, f"Path ({path}) doesn't exist.")
            if q.get("direct_download") == "true":
                return 200, data
            return 200, {"content": base64.b64encode(data).decode(), "file_type": "py"}
        if op == "list" and method == "GET":
            folder = _norm(q["path"]).rstrip("/")
            objects = [{"path": p, "object_type": kind}
                       for kind, paths in (("DIRECTORY", self.workspace_dirs),
                                           ("FILE", self.workspace_files),
                                           ("NOTEBOOK", self.notebooks))
                       for p in paths if p.rsplit("/", 1)[0] == folder and p != folder]
            return 200, {"objects": objects}
        raise _HttpError(404, f"No API found for '{method} workspace/{op}'", "ENDPOINT_NOT_FOUND")

    def _import(self, body: dict[str, Any]) -> tuple[int, Any]:
        path = _norm(body["path"])
        parent = path.rsplit("/", 1)[0] or "/"
        if parent not in self.workspace_dirs:
            raise _HttpError(404, f"The parent folder ({parent}) does not exist.")
        exists = path in self.workspace_files or path in self.notebooks
        if exists and not body.get("overwrite"):
            raise _HttpError(400, f"{path} already exists.", "RESOURCE_ALREADY_EXISTS")
        content = base64.b64decode(body.get("content", ""))
        if body.get("format") == "SOURCE":
            if body.get("language") != "PYTHON":
                raise _HttpError(400, "language is required for SOURCE", "INVALID_PARAMETER_VALUE")
            self.notebooks[path] = content
        else:
            self.workspace_files[path] = content
        return 200, {}

    def _delete(self, path: str, recursive: bool) -> tuple[int, Any]:
        if path in self.workspace_files or path in self.notebooks:
            self.workspace_files.pop(path, None)
            self.notebooks.pop(path, None)
            return 200, {}
        if path not in self.workspace_dirs:
            raise _HttpError(404, f"Path ({path}) doesn't exist.")
        inside = [p for store in (self.workspace_files, self.notebooks, self.workspace_dirs)
                  for p in store if p.startswith(path + "/")]
        if inside and not recursive:
            raise _HttpError(400, f"Folder ({path}) is not empty.", "DIRECTORY_NOT_EMPTY")
        for p in inside:
            self.workspace_files.pop(p, None)
            self.notebooks.pop(p, None)
            self.workspace_dirs.discard(p)
        self.workspace_dirs.discard(path)
        return 200, {}

    # -- files API (volumes) ------------------------------------------------------
    def _files(self, method: str, rest: str, q: dict[str, str], raw: bytes) -> tuple[int, Any]:
        if rest.count("/") < 2:  # e.g. create-download-url: no presigned URLs here
            raise _HttpError(404, f"No API found for '{method} fs{rest}'", "ENDPOINT_NOT_FOUND")
        kind, path = rest.split("/", 2)[1], "/" + rest.split("/", 2)[2]
        path = _norm(path)
        if kind == "directories":
            if method == "PUT":
                self._require_volume(path)
                self.volume_dirs.add(path)
                return 200, {}
            if method == "HEAD":
                if path not in self.volume_dirs:
                    raise _HttpError(404, "not found")
                return 200, {}
            if method == "GET":
                if path not in self.volume_dirs:
                    raise _HttpError(404, "not found", "NOT_FOUND")
                children: dict[str, bool] = {}
                for p in (*self.volume_dirs, *self.volume_files):
                    if p.startswith(path + "/"):
                        child = path + "/" + p[len(path) + 1:].split("/")[0]
                        children[child] = children.get(child, False) or child != p or \
                            p in self.volume_dirs
                return 200, {"contents": [
                    {"path": c, "name": c.rsplit("/", 1)[1], "is_directory": d}
                    for c, d in sorted(children.items())]}
            if method == "DELETE":
                if any(p.startswith(path + "/") for p in (*self.volume_dirs, *self.volume_files)):
                    raise _HttpError(409, "directory not empty", "DIRECTORY_NOT_EMPTY")
                self.volume_dirs.discard(path)
                return 204, {}
        if kind == "files":
            if method == "PUT":
                self._require_volume(path)
                if path in self.volume_files and q.get("overwrite") == "false":
                    raise _HttpError(409, "exists", "ALREADY_EXISTS")
                self.volume_files[path] = raw
                return 204, {}
            if method == "DELETE":
                if self.volume_files.pop(path, None) is None:
                    raise _HttpError(404, "not found", "NOT_FOUND")
                return 204, {}
            if method in ("HEAD", "GET"):
                if path not in self.volume_files:
                    raise _HttpError(404, "not found", "NOT_FOUND")
                return 200, (self.volume_files[path] if method == "GET" else {})
        raise _HttpError(404, f"No API found for '{method} fs{rest}'", "ENDPOINT_NOT_FOUND")

    def _require_volume(self, path: str) -> None:
        volume = "/".join(path.split("/")[:5])
        if volume not in self.volume_dirs:
            raise _HttpError(404, f"Volume {volume} does not exist.", "NOT_FOUND")

    # -- DBFS ---------------------------------------------------------------------
    def _dbfs(self, method: str, op: str, q: dict[str, str], body: Any) -> tuple[int, Any]:
        if op == "mkdirs":
            return 200, {}
        if op == "put":
            contents = body.get("contents", "")
            if len(contents) > _DBFS_LIMIT:  # the real limit, on the base64 text
                raise _HttpError(400, "File size exceeds the 1 MB put limit; use "
                                      "create/add-block/close.", "MAX_BLOCK_SIZE_EXCEEDED")
            self.dbfs_files[_norm(body["path"])] = base64.b64decode(contents)
            return 200, {}
        if op == "create":
            handle = next(self._ids)
            self.dbfs_handles[handle] = (_norm(body["path"]), bytearray())
            return 200, {"handle": handle}
        if op == "add-block":
            if body["handle"] not in self.dbfs_handles:
                raise _HttpError(404, "unknown handle")
            if len(body.get("data", "")) > _DBFS_LIMIT:
                raise _HttpError(400, "Block size exceeds 1 MB.", "MAX_BLOCK_SIZE_EXCEEDED")
            self.dbfs_handles[body["handle"]][1].extend(base64.b64decode(body["data"]))
            self.dbfs_blocks += 1
            return 200, {}
        if op == "close":
            path, data = self.dbfs_handles.pop(body["handle"])
            self.dbfs_files[path] = bytes(data)
            return 200, {}
        if op == "delete" and method == "POST":
            path = _norm(body["path"])
            gone = [p for p in self.dbfs_files if p == path or p.startswith(path + "/")]
            if any(p != path for p in gone) and not body.get("recursive"):
                raise _HttpError(400, f"{path} is a non-empty directory", "IO_ERROR")
            for p in gone:
                del self.dbfs_files[p]
            return 200, {}
        if op == "get-status":
            path = _norm(q["path"])
            if path not in self.dbfs_files:
                raise _HttpError(404, f"No file or directory exists on path {path}.")
            return 200, {"path": path, "is_dir": False, "file_size": len(self.dbfs_files[path])}
        raise _HttpError(404, f"No API found for dbfs/{op}", "ENDPOINT_NOT_FOUND")

    # -- pipelines ----------------------------------------------------------------
    def _pipelines(self, method: str, rest: str, q: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = rest.split("/") if rest else []
        if not parts:
            if method == "GET":
                return 200, self._list_pipelines(q)
            if method == "POST":
                return 200, self._create(body)
        pipeline = self.pipelines.get(parts[0]) if parts else None
        if pipeline is None:
            raise _HttpError(404, f"Pipeline {parts[0]} does not exist.")
        if len(parts) == 1 and method == "GET":
            return 200, {"pipeline_id": pipeline.pipeline_id, "name": pipeline.spec.get("name"),
                         "spec": {**pipeline.spec, "id": pipeline.pipeline_id},
                         "state": "IDLE", "last_modified": pipeline.last_modified,
                         "creator_user_name": pipeline.creator}
        if len(parts) == 1 and method == "PUT":
            return 200, self._edit(pipeline, body)
        if parts[1:] == ["updates"] and method == "POST":
            return 200, self._start(pipeline)
        if len(parts) == 3 and parts[1] == "updates" and method == "GET":
            return 200, self._get_update(pipeline, parts[2])
        if parts[1:] == ["events"] and method == "GET":
            return 200, self._list_events(pipeline, q)
        raise _HttpError(404, f"No API found for '{method} pipelines/{rest}'",
                         "ENDPOINT_NOT_FOUND")

    def _check_settings(self, body: dict[str, Any]) -> None:
        if self.validate_settings is not None:
            self.schema_problems += self.validate_settings(body)

    def _list_pipelines(self, q: dict[str, str]) -> dict[str, Any]:
        items = sorted(self.pipelines.values(), key=lambda p: p.pipeline_id)
        match = re.fullmatch(r"name LIKE '(.*)'", q.get("filter", ""), re.S)
        if match:
            pattern = _like_regex(match.group(1).replace("''", "'"))
            items = [p for p in items if pattern.fullmatch(p.spec.get("name", ""))]
        start = int(q.get("page_token", "0"))
        size = min(int(q.get("max_results", "25")), self.page_size)
        page = items[start:start + size]
        result: dict[str, Any] = {"statuses": [
            {"pipeline_id": p.pipeline_id, "name": p.spec.get("name"), "state": "IDLE"}
            for p in page]}
        if start + size < len(items):
            result["next_page_token"] = str(start + size)
        return result

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_settings(body)
        name = body.get("name")
        if not body.get("allow_duplicate_names") and any(
                p.spec.get("name") == name for p in self.pipelines.values()):
            raise _HttpError(409, f"Pipeline name '{name}' already exists.",
                             "RESOURCE_CONFLICT")
        pipeline_id = str(uuid.UUID(int=next(self._ids)))
        spec = {k: v for k, v in body.items() if k not in ("allow_duplicate_names", "dry_run")}
        self.pipelines[pipeline_id] = _Pipeline(pipeline_id, spec, _now(), self.user)
        self.events[pipeline_id] = []
        return {"pipeline_id": pipeline_id}

    def _edit(self, pipeline: _Pipeline, body: dict[str, Any]) -> dict[str, Any]:
        self._check_settings(body)
        expected = body.get("expected_last_modified")
        if expected is not None and expected != pipeline.last_modified:
            raise _HttpError(409, "The pipeline settings were modified concurrently.",
                             "RESOURCE_CONFLICT")
        pipeline.spec = {k: v for k, v in body.items()
                         if k not in ("pipeline_id", "expected_last_modified",
                                      "allow_duplicate_names", "id")}
        pipeline.last_modified = max(_now(), pipeline.last_modified + 1)
        return {}

    def _start(self, pipeline: _Pipeline) -> dict[str, Any]:
        update_id = str(uuid.uuid4())
        outcome = self.next_update_outcome
        states = ["INITIALIZING", "RUNNING", outcome]
        self.updates[update_id] = _Update(update_id, pipeline.pipeline_id, outcome, states)
        self._event(pipeline.pipeline_id, update_id, "create_update", "INFO",
                    "Update started by dltflow.")
        return {"update_id": update_id}

    def _get_update(self, pipeline: _Pipeline, update_id: str) -> dict[str, Any]:
        update = self.updates.get(update_id)
        if update is None or update.pipeline_id != pipeline.pipeline_id:
            raise _HttpError(404, f"Update {update_id} does not exist.")
        changed = len(update.states) > 1
        state = update.states.pop(0) if changed else update.states[0]
        if changed or len(update.states) == 1 and not update.reported:
            self._flow_events(pipeline.pipeline_id, update, state)
        level = "ERROR" if state == "FAILED" else "INFO"
        self._event(pipeline.pipeline_id, update_id, "update_progress", level,
                    f"Update {update_id[:6]} is {state}.")
        return {"update": {"update_id": update_id, "pipeline_id": pipeline.pipeline_id,
                           "state": state, "creation_time": _now()}}

    def _flow_events(self, pipeline_id: str, update: _Update, state: str) -> None:
        """DLT's ``flow_progress`` events: each flow RUNNING, then COMPLETED, or the first
        flow FAILED with the exception in ``error.exceptions`` (as DLT reports it)."""
        if state == "RUNNING":
            for flow in self.flows:
                self._event(pipeline_id, update.update_id, "flow_progress", "INFO",
                            f"Flow '{flow}' is RUNNING.", flow=flow)
            return
        if state not in ("COMPLETED", "FAILED"):
            return
        update.reported = True
        for i, flow in enumerate(self.flows):
            if state == "FAILED" and i == 0:
                self._event(pipeline_id, update.update_id, "flow_progress", "ERROR",
                            f"Flow '{flow}' has FAILED fatally. An error occurred because "
                            "of the following:", flow=flow, error={"fatal": True,
                            "exceptions": [{"class_name": "org.apache.spark.sql.Expectation"
                                            "ViolationException",
                                            "message": self.failure_message}]})
            else:
                status = "COMPLETED" if state == "COMPLETED" else "STOPPED"
                self._event(pipeline_id, update.update_id, "flow_progress", "INFO",
                            f"Flow '{flow}' has {status}.", flow=flow)

    def _event(self, pipeline_id: str, update_id: str, kind: str, level: str,
               message: str, *, flow: str | None = None,
               error: dict[str, Any] | None = None) -> None:
        events = self.events.setdefault(pipeline_id, [])
        origin = {"pipeline_id": pipeline_id, "update_id": update_id}
        if flow is not None:
            origin["flow_name"] = flow
        event = {"id": str(uuid.uuid4()), "event_type": kind, "level": level,
                 "message": message, "timestamp": f"2026-01-01T00:00:{len(events):02d}Z",
                 "origin": origin}
        if error is not None:
            event["error"] = error
        events.append(event)

    def _list_events(self, pipeline: _Pipeline, q: dict[str, str]) -> dict[str, Any]:
        events = list(reversed(self.events.get(pipeline.pipeline_id, [])))  # newest first
        start = int(q.get("page_token", "0"))
        size = min(int(q.get("max_results", "25")), 3)
        result: dict[str, Any] = {"events": events[start:start + size]}
        if start + size < len(events):
            result["next_page_token"] = str(start + size)
        return result


def _error_response(err: _HttpError) -> tuple[int, dict[str, str], bytes]:
    extra = {"Retry-After": "0"} if err.status in (429, 503) else {}
    return err.status, extra, json.dumps(
        {"error_code": err.error_code, "message": str(err)}).encode()


def _norm(path: str) -> str:
    if path.startswith("/Workspace/"):
        path = path[len("/Workspace"):]
    return "/" + path.strip("/") if path.strip("/") else "/"


def _like_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                              for c in pattern), re.S)


def _now() -> int:
    return int(time.time() * 1000)


def _handler(state: FakeWorkspace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are two writes on a kept-alive connection: without TCP_NODELAY
        # the body waits for the client's delayed ACK (~20-40 ms an answer).
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = state.handle(self.command, self.path, self.headers, body)
            if status == 0:  # a dropped connection: no answer at all
                self.close_connection = True
                return
            payload = b"" if status == 204 else payload
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(payload)))
            self.end_headers()
            if self.command != "HEAD" and status != 204:
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep quiet
            pass

    return Handler
