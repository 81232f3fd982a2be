"""Plan a deployment: which files, which notebook, which pipeline settings.

Planning reads only local files and is pure otherwise, so ``--dry-run`` and the real
deploy share it. Artifacts live in a content-addressed folder
``<artifact_path>/<sha256 prefix>/``: the same code and config always land in the same
folder, a changed file gives a new folder, and a folder in use is never rewritten. The
notebook path carries its own digest, so a deploy that fails before the pipeline is
edited leaves the pipeline on its previous notebook and artifacts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dltflow import __version__
from dltflow.deploy.notebook import NotebookTask, PipInstall, render_notebook
from dltflow.deploy.paths import RemotePath
from dltflow.deploy.resolve import project_relative, resolve_tasks
from dltflow.deploy.spec import DeploymentSpec, Workflow

MANIFEST = "dltflow-manifest.json"
_SKIP_DIRS = {"__pycache__", ".git", ".dltflow", ".venv", "venv", "node_modules"}
_SKIP_SUFFIXES = (".pyc", ".pyo")
_DIGEST_LENGTH = 16


@dataclass(frozen=True)
class DeployTarget:
    """What ``dltflow.yml`` says about one environment, as deploy needs it.

    Args:
        environment: the target's name.
        root_path: workspace folder for notebooks (``/Users/me/.dltflow/proj``).
        artifact_path: where code and config go (workspace folder, volume or dbfs:/).
        code_dir: the project's code package folder, uploaded whole.
        conf_dir: the project's config folder, uploaded whole.
        launch_method: default launch method of tasks.
    """

    environment: str
    root_path: str
    artifact_path: str
    code_dir: str | None = None
    conf_dir: str | None = None
    launch_method: str | None = None


@dataclass(frozen=True)
class ArtifactFile:
    """One file to upload: its project-relative POSIX path and bytes."""

    relative: str
    data: bytes


@dataclass(frozen=True)
class WorkflowPlan:
    """One pipeline to create or update.

    Args:
        name: the pipeline name (with the personal prefix when there is one).
        settings: the create/edit body, notebook library included.
        notebook: the rendered notebook source.
        notebook_path: where the notebook goes.
        tasks: what the notebook launches.
    """

    name: str
    settings: dict[str, Any]
    notebook: str
    notebook_path: RemotePath
    tasks: tuple[NotebookTask, ...]


@dataclass(frozen=True)
class DeploymentPlan:
    """Everything a deploy writes, computed before anything is written."""

    environment: str
    digest: str
    artifact_root: RemotePath
    files: tuple[ArtifactFile, ...]
    workflows: tuple[WorkflowPlan, ...]

    @property
    def manifest_path(self) -> RemotePath:
        return self.artifact_root.child(MANIFEST)

    def manifest(self) -> bytes:
        """Written last: a folder with a manifest holds a complete upload."""
        lines = [f'  "{f.relative}": "{hashlib.sha256(f.data).hexdigest()}"'
                 for f in self.files]
        return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


def plan_deployment(spec: DeploymentSpec, target: DeployTarget, *,
                    workflows: Sequence[Workflow] | None = None, name_prefix: str = "",
                    dltflow_requirement: str | None = None) -> DeploymentPlan:
    """The files, notebooks and settings for deploying ``workflows`` of ``spec``.

    Args:
        spec: the validated deployment file environment.
        target: paths from ``dltflow.yml``.
        workflows: which workflows (default: all).
        name_prefix: prefix of every pipeline name (``[dev_me] `` for personal work).
        dltflow_requirement: how the notebook installs dltflow (default
            ``dltflow==<this version>``).
    """
    chosen = tuple(workflows if workflows is not None else spec.workflows)
    root = spec.project_root
    resolved = {wf.name: resolve_tasks(root, wf, default_launch_method=target.launch_method)
                for wf in chosen}
    files = collect_files(root, chosen, target)
    digest = artifact_digest(files)
    artifact_root = RemotePath.parse(target.artifact_path).child(digest)
    for file in files:  # every upload target checked before the first upload
        artifact_root.child(file.relative)
    notebooks_dir = RemotePath.parse(target.root_path, field="root_path").child("notebooks")
    plans = []
    for wf in chosen:
        installs = _installs(root, wf, artifact_root,
                             dltflow_requirement or f"dltflow=={__version__}")
        tasks = tuple(resolved[wf.name])
        source = render_notebook(tasks, artifact_root=artifact_root.runtime_path,
                                 installs=installs, digest=digest)
        name = name_prefix + wf.name
        nb_digest = hashlib.sha256(source.encode()).hexdigest()[:12]
        nb_path = notebooks_dir.child(f"{_slug(name)}-{nb_digest}")
        libraries = [*wf.settings.get("libraries", []), {"notebook": {"path": nb_path.api_path}}]
        settings = {**wf.settings, "name": name, "libraries": libraries}
        plans.append(WorkflowPlan(name, settings, source, nb_path, tasks))
    return DeploymentPlan(spec.environment, digest, artifact_root, files, tuple(plans))


def collect_files(root: Path, workflows: Iterable[Workflow],
                  target: DeployTarget) -> tuple[ArtifactFile, ...]:
    """The code package, the conf folder, and every file a task names, sorted."""
    paths: set[str] = set()
    for folder in (target.code_dir, target.conf_dir):
        if folder and (root / folder).is_dir():
            paths.update(_walk(root, root / folder))
    for wf in workflows:
        for item in wf.tasks.items:
            python_file = project_relative(root, item.python_file)
            paths.add(python_file)
            paths.update(_package_inits(root, python_file))
            if item.conf_path:
                paths.add(project_relative(root, item.conf_path))
        for dep in wf.tasks.dependencies:
            if dep.is_local_whl and dep.whl:
                paths.add(project_relative(root, dep.whl))
    return tuple(ArtifactFile(rel, (root / rel).read_bytes()) for rel in sorted(paths))


def artifact_digest(files: Iterable[ArtifactFile]) -> str:
    """A hex digest of every path and its bytes (and of dltflow's layout version)."""
    sha = hashlib.sha256(b"dltflow-artifacts-v1\0")
    for f in files:
        sha.update(f.relative.encode() + b"\0" + str(len(f.data)).encode() + b"\0" + f.data)
    return sha.hexdigest()[:_DIGEST_LENGTH]


def _walk(root: Path, folder: Path) -> set[str]:
    found = set()
    resolved_root = root.resolve()
    for path in folder.rglob("*"):
        rel_parts = path.relative_to(root).parts
        if any(p in _SKIP_DIRS or p.startswith(".") for p in rel_parts):
            continue
        if path.is_file() and not path.name.endswith(_SKIP_SUFFIXES):
            if path.resolve().is_relative_to(resolved_root):  # a symlink may not leave
                found.add(path.relative_to(root).as_posix())
    return found


def _package_inits(root: Path, python_file: str) -> set[str]:
    parts = python_file.split("/")[:-1]
    inits = {"/".join(parts[:i] + ["__init__.py"]) for i in range(1, len(parts) + 1)}
    return {p for p in inits if (root / p).is_file()}


def _installs(root: Path, wf: Workflow, artifact_root: RemotePath,
              dltflow_req: str) -> list[PipInstall]:
    plain = [dltflow_req]
    by_repo: dict[str, list[str]] = {}
    for dep in wf.tasks.dependencies:
        if dep.whl is not None:
            plain.append(artifact_root.child(project_relative(root, dep.whl)).runtime_path
                         if dep.is_local_whl
                         else RemotePath.parse(dep.whl, field="whl").runtime_path)
        elif dep.pypi is not None and dep.pypi.repo:
            by_repo.setdefault(dep.pypi.repo, []).append(dep.pypi.package)
        elif dep.pypi is not None:
            plain.append(dep.pypi.package)
    installs = [PipInstall(tuple(plain))]
    installs += [PipInstall(("--extra-index-url", repo, *pkgs)) for repo, pkgs in by_repo.items()]
    return installs


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or "pipeline"
