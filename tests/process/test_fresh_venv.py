"""What a workspace gets is complete: the ``init --build-template`` project, deployed over
real HTTP (classic and serverless), runs in a fresh virtual environment that never had
dltflow, from nothing but what the fake workspace hands back.

For each variant the test downloads the pipeline's notebook, every file its
``environment.dependencies`` names and the artifact folder (the configs the notebook
reads), installs the dependencies with pip exactly as listed (``--no-index``: dltflow and
the project come only from their uploaded wheels), and runs the notebook's Python cells
in that environment inside the local engine. The sample's ``people`` table must come out
as computed here from the sample's rows and its expectations.

Third-party packages (pyspark, pydantic, ...) are not downloaded again (pyspark alone is
hundreds of MB): the fresh environment sees them through a folder of symlinks to the
test environment's site-packages with every trace of dltflow left out (its
``.dist-info``, its editable-install finder and ``.pth``), so pip still resolves the
wheels' requirements, and dltflow can only be imported from its own wheel. The test first
proves that ``import dltflow`` fails there.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.deploy import Workspace, deploy, load_deployment, load_project, target_from_project
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.fakeworkspace.schema import settings_problems
from tests.support.fakeworkspace.server import TOKEN
from tests.support.project import make_client

_NOT_DLTFLOW = ("dltflow", "__editable__.dltflow", "__editable___dltflow")

DRIVER = '''
import json, sys
from pathlib import Path

import dltflow
from dltflow.deploy.notebook import python_cells
from dltflow.local import get_spark, run

spark = get_spark()
report = {"dltflow": dltflow.__file__}
for name, notebook, remote_root, local_root, warehouse in json.loads(sys.argv[1]):
    source = Path(notebook).read_text()
    assert repr(remote_root) in source, "the notebook must name its artifact folder"
    source = source.replace(repr(remote_root), repr(local_root))
    def definer(source=source, notebook=notebook):
        for cell in python_cells(source):
            exec(compile(cell, notebook, "exec"), {"spark": spark})
    outcome = run(definer, spark=spark, warehouse=warehouse, schema="e2e_" + name)
    people = outcome.table("people") if outcome.status == "COMPLETED" else None
    report[name] = {
        "status": outcome.status, "error": str(outcome.error),
        "rows": sorted([list(r) for r in people.collect()]) if people is not None else None,
        "dropped": outcome.datasets["people"].dropped_rows if people is not None else None,
        "module": sys.modules["demo_e2e.pipelines.sample"].__file__,
    }
print("REPORT " + json.dumps(report))
'''


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PIP_FIND_LINKS")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _fresh_venv(where: Path) -> Path:
    """A venv of the base interpreter, seeing third-party packages but never dltflow."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True,
                   env=_clean_env())
    python = where / "bin" / "python"
    overlay = where / "third-party"
    overlay.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(_NOT_DLTFLOW) or entry.suffix == ".pth":
            continue
        (overlay / entry.name).symlink_to(entry)
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "third_party.pth").write_text(str(overlay) + "\n")
    return python


def _scaffold(root: Path, serverless: bool) -> Path:
    result = CliRunner().invoke(cli, ["init", "--build-template", "--no-input",
                                      "--project-name", "demo_e2e", "--directory", str(root)])
    assert result.exit_code == 0, result.output
    workflow = root / "workflows" / "sample.yml"
    if serverless:
        text = workflow.read_text().replace("development: true",
                                            "development: true\n      serverless: true\n"
                                            "      catalog: main")
        workflow.write_text(text)
    return root


def _export(client, api_path: str, local: Path) -> None:  # type: ignore[no-untyped-def]
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(base64.b64decode(client.workspace.export(api_path).content or ""))


