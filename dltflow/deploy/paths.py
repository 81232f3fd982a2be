"""Where artifacts go: a workspace folder, a Unity Catalog volume, or DBFS.

One path has two spellings: the one the REST API takes and the one code running on the
cluster opens (workspace files are mounted under ``/Workspace``, DBFS under ``/dbfs``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Literal

from dltflow.exceptions import ConfigError, UnsafePathError

Kind = Literal["workspace", "volume", "dbfs"]


@dataclass(frozen=True)
class RemotePath:
    """A location in the workspace.

    Args:
        kind: ``workspace`` (workspace files), ``volume`` (``/Volumes/...``) or ``dbfs``.
        api_path: the path the REST API takes.
    """

    kind: Kind
    api_path: str

    @classmethod
    def parse(cls, text: str, *, field: str = "artifact_path") -> RemotePath:
        """``/Workspace/x`` or ``/x`` (workspace), ``/Volumes/...``, or ``dbfs:/x``."""
        text = text.strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise ConfigError(f"field '{field}': {text!r} contains a control character",
                              source="dltflow.yml", hint="a workspace path is one line of "
                              "printable characters, e.g. /Workspace/Users/<you>/...")
        if text.startswith("dbfs:/"):
            return cls("dbfs", _clean("/" + text[len("dbfs:/"):]))
        if not text.startswith("/"):
            raise ConfigError(f"field '{field}': {text!r} is not an absolute workspace path",
                              source="dltflow.yml",
                              hint="use /Workspace/Users/<you>/..., /Volumes/<catalog>/"
                                   "<schema>/<volume>/... or dbfs:/...")
        if text.startswith("/Volumes/"):
            return cls("volume", _clean(text))
        if text == "/Workspace" or text.startswith("/Workspace/"):
            text = text[len("/Workspace"):] or "/"
        return cls("workspace", _clean(text))

    @property
    def runtime_path(self) -> str:
        """The path as code on a cluster opens it."""
        if self.kind == "workspace":
            return "/Workspace" + self.api_path
        if self.kind == "dbfs":
            return "/dbfs" + self.api_path
        return self.api_path

    @property
    def display(self) -> str:
        return f"dbfs:{self.api_path}" if self.kind == "dbfs" else self.runtime_path

    @property
    def parent_display(self) -> str:
        return RemotePath(self.kind, posixpath.dirname(self.api_path)).display

    def child(self, relative: str) -> RemotePath:
        """A path below this one; ``relative`` is a POSIX path inside the project.

        Raises:
            UnsafePathError: ``relative`` would leave this folder (``..``, absolute,
                control characters).
        """
        joined = _clean(posixpath.join(self.api_path, relative))
        if (not joined.startswith(self.api_path.rstrip("/") + "/")
                or any(ord(c) < 32 or ord(c) == 127 for c in relative)):
            raise UnsafePathError(repr(relative), self.display, action="upload to")
        return RemotePath(self.kind, joined)

    def is_personal(self) -> bool:
        """A folder under ``/Users/<someone>``: deploying there is personal work."""
        return self.kind == "workspace" and self.api_path.startswith("/Users/")


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/")
