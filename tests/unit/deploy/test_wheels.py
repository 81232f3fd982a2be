"""The wheels a deploy ships: dltflow's own (packed from the running package) and the
project's (built with ``build``, cached by source digest), and what a change of either
does to a deployed pipeline (over real HTTP against the fake workspace)."""

from __future__ import annotations

import base64
import io
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from click.testing import CliRunner

import dltflow
from dltflow.cli.interface import cli
from dltflow.deploy import Workspace, deploy, load_deployment, load_project, target_from_project
from dltflow.deploy.wheels import dltflow_wheel, project_wheel, source_digest
from dltflow.exceptions import ConfigError
from tests.support.fakeworkspace import FakeWorkspace


def test_dltflow_wheel_is_the_running_package_and_reproducible() -> None:
    first, second = dltflow_wheel(), dltflow_wheel()
    assert first.data == second.data  # unchanged code: same bytes, same artifact digest
    archive = zipfile.ZipFile(io.BytesIO(first.data))
    names = set(archive.namelist())
    package = Path(dltflow.__file__).parent
    for path in package.rglob("*"):
        rel = path.relative_to(package).as_posix()
        if path.is_file() and "__pycache__" not in rel and not rel.endswith(".pyc"):
            assert f"dltflow/{rel}" in names
            assert archive.read(f"dltflow/{rel}") == path.read_bytes()
    assert "dltflow/py.typed" in names
    assert any(n.startswith("dltflow/deploy/templates/") for n in names)
    info = f"dltflow-{dltflow.__version__}.dist-info"
    meta = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    assert meta["Name"] == "dltflow" and meta["Version"] == dltflow.__version__
    requires = meta.get_all("Requires-Dist") or []
    assert any(r.startswith("pydantic") for r in requires)
    assert not any("extra ==" in r for r in requires)
    assert not any(r.startswith("pyspark") for r in requires)  # the runtime's own Spark
    assert "dltflow = dltflow.cli.interface:cli" in archive.read(
        f"{info}/entry_points.txt").decode()
    record = archive.read(f"{info}/RECORD").decode().splitlines()
    assert len(record) == len(names)


def _template(root: Path) -> Path:
    result = CliRunner().invoke(cli, ["init", "--build-template", "--no-input",
                                      "--project-name", "wheel_demo", "--directory", str(root)])
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.process  # the project's wheel is built by `python -m build`
def test_project_wheel_is_built_once_per_source_digest(tmp_path: Path) -> None:
    root = _template(tmp_path / "proj")
    cache = tmp_path / "cache"
    built = project_wheel(root, cache=cache)
    assert built.filename == "wheel_demo-0.1.0-py3-none-any.whl"
    assert "wheel_demo/pipelines/sample.py" in built.names()
    (cached,) = cache.glob("*/*.whl")
    stamp = cached.stat().st_mtime_ns
    assert project_wheel(root, cache=cache).data == built.data
    assert cached.stat().st_mtime_ns == stamp  # served from the cache, not rebuilt
    assert not (root / "build").exists() and not list(root.glob("*.egg-info"))
    (root / ".env").write_text("TOKEN=secret\n")  # never read by a build
    assert source_digest(root) == cached.parent.name


def _deploy(root: Path, client):  # type: ignore[no-untyped-def]
    spec = load_deployment(root / "workflows/sample.yml", "dev", project_root=root)
    return deploy(spec, target_from_project(load_project(root), "dev"), Workspace(client))


@pytest.mark.process  # the project's wheel is built by `python -m build`
def test_a_changed_project_gets_a_new_folder_and_one_edit(tmp_path: Path, fake: FakeWorkspace,
                                                          client) -> None:
    root = _template(tmp_path / "proj")
    first = _deploy(root, client)
    (pipeline_id,) = fake.pipelines
    art = "/Shared/.dltflow/wheel_demo/artifacts"
    uploaded = {p.removeprefix(f"{art}/{first.digest}/") for p in fake.workspace_files
                if p.startswith(f"{art}/{first.digest}/")}
    assert uploaded == {"_wheels/dltflow-0.2.0-py3-none-any.whl",
                        "_wheels/wheel_demo-0.1.0-py3-none-any.whl", "conf/sample.yml",
                        "dltflow-manifest.json"}  # code only inside the wheel
    fake.clear_log()
    assert _deploy(root, client).uploaded == () and fake.writes() == []
    sample = root / "wheel_demo/pipelines/sample.py"
    sample.write_text(sample.read_text().replace('"Ada", 36', '"Ada", 37'))
    fake.clear_log()
    second = _deploy(root, client)
    assert second.digest != first.digest
    edits = [r for r in fake.writes() if r.path.startswith("/api/2.0/pipelines")]
    assert [(r.method, r.path) for r in edits] == [("PUT", f"/api/2.0/pipelines/{pipeline_id}")]
    deps = fake.pipelines[pipeline_id].spec["environment"]["dependencies"]
    assert deps == [f"/Workspace{art}/{second.digest}/_wheels/dltflow-0.2.0-py3-none-any.whl",
                    f"/Workspace{art}/{second.digest}/_wheels/wheel_demo-0.1.0-py3-none-any.whl"]


@pytest.mark.process  # the project's wheel is built by `python -m build`
def test_a_task_outside_the_packaged_code_is_refused(tmp_path: Path, fake: FakeWorkspace,
                                                     client) -> None:
    root = _template(tmp_path / "proj")
    (root / "extra").mkdir()
    (root / "extra" / "other.py").write_text(
        (root / "wheel_demo/pipelines/sample.py").read_text())
    workflow = root / "workflows/sample.yml"
    workflow.write_text(workflow.read_text().replace("wheel_demo/pipelines/sample.py",
                                                     "extra/other.py"))
    with pytest.raises(ConfigError) as info:
        _deploy(root, client)
    assert "module extra.other is not in the project's wheel" in str(info.value)
    assert fake.writes() == []


@pytest.mark.process  # the project's wheel is built by `python -m build`
def test_a_plain_source_travels_as_a_file_next_to_the_project_wheel(
        tmp_path: Path, fake: FakeWorkspace, client) -> None:
    root = _template(tmp_path / "proj")
    plain = root / "wheel_demo/pipelines/plain.py"
    plain.write_text("import dlt\n\n\n@dlt.table\ndef ones():\n    return spark.range(1)\n")
    workflow = root / "workflows/sample.yml"
    workflow.write_text(workflow.read_text().replace(
        "wheel_demo/pipelines/sample.py", "wheel_demo/pipelines/plain.py"))
    result = _deploy(root, client)
    art = f"/Shared/.dltflow/wheel_demo/artifacts/{result.digest}"
    assert f"{art}/wheel_demo/pipelines/plain.py" in fake.workspace_files  # runpy reads it
    assert fake.workspace_files[f"{art}/wheel_demo/pipelines/plain.py"] == plain.read_bytes()
    assert f"{art}/wheel_demo/pipelines/sample.py" not in fake.workspace_files  # in the wheel
    (pipeline_id,) = fake.pipelines
    notebook = fake.pipelines[pipeline_id].spec["libraries"][-1]["notebook"]["path"]
    source = base64.b64decode(client.workspace.export(notebook).content).decode()
    assert f"/Workspace{art}/wheel_demo/pipelines/plain.py" in source
