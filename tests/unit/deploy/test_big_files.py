"""Files over 1 MB reach every artifact location: DBFS in blocks (its ``put`` stops at
1 MB), a Unity Catalog volume through the Files API, workspace files by import."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dltflow.deploy import Workspace, deploy, load_deployment, load_project, target_from_project
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.project import build_project

BIG = os.urandom(3 * 1024 * 1024 + 17)  # 3 MB and not a multiple of any block size


def _deploy(root: Path, client):  # type: ignore[no-untyped-def]
    (root / "conf" / "lookup.bin").write_bytes(BIG)
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root)
    return deploy(spec, target_from_project(load_project(root), "dev"), Workspace(client))


def test_dbfs_streams_a_3mb_file_in_blocks(tmp_path: Path, fake: FakeWorkspace,
                                           client) -> None:
    root = build_project(tmp_path / "p", artifact_path="dbfs:/dltflow/sample")
    result = _deploy(root, client)
    assert fake.dbfs_files[f"/dltflow/sample/{result.digest}/conf/lookup.bin"] == BIG
    assert fake.dbfs_blocks >= 6 and fake.dbfs_handles == {}
    for request in fake.requests:  # no single request carries more than DBFS accepts
        if request.path.startswith("/api/2.0/dbfs/"):
            body = request.body
            size = len(body) if isinstance(body, bytes) else len(json.dumps(body))
            assert size < 1024 * 1024 + 1024


@pytest.mark.parametrize(("artifact_path", "store", "key"), [
    ("/Volumes/main/libs/artifacts/sample", "volume_files",
     "/Volumes/main/libs/artifacts/sample/{digest}/conf/lookup.bin"),
    ("/Workspace/Shared/.dltflow/sample/art", "workspace_files",
     "/Shared/.dltflow/sample/art/{digest}/conf/lookup.bin"),
])
def test_volume_and_workspace_take_a_3mb_file(tmp_path: Path, fake: FakeWorkspace, client,
                                              artifact_path: str, store: str,
                                              key: str) -> None:
    root = build_project(tmp_path / "p", artifact_path=artifact_path)
    result = _deploy(root, client)
    assert getattr(fake, store)[key.format(digest=result.digest)] == BIG
    if store == "volume_files":
        assert any(r.method == "PUT" and r.path.startswith("/api/2.0/fs/files/Volumes/")
                   for r in fake.requests)
