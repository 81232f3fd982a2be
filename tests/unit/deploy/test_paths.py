from __future__ import annotations

import pytest

from dltflow.deploy.paths import RemotePath
from dltflow.exceptions import ConfigError, UnsafePathError


@pytest.mark.parametrize(("text", "kind", "api", "runtime"), [
    ("/Workspace/Users/me/a", "workspace", "/Users/me/a", "/Workspace/Users/me/a"),
    ("/Users/me/a/", "workspace", "/Users/me/a", "/Workspace/Users/me/a"),
    ("/Volumes/c/s/v/x", "volume", "/Volumes/c/s/v/x", "/Volumes/c/s/v/x"),
    ("dbfs:/tmp/x", "dbfs", "/tmp/x", "/dbfs/tmp/x"),
])
def test_parse(text: str, kind: str, api: str, runtime: str) -> None:
    path = RemotePath.parse(text)
    assert (path.kind, path.api_path, path.runtime_path) == (kind, api, runtime)


def test_relative_is_rejected_and_children_cannot_escape() -> None:
    with pytest.raises(ConfigError, match="artifact_path"):
        RemotePath.parse("Users/me")
    base = RemotePath.parse("/Shared/a")
    assert base.child("b/c.py").api_path == "/Shared/a/b/c.py"
    with pytest.raises(UnsafePathError):
        base.child("../x")
    assert RemotePath.parse("/Workspace/Users/x/y").is_personal()
    assert not RemotePath.parse("/Shared/y").is_personal()
