"""What deploy may upload: never dotfiles, keys, secret files or git-ignored files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.deploy import Workspace, deploy, load_deployment, load_project, target_from_project
from dltflow.deploy.files import UploadRules
from dltflow.exceptions import ConfigError
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.project import WORKFLOW_YML, build_project, write

SECRETS = {
    "sample_pkg/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n",
    "sample_pkg/id_rsa.pub": "ssh-rsa AAAA me@x\n",
    "sample_pkg/.env": "DATABRICKS_TOKEN=dapi-secret\n",
    "sample_pkg/.env.local": "X=1\n",
    "sample_pkg/secrets.json": '{"password": "hunter2"}\n',
    "sample_pkg/tls/server.pem": "-----BEGIN CERTIFICATE-----\n",
    "sample_pkg/cert.p12": "binary",
    "sample_pkg/.databrickscfg": "[DEFAULT]\ntoken = dapi-secret\n",
    "sample_pkg/.git/config": "[core]\n",
    "conf/.secret.yml": "dlt: []\n",
    "conf/local/override.yml": "dlt: []\n",
    "sample_pkg/build/generated.py": "x = 1\n",
    "sample_pkg/notes.log": "log\n",
}


def _secret_project(root: Path) -> Path:
    build_project(root)
    for relative, text in SECRETS.items():
        write(root / relative, text)
    write(root / ".gitignore", "secrets.json\n*.log\nconf/local/\n")
    write(root / "sample_pkg" / ".gitignore", "build/\n")
    return root


def _upload(root: Path, client, **kwargs):  # type: ignore[no-untyped-def]
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root)
    target = target_from_project(load_project(root), "dev")
    return deploy(spec, target, Workspace(client), **kwargs)


def test_deploy_uploads_none_of_the_secrets(tmp_path: Path, fake: FakeWorkspace,
                                            client) -> None:
    root = _secret_project(tmp_path / "proj")
    result = _upload(root, client)
    prefix = f"/Shared/.dltflow/sample/art/{result.digest}/"
    uploaded = sorted(p.removeprefix(prefix) for p in fake.workspace_files
                      if p.startswith(prefix) and "/_wheels/" not in p)
    assert uploaded == ["conf/people.yml", "dltflow-manifest.json", "sample_pkg/__init__.py",
                        "sample_pkg/pipelines/__init__.py", "sample_pkg/pipelines/people.py"]
    everything = b"".join(fake.workspace_files.values())
    assert b"hunter2" not in everything and b"dapi-secret" not in everything


def test_dry_run_lists_exactly_the_uploads(tmp_path: Path, fake: FakeWorkspace,
                                           client) -> None:
    root = _secret_project(tmp_path / "proj")
    listed = []
    result = _upload(root, client, dry_run=True,
                     on_event=lambda e: listed.append(e.message) if e.kind == "upload" else None)
    assert [line.split()[2] for line in listed] == [
        "_wheels/dltflow-0.2.0-py3-none-any.whl", "conf/people.yml", "sample_pkg/__init__.py",
        "sample_pkg/pipelines/__init__.py", "sample_pkg/pipelines/people.py"]
    assert len(result.uploaded) == 5 and fake.writes() == []


def test_include_files_names_what_goes_up_anyway(tmp_path: Path, fake: FakeWorkspace,
                                                 client) -> None:
    root = _secret_project(tmp_path / "proj")
    text = (root / "dltflow.yml").read_text().replace(
        "  workflows: {name: workflows}",
        "  workflows: {name: workflows}\n  files: [sample_pkg/tls/*.pem, conf/local/override.yml]")
    (root / "dltflow.yml").write_text(text)
    result = _upload(root, client)
    prefix = f"/Shared/.dltflow/sample/art/{result.digest}/"
    assert prefix + "sample_pkg/tls/server.pem" in fake.workspace_files
    assert prefix + "conf/local/override.yml" in fake.workspace_files
    assert prefix + "sample_pkg/id_rsa" not in fake.workspace_files


@pytest.mark.parametrize("conf", [".env", ".git/config", ".databrickscfg", "conf/key.pem",
                                  "conf/secrets.json", "conf/local/override.yml"])
def test_a_task_naming_a_secret_file_is_an_error(tmp_path: Path, conf: str) -> None:
    root = _secret_project(tmp_path / "proj")
    write(root / conf, "dlt: []\n")
    (root / "workflows" / "people.yml").write_text(
        WORKFLOW_YML.replace("conf/people.yml", conf))
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root)
    target = target_from_project(load_project(root), "dev")
    with pytest.raises(ConfigError) as info:
        deploy(spec, target, None, dry_run=True)
    (problem,) = info.value.problems
    assert "tasks.items[0].parameters" in problem and repr(conf) in problem
    assert info.value.source is not None and info.value.source.endswith("people.yml")


def test_code_folder_outside_the_project_is_an_error(tmp_path: Path) -> None:
    root = build_project(tmp_path / "proj")
    (tmp_path / "other").mkdir()
    text = (root / "dltflow.yml").read_text().replace("{name: sample_pkg}", "{name: ../other}")
    (root / "dltflow.yml").write_text(text)
    spec = load_deployment(root / "workflows/people.yml", "dev", project_root=root)
    with pytest.raises(ConfigError, match="include.code.name"):
        deploy(spec, target_from_project(load_project(root), "dev"), None, dry_run=True)


@pytest.mark.parametrize(("relative", "reason"), [
    ("pkg/.hidden/x.py", "dot"), ("pkg/id_ed25519", "id_ed25519*"), ("a/b/c.key", "*.key"),
    ("pkg/__pycache__/m.cpython-311.pyc", "cache"), ("secrets.yaml", "secrets.yaml"),
    ("out/a.py", ".gitignore (rule 'out/')"), ("pkg/x.tmp", "pkg/.gitignore (rule '*.tmp')"),
])
def test_rules_name_the_reason(tmp_path: Path, relative: str, reason: str) -> None:
    write(tmp_path / ".gitignore", "out/\n")
    write(tmp_path / "pkg" / ".gitignore", "*.tmp\n!keep.tmp\n")
    excluded = UploadRules(tmp_path).excluded_by(relative)
    assert excluded is not None and reason in excluded


def test_rules_follow_git_negation_and_keep_ordinary_files(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "*.tmp\n")
    write(tmp_path / "pkg" / ".gitignore", "!keep.tmp\n")
    rules = UploadRules(tmp_path)
    assert rules.excluded_by("pkg/keep.tmp") is None
    assert rules.excluded_by("pkg/other.tmp") is not None
    assert rules.excluded_by("pkg/pipelines/simple.py") is None
    assert rules.excluded_by("pkg/environment.py") is None  # not ".env*": no dot


def test_walk_does_not_leave_through_symlinks(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "secret.txt", "x")
    write(tmp_path / "proj" / "pkg" / "a.py", "")
    (tmp_path / "proj" / "pkg" / "link.txt").symlink_to(outside)
    rules = UploadRules(tmp_path / "proj")
    assert rules.walk(tmp_path / "proj" / "pkg") == {"pkg/a.py"}