def _deploy_and_download(root: Path, mount: Path) -> tuple[dict, list[str], Path, str]:  # type: ignore[type-arg]
    """Deploy, then fetch notebook, dependencies and artifacts as a cluster would see them."""
    with FakeWorkspace(validate_settings=settings_problems) as fake:
        client = make_client(fake.url, TOKEN)
        spec = load_deployment(root / "workflows/sample.yml", "dev", project_root=root)
        result = deploy(spec, target_from_project(load_project(root), "dev"),
                        Workspace(client))
        fake.clear_log()
        again = deploy(spec, target_from_project(load_project(root), "dev"),
                       Workspace(client))
        assert fake.writes() == [] and again.uploaded == ()  # unchanged: 0 uploads, 0 edits
        assert fake.schema_problems == []
        settings = fake.pipelines[result.pipelines[0].pipeline_id].spec
        nb_api = settings["libraries"][-1]["notebook"]["path"]
        notebook = mount / nb_api.lstrip("/")
        _export(client, nb_api, notebook)
        local_deps = []
        for dep in settings["environment"]["dependencies"]:
            if dep.startswith("/Workspace/"):
                local = mount / dep.removeprefix("/Workspace/")
                _export(client, dep.removeprefix("/Workspace"), local)
                local_deps.append(str(local))
            else:
                local_deps.append(dep)
        artifacts = "/" + result.artifact_root.removeprefix("/Workspace/")
        for info in client.workspace.list(artifacts, recursive=True):
            _export(client, str(info.path), mount / str(info.path).lstrip("/"))
    return settings, local_deps, notebook, result.artifact_root


def test_template_runs_in_a_fresh_venv_from_what_the_workspace_holds(tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path / "venv")
    env = _clean_env()
    probe = subprocess.run([str(python), "-c", "import dltflow"], env=env,
                           capture_output=True, text=True, cwd=tmp_path)
    assert probe.returncode != 0 and "No module named 'dltflow'" in probe.stderr

    runs = []
    installed: list[str] = []
    for name, serverless in (("classic", False), ("serverless", True)):
        root = _scaffold(tmp_path / name / "project", serverless)
        mount = tmp_path / name / "mount"
        settings, deps, notebook, remote_root = _deploy_and_download(root, mount)
        source = notebook.read_text()
        assert "%pip" not in source and "sys.path.insert" not in source
        assert ("clusters" in settings) is False and settings.get("serverless") is (
            True if serverless else None)
        wheels = [d for d in deps if d.endswith(".whl")]
        assert [Path(w).name.split("-")[0] for w in wheels] == ["dltflow", "demo_e2e"]
        # pip installs environment.dependencies as listed; no index at all.
        pip = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                              "--no-index", "--force-reinstall", "--no-deps", *wheels]
                             if installed else
                             [sys.executable, "-m", "pip", "--python", str(python), "install",
                              "--no-index", *deps],
                             env=env, capture_output=True, text=True, cwd=tmp_path)
        assert pip.returncode == 0, pip.stdout + pip.stderr
        installed += wheels
        local_root = str(mount / remote_root.removeprefix("/Workspace/"))
        runs.append([name, str(notebook), remote_root, local_root, str(tmp_path / name / "wh")])

    check = subprocess.run([str(python), "-m", "pip", "check"], env=env, capture_output=True,
                           text=True, cwd=tmp_path)
    version = subprocess.run([str(tmp_path / "venv/bin/dltflow"), "--version"], env=env,
                             capture_output=True, text=True, cwd=tmp_path)
    assert version.returncode == 0 and "dltflow" in version.stdout, version.stderr
    done = subprocess.run([str(python), "-c", textwrap.dedent(DRIVER), json.dumps(runs)],
                          env=env, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.split("REPORT ", 1)[1])
    venv = str((tmp_path / "venv").resolve())
    assert report["dltflow"].startswith(venv), report["dltflow"]
    # The sample's rows, its `is_adult` rule and its two expectations, computed here:
    people = [(1, "Ada", 36), (2, "Grace", 45), (3, "Linus", 150), (4, None, 28),
              (5, "Alan", 12)]
    kept = [[i, n, a, a >= 18] for i, n, a in people if n is not None and 0 <= a <= 120]
    for name, *_ in runs:
        outcome = report[name]
        assert outcome["status"] == "COMPLETED", outcome["error"]
        assert outcome["rows"] == kept and outcome["dropped"] == len(people) - len(kept)
        assert outcome["module"].startswith(venv)  # the project's wheel, not loose files
    broken = [line for line in check.stdout.splitlines() if line.lower().startswith(
        ("dltflow", "demo-e2e", "demo_e2e"))]
    assert broken == [], check.stdout  # both wheels' requirements are all satisfied
