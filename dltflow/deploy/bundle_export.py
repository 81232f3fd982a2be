"""Export a deployment file's workflow as a Databricks Asset Bundle pipeline resource.

A team that standardises on bundles keeps dltflow for authoring and local runs: this
writes ``resources/<key>.pipeline.yml`` (and ``databricks.yml`` when the project has
none) so ``databricks bundle deploy`` ships what ``dltflow deploy-py-dlt`` would, and
``dltflow run --bundle`` runs the same tables as ``--deployment-file``.

What the resource holds, and why:

- the workflow's settings as they are (``catalog``, ``schema``, ``configuration``,
  ``development``, ``serverless``/``clusters``, ...) and its own ``libraries``;
- a plain DLT source task (``import dlt``, no class) as a ``file`` library: Databricks
  runs such a file itself, as the deployed notebook's ``runpy`` cell does;
- the ``DLTMetaMixin`` tasks in one launcher notebook next to the resource
  (``resources/<key>_launcher.py``), rendered by the same pure renderer as the deployed
  notebook (:func:`~dltflow.deploy.notebook.render_notebook`), so it calls
  :func:`dltflow.runtime.launch` exactly as a deploy does. Only the artifact folder
  differs: the bundle's synced files, known once deployed, so the launcher reads it from
  the pipeline configuration key :data:`BUNDLE_ROOT_KEY`, set to
  ``${workspace.file_path}`` (locally, :func:`~dltflow.deploy.bundle.read_bundle` makes
  that the bundle folder, so the launcher runs there too);
- ``environment.dependencies``: dltflow's own wheel (packed as a deploy packs it, written
  to ``resources/wheels/``) or ``dltflow_requirement``; ``--editable
  ${workspace.file_path}`` for a project with packaging (a deploy builds its wheel; the
  bundle installs the synced project, as ``databricks pipelines init`` projects do);
  the tasks' ``dependencies`` (project files as ``${workspace.file_path}/...``). A
  package from another index keeps its ``%pip`` cell in the launcher, as in a deploy.

Nothing existing is overwritten unless ``overwrite=True``; ``databricks.yml`` never is.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dltflow.configfile import read_config_file
from dltflow.deploy.bundle_launcher import (
    BUNDLE_ROOT_KEY,
    FILE_PATH,
    dependency_lines,
    render_launcher,
)
from dltflow.deploy.files import UploadRules
from dltflow.deploy.project import PROJECT_FILE, ProjectConfig, load_project
from dltflow.deploy.resolve import project_relative, resolve_tasks
from dltflow.deploy.spec import DeploymentSpec, Workflow
from dltflow.deploy.wheels import dltflow_wheel, is_packaged
from dltflow.exceptions import ConfigError

__all__ = ["BUNDLE_ROOT_KEY", "BundleExport", "BundleExportPlan", "BundleFile",
           "export_bundle", "plan_bundle_export"]

_WHEELS = "resources/wheels"


@dataclass(frozen=True)
class BundleFile:
    """One file an export writes: its path relative to the project and its bytes."""

    relative: str
    data: bytes


@dataclass(frozen=True)
class BundleExportPlan:
    """Everything an export writes, computed before anything is written.

    Args:
        root: the project (and bundle) folder.
        key: the pipeline's key under ``resources.pipelines``.
        resource: the pipeline resource body (``resources.pipelines.<key>``).
        files: the files, the resource first.
        warnings: what the user should know (files the bundle would not sync, a
            ``databricks.yml`` that does not include the resource).
    """

    root: Path
    key: str
    resource: dict[str, Any]
    files: tuple[BundleFile, ...]
    warnings: tuple[str, ...]

    @property
    def resource_path(self) -> Path:
        return self.root / self.files[0].relative

    @property
    def resource_text(self) -> str:
        return self.files[0].data.decode()


@dataclass(frozen=True)
class BundleExport:
    """What an export did.

    Args:
        path: the resource file (``resources/<key>.pipeline.yml``).
        text: its YAML.
        key: the pipeline's key.
        written: the files written.
        unchanged: the files that already held exactly this content.
        warnings: as :attr:`BundleExportPlan.warnings`.
    """

    path: Path
    text: str
    key: str
    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    warnings: tuple[str, ...]


def export_bundle(spec: DeploymentSpec, workflow: str | None = None, *,
                  overwrite: bool = False, dltflow_requirement: str | None = None,
                  default_launch_method: str | None = None) -> BundleExport:
    """Write the bundle resource of one workflow of ``spec`` into its project.

    Args:
        spec: the deployment file's environment (:func:`~dltflow.deploy.load_deployment`).
        workflow: the workflow's name; None when the environment has only one.
        overwrite: replace files that exist with other content (never ``databricks.yml``).
        dltflow_requirement: how the pipeline installs dltflow (a pip line); default: a
            wheel of the running dltflow, written to ``resources/wheels/``.
        default_launch_method: the launch method of tasks that set none; default: the
            one of ``dltflow.yml``.

    Raises:
        ConfigError: the workflow is unknown or ambiguous, a task cannot be resolved, a
            value that looks secret would be written, or a file exists with other content
            and ``overwrite`` is false (then nothing is written).
    """
    plan = plan_bundle_export(spec, workflow, dltflow_requirement=dltflow_requirement,
                              default_launch_method=default_launch_method)
    changed, unchanged = [], []
    for file in plan.files:
        target = plan.root / file.relative
        if target.is_file() and target.read_bytes() == file.data:
            unchanged.append(target)
        else:
            changed.append((target, file))
    existing = [t for t, _ in changed if t.exists()]
    if existing and not overwrite:
        raise ConfigError([f"{p.relative_to(plan.root).as_posix()} exists with other content"
                           for p in existing], source=str(plan.root),
                          hint="export with overwrite (--overwrite) to replace it; "
                               "nothing was written.")
    for target, file in changed:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(file.data)
        os.replace(partial, target)
    return BundleExport(plan.resource_path, plan.resource_text, plan.key,
                        tuple(t for t, _ in changed), tuple(unchanged), plan.warnings)


def plan_bundle_export(spec: DeploymentSpec, workflow: str | None = None, *,
                       dltflow_requirement: str | None = None,
                       default_launch_method: str | None = None) -> BundleExportPlan:
    """The files :func:`export_bundle` writes, reading only the project (a dry run).

    Raises:
        ConfigError: as :func:`export_bundle`, overwriting aside.
    """
    wf = _workflow(spec, workflow)
    root = spec.project_root
    _refuse_secrets(spec, wf)
    project = load_project(root) if (root / PROJECT_FILE).is_file() else None
    method = default_launch_method or (project.include.code.launch_method if project
                                       else None)
    tasks = resolve_tasks(root, wf, default_launch_method=method)
    key = resource_key(wf.name)
    files: list[BundleFile] = []
    libraries = [*wf.settings.get("libraries", [])]
    libraries += [{"file": {"path": f"../{project_relative(root, str(item.python_file))}"}}
                  for item, task in zip(wf.tasks.code_items, tasks, strict=True)
                  if not task.class_name]
    libraries += [{"file": {"path": f"../{rel}"}} for item in wf.tasks.items
                  if item.is_library for rel in item.library_files(root)]
    classes = [task for task in tasks if task.class_name]
    dependencies, installs = dependency_lines(root, wf)
    shipped: list[str] = []
    if classes:
        if dltflow_requirement:
            shipped.append(dltflow_requirement)
        else:
            wheel = dltflow_wheel()
            files.append(BundleFile(f"{_WHEELS}/{wheel.filename}", wheel.data))
            shipped.append(f"{FILE_PATH}/{_WHEELS}/{wheel.filename}")
    if is_packaged(root):
        shipped.append(f"--editable {FILE_PATH}")
    if classes or installs:
        launcher = f"{key}_launcher.py"
        files.append(BundleFile(f"resources/{launcher}",
                                render_launcher(classes, installs, _shown(spec),
                                                spec.environment, wf.name).encode()))
        libraries.append({"notebook": {"path": launcher}})
    body = _resource_body(wf, libraries, [*shipped, *dependencies], bool(classes))
    text = (f"# Generated by dltflow bundle from {_shown(spec)} (environment "
            f"{spec.environment}); export again instead of editing.\n"
            + yaml.safe_dump({"resources": {"pipelines": {key: body}}}, sort_keys=False,
                             default_flow_style=False, allow_unicode=True))
    resource = BundleFile(f"resources/{key}.pipeline.yml", text.encode())
    warnings = _sync_warnings(root, wf, [f.relative for f in files])
    main = _databricks_yml(root, project, spec.environment, resource.relative, warnings)
    return BundleExportPlan(root, key, body, (resource, *files, *main), tuple(warnings))


def resource_key(name: str) -> str:
    """A bundle resource key for a pipeline name: letters, digits and ``_``."""
    key = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "pipeline"
    return f"p_{key}" if key[0].isdigit() else key


def _workflow(spec: DeploymentSpec, name: str | None) -> Workflow:
    if name is not None:
        return spec.select(name)[0]
    if len(spec.workflows) == 1:
        return spec.workflows[0]
    raise ConfigError(f"{spec.environment}: several workflows; choose one to export",
                      source=str(spec.path),
                      hint=f"workflows here: {[w.name for w in spec.workflows]}.")


def _refuse_secrets(spec: DeploymentSpec, wf: Workflow) -> None:
    index = spec.workflows.index(wf)
    prefix = f"{spec.environment}.workflows[{index}]"
    fields = [use.field for use in spec.secrets if use.field.startswith(prefix)]
    if fields:
        raise ConfigError([f"field '{f}': looks like a secret" for f in fields],
                          source=str(spec.path),
                          hint="a bundle file is committed in plain text: keep secrets in a "
                               "Databricks secret scope ({{secrets/<scope>/<key>}}) or pass "
                               "them as bundle variables; nothing was written.")


def _resource_body(wf: Workflow, libraries: list[Any], dependencies: list[str],
                   launches: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"name": wf.name}
    body.update({k: v for k, v in wf.settings.items()
                 if k not in ("name", "libraries", "environment", "configuration")})
    configuration = dict(wf.settings.get("configuration") or {})
    if launches:
        configuration[BUNDLE_ROOT_KEY] = FILE_PATH
    if configuration:
        body["configuration"] = configuration
    body["libraries"] = libraries
    environment = dict(wf.settings.get("environment") or {})
    dependencies = [*dependencies, *environment.get("dependencies", [])]
    if dependencies:
        environment["dependencies"] = dependencies
    if environment:
        body["environment"] = environment
    return body


def _sync_warnings(root: Path, wf: Workflow, written: list[str]) -> list[str]:
    """Files the pipeline needs that ``databricks bundle deploy`` would not sync: the
    CLI leaves out what git ignores."""
    rules = UploadRules(root)
    needed = [project_relative(root, str(i.python_file)) for i in wf.tasks.code_items]
    needed += [rel for i in wf.tasks.items if i.is_library for rel in i.library_files(root)]
    needed += [project_relative(root, i.conf_path) for i in wf.tasks.items if i.conf_path]
    needed += [project_relative(root, d.path) for d in wf.tasks.dependencies
               if d.is_local_file and d.path]
    warnings = []
    for relative in dict.fromkeys([*needed, *written]):
        reason = rules.excluded_by(relative)
        if reason is not None and reason.startswith("ignored by"):
            warnings.append(f"{relative} is {reason}: `databricks bundle deploy` does not "
                            "sync git-ignored files, so the pipeline would not find it")
    return warnings


def _databricks_yml(root: Path, project: ProjectConfig | None, environment: str,
                    resource: str, warnings: list[str]) -> list[BundleFile]:
    """A ``databricks.yml`` when the project has none; else checks that it includes the
    resource and has the target."""
    path = root / "databricks.yml"
    if not path.is_file():
        name = resource_key(project.dltflow.name if project else root.name)
        target: dict[str, Any] = {"default": True}
        mode = project.targets[environment].mode if (
            project and environment in project.targets) else None
        if mode is not None:
            target["mode"] = mode
        data = {"bundle": {"name": name}, "include": ["resources/*.yml"],
                "targets": {environment: target}}
        text = ("# Generated by dltflow bundle: the bundle of this dltflow project.\n"
                + yaml.safe_dump(data, sort_keys=False, default_flow_style=False))
        return [BundleFile("databricks.yml", text.encode())]
    data = read_config_file(path, field="databricks.yml")
    data = data if isinstance(data, Mapping) else {}
    includes = data.get("include") or []
    if not any(isinstance(p, str) and fnmatch.fnmatch(resource, p) for p in includes):
        warnings.append(f"databricks.yml does not include {resource}: add `include: "
                        "[resources/*.yml]` so the bundle reads it")
    targets = data.get("targets") or {}
    if isinstance(targets, Mapping) and targets and environment not in targets:
        warnings.append(f"databricks.yml has no target {environment!r} (targets: "
                        f"{', '.join(map(str, targets))})")
    return []


def _shown(spec: DeploymentSpec) -> str:
    try:
        return spec.path.resolve().relative_to(spec.project_root).as_posix()
    except ValueError:
        return spec.path.name
