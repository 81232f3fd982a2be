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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dltflow import __version__
from dltflow.deploy.files import UploadRules
from dltflow.deploy.notebook import NotebookTask, PipInstall, render_notebook
from dltflow.deploy.paths import RemotePath
from dltflow.deploy.resolve import project_relative, resolve_tasks
from dltflow.deploy.spec import DeploymentSpec, Workflow, workflow_label
from dltflow.deploy.wheels import BuiltWheel
from dltflow.exceptions import ConfigError

MANIFEST = "dltflow-manifest.json"
WHEELS_DIR = "_wheels"  # the wheels a pipeline installs, beside the project's files
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
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
        include_files: ``include.files`` of ``dltflow.yml``: files uploaded even though
            they are dotfiles, secrets or git-ignored (see :mod:`dltflow.deploy.files`).
    """

    environment: str
    root_path: str
    artifact_path: str
    code_dir: str | None = None
    conf_dir: str | None = None
    launch_method: str | None = None
    include_files: tuple[str, ...] = ()


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
                    dltflow_requirement: str | None = None,
                    wheels: Sequence[BuiltWheel] = (),
                    project_wheel: BuiltWheel | None = None) -> DeploymentPlan:
    """The files, notebooks and settings for deploying ``workflows`` of ``spec``.

    Args:
        spec: the validated deployment file environment.
        target: paths from ``dltflow.yml``.
        workflows: which workflows (default: all).
        name_prefix: prefix of every pipeline name (``[dev_me] `` for personal work).
        dltflow_requirement: how the pipeline installs dltflow (a requirement or path);
            default: the first of ``wheels``, else ``dltflow==<this version>``.
        wheels: wheels to upload and install first (dltflow's own).
        project_wheel: the project's wheel; its code then does not travel as loose files.

    Raises:
        ConfigError: a task's module is not in the project's wheel, or a name or
            requirement cannot be written safely.
    """
    if dltflow_requirement is not None and (_CONTROL.search(dltflow_requirement)
                                            or not dltflow_requirement.strip()):
        raise ConfigError(f"--dltflow-requirement {dltflow_requirement!r} must be one "
                          "non-empty line", source="--dltflow-requirement / "
                          "DLTFLOW_REQUIREMENT",
                          hint="give one pip requirement, e.g. dltflow==0.3 or a wheel path.")
    chosen = tuple(workflows if workflows is not None else spec.workflows)
    root = spec.project_root
    resolved = {wf.name: resolve_tasks(root, wf, default_launch_method=target.launch_method)
                for wf in chosen}
    shipped = [*wheels, *([project_wheel] if project_wheel is not None else [])]
    plain = frozenset(project_relative(root, str(item.python_file)) for wf in chosen
                      for item, task in zip(wf.tasks.code_items, resolved[wf.name], strict=True)
                      if not task.class_name)
    files = collect_files(root, chosen, target, source=str(spec.path),
                          loose_code=project_wheel is None, plain_sources=plain)
    files = tuple(sorted([*files, *(ArtifactFile(f"{WHEELS_DIR}/{w.filename}", w.data)
                                    for w in shipped)], key=lambda f: f.relative))
    digest = artifact_digest(files)
    artifact_root = RemotePath.parse(target.artifact_path).child(digest)
    for file in files:  # every upload target checked before the first upload
        artifact_root.child(file.relative)
    notebooks_dir = RemotePath.parse(target.root_path, field="root_path").child("notebooks")
    wheel_paths = [artifact_root.child(f"{WHEELS_DIR}/{w.filename}").runtime_path
                   for w in shipped]
    if dltflow_requirement or not wheels:
        wheel_paths.insert(0, dltflow_requirement or f"dltflow=={__version__}")
    plans = []
    for wf in chosen:
        tasks = tuple(resolved[wf.name])
        if project_wheel is not None:
            _check_in_wheel(spec, wf, tasks, project_wheel)
            tasks = tuple(replace(t, code_on_path=False) if t.class_name else t
                          for t in tasks)
        dependencies, installs = _dependencies(root, wf, artifact_root)
        try:
            source = render_notebook(tasks, artifact_root=artifact_root.runtime_path,
                                     installs=installs, digest=digest)
        except ValueError as err:  # the renderer's last line of defence against injection
            raise ConfigError(f"workflow {wf.name!r}: {err}", source=str(spec.path),
                              hint="module, class and method names must be ASCII Python "
                                   "identifiers; requirements one line each.") from None
        name = name_prefix + wf.name
        nb_digest = hashlib.sha256(source.encode()).hexdigest()[:12]
        nb_path = notebooks_dir.child(f"{_slug(name)}-{nb_digest}")
        libraries = [*wf.settings.get("libraries", []),
                     *_source_libraries(spec, wf, artifact_root)]
        if tasks:  # a workflow of SQL files and folders alone needs no notebook
            libraries.append({"notebook": {"path": nb_path.api_path}})
        environment = dict(wf.settings.get("environment") or {})
        environment["dependencies"] = [*wheel_paths, *dependencies,
                                       *environment.get("dependencies", [])]
        settings = {**wf.settings, "name": name, "libraries": libraries,
                    "environment": environment}
        plans.append(WorkflowPlan(name, settings, source, nb_path, tasks))
    return DeploymentPlan(spec.environment, digest, artifact_root, files, tuple(plans))


def _source_libraries(spec: DeploymentSpec, wf: Workflow, artifact_root: RemotePath
                      ) -> list[dict[str, Any]]:
    """The ``file`` libraries of a workflow's ``sql_file`` and ``folder`` tasks: each of
    their files, as uploaded (the pipeline runs them itself, as Databricks runs a
    pipeline's source files). One ``file`` entry per file rather than one ``glob``: the
    API does not allow ``glob`` beside the notebook library.

    Raises:
        ConfigError: the artifacts do not go to workspace files (a pipeline's source
            files must be workspace files).
    """
    libraries: list[dict[str, Any]] = []
    for i, item in enumerate(wf.tasks.items):
        if not item.is_library:
            continue
        if artifact_root.kind != "workspace":
            raise ConfigError(
                f"{workflow_label(spec, wf)}: field 'tasks.items[{i}].{item.library_field}': "
                f"a pipeline's SQL and source files must be workspace files, but "
                f"artifact_path puts them in {artifact_root.display}", source=str(spec.path),
                hint="set artifact_path in dltflow.yml to a /Workspace/... folder.")
        libraries += [{"file": {"path": artifact_root.child(rel).api_path}}
                      for rel in item.library_files(spec.project_root)]
    return libraries


def _check_in_wheel(spec: DeploymentSpec, wf: Workflow, tasks: Sequence[NotebookTask],
                    wheel: BuiltWheel) -> None:
    names = set(wheel.names())
    for i, task in enumerate(tasks):
        if not task.class_name:  # a plain source travels as a file, run with runpy
            continue
        module_file = task.module.replace(".", "/")
        if f"{module_file}.py" not in names and f"{module_file}/__init__.py" not in names:
            raise ConfigError(
                f"{workflow_label(spec, wf)}: field "
                f"'tasks.items[{i}].python_file': module {task.module} is not in the "
                f"project's wheel {wheel.filename}", source=str(spec.path),
                hint="the project has packaging (pyproject.toml/setup.py), so its code ships "
                     "as a wheel: include the package in it (e.g. [tool.setuptools."
                     "packages.find]), or move the file into a packaged folder.")


def collect_files(root: Path, workflows: Iterable[Workflow], target: DeployTarget, *,
                  source: str = "deployment file", loose_code: bool = True,
                  plain_sources: frozenset[str] = frozenset()) -> tuple[ArtifactFile, ...]:
    """The code package, the conf folder, and every file a task names, sorted.

    With ``loose_code=False`` (the project ships as a wheel) the code package and the
    tasks' Python files stay out; configs, file dependencies and plain DLT source files
    (``plain_sources``, project-relative: run with runpy, never imported) still travel.

    Dotfiles, private keys, well-known secret files and git-ignored files are left out
    (:class:`~dltflow.deploy.files.UploadRules`) unless ``include.files`` names them.

    Raises:
        ConfigError: the code or conf folder lies outside the project, or a task names
            a file that must not be uploaded.
    """
    root = root.resolve()
    rules = UploadRules(root, target.include_files)
    paths: set[str] = set()
    for label, folder in (("include.code.name", target.code_dir if loose_code else None),
                          ("include.conf.name", target.conf_dir)):
        if folder:
            paths.update(rules.walk(_project_folder(root, folder, label)))
    named: list[tuple[str, str]] = []
    for wf in workflows:
        for i, item in enumerate(wf.tasks.items):
            where = f"{wf.name}: tasks.items[{i}]"
            if item.is_library:  # the pipeline's own source files: always uploaded
                named += [(f"{where}.{item.library_field}", rel)
                          for rel in item.library_files(root)]
                continue
            python_file = project_relative(root, str(item.python_file))
            if loose_code or python_file in plain_sources:
                named.append((f"{where}.python_file", python_file))
                paths.update(_package_inits(root, python_file))
            if item.conf_path:
                field = "config_path" if item.config_path else "parameters"
                named.append((f"{where}.{field}", project_relative(root, item.conf_path)))
        for i, dep in enumerate(wf.tasks.dependencies):
            if dep.is_local_file and dep.path:
                field = "whl" if dep.whl is not None else "requirements"
                named.append((f"{wf.name}: tasks.dependencies[{i}].{field}",
                              project_relative(root, dep.path)))
    rules.check_named(named, source=source)
    paths.update(rel for _, rel in named)
    paths.update(rules.included_files())
    paths = {rel for rel in paths if rules.excluded_by(rel) is None}
    return tuple(ArtifactFile(rel, (root / rel).read_bytes()) for rel in sorted(paths))


def _project_folder(root: Path, folder: str, field: str) -> Path:
    """``root/folder`` resolved; a folder outside the project is an error."""
    if _CONTROL.search(folder):
        raise ConfigError(f"field '{field}': {folder!r} contains a control character",
                          source="dltflow.yml")
    path = (root / folder).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(f"field '{field}': {folder!r} is outside the project folder {root}",
                          source="dltflow.yml",
                          hint="code and conf folders are paths inside the project, "
                               "relative to dltflow.yml.")
    return path


def artifact_digest(files: Iterable[ArtifactFile]) -> str:
    """A hex digest of every path and its bytes (and of dltflow's layout version)."""
    sha = hashlib.sha256(b"dltflow-artifacts-v1\0")
    for f in files:
        sha.update(f.relative.encode() + b"\0" + str(len(f.data)).encode() + b"\0" + f.data)
    return sha.hexdigest()[:_DIGEST_LENGTH]


def _package_inits(root: Path, python_file: str) -> set[str]:
    parts = python_file.split("/")[:-1]
    inits = {"/".join(parts[:i] + ["__init__.py"]) for i in range(1, len(parts) + 1)}
    return {p for p in inits if (root / p).is_file()}


def _dependencies(root: Path, wf: Workflow, artifact_root: RemotePath
                  ) -> tuple[list[str], list[PipInstall]]:
    """``environment.dependencies`` lines, and ``%pip`` cells for what they cannot say.

    A package from another index needs ``--extra-index-url``, which is not a dependency
    of its own; it keeps a ``%pip`` cell in the notebook.
    """
    lines: list[str] = []
    by_repo: dict[str, list[str]] = {}
    for dep in wf.tasks.dependencies:
        if dep.path is not None:
            where = (artifact_root.child(project_relative(root, dep.path)) if dep.is_local_file
                     else RemotePath.parse(dep.path, field="dependencies"))
            lines.append(where.runtime_path if dep.whl is not None
                         else f"-r {where.runtime_path}")
        elif dep.pypi is not None and dep.pypi.repo:
            by_repo.setdefault(dep.pypi.repo, []).append(dep.pypi.package)
        elif dep.pypi is not None:
            lines.append(dep.pypi.package)
    installs = [PipInstall(("--extra-index-url", repo, *pkgs)) for repo, pkgs in by_repo.items()]
    return lines, installs


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or "pipeline"
