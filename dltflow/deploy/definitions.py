"""A deployment file's environment as a pipeline definition the local engine can run.

:func:`deployment_definition` resolves the tasks exactly as ``deploy-py-dlt`` does for
the notebook (:func:`~dltflow.deploy.resolve.resolve_tasks`), and running the
definition calls :func:`dltflow.runtime.launch` for each, as the notebook cells do, with
the project folder as the artifact folder. ``dltflow run --deployment-file`` hands it
to :func:`dltflow.local.run`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dltflow.configfile import check_path_text
from dltflow.deploy.notebook import NotebookTask
from dltflow.deploy.project import find_project_root, load_project
from dltflow.deploy.resolve import resolve_tasks
from dltflow.deploy.spec import load_deployment

__all__ = ["DeploymentDefinition", "DeploymentTask", "deployment_definition"]


@dataclass(frozen=True)
class DeploymentTask:
    """One task of a deployment file, as its notebook cell launches it.

    Args:
        workflow: the workflow (pipeline) the task belongs to.
        artifact_root: the folder the code and config are imported from.
        task: what the notebook cell launches.
    """

    workflow: str
    artifact_root: str
    task: NotebookTask
    configuration: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """``workflow:module.Class``, for progress lines and errors."""
        suffix = f".{self.task.class_name}" if self.task.class_name else ""
        return f"{self.workflow}:{self.task.module}{suffix}"

    def launch(self) -> None:
        """Import, build and register, as the deployed notebook does."""
        from dltflow.runtime import launch  # the cluster-side code, shared

        launch(None, artifact_root=self.artifact_root, module=self.task.module,
               class_name=self.task.class_name, conf_path=self.task.conf_path,
               parameters=self.task.parameters, launch_method=self.task.launch_method)


@dataclass(frozen=True)
class DeploymentDefinition:
    """A zero-argument pipeline definition: calling it declares every task's datasets.

    Args:
        name: ``<deployment file stem>:<environment>``.
        tasks: the tasks, in the order the notebooks run them.
        sources: the files of ``sql_file`` and ``folder`` tasks (absolute paths), which
            the pipeline runs itself: the local engine loads them after the tasks, as
            it loads files given to ``dltflow run``.
        parameters: every selected workflow's ``configuration:``.
    """

    name: str
    tasks: tuple[DeploymentTask, ...]
    sources: tuple[str, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()

    def __call__(self) -> None:
        for task in self.tasks:
            task.launch()

    @property
    def configuration(self) -> dict[str, str]:
        """The workflows' ``configuration:`` (pipeline parameters, as on Databricks); the
        local engine applies it underneath the values a run is given explicitly."""
        return dict(self.parameters)

    @property
    def __name__(self) -> str:  # the engine names a definition by its __name__
        return self.name


def deployment_definition(deployment_file: str | Path, environment: str, *,
                          project_root: str | Path | None = None,
                          workflows: str | Sequence[str] | None = None
                          ) -> DeploymentDefinition:
    """The tasks of a deployment file's environment, as one definition for ``run()``.

    Args:
        deployment_file: the YAML/JSON deployment file.
        environment: the environment to run.
        project_root: the project folder (default: the folder holding ``dltflow.yml``
            at or above the deployment file, else the current directory).
        workflows: only this workflow, or these (default: all of the environment).

    Raises:
        ConfigError: the file, a workflow or a task is invalid.
    """
    check_path_text(deployment_file, field="deployment file")
    file = Path(deployment_file)
    root = Path(project_root) if project_root is not None else (
        find_project_root(file.parent) or Path.cwd().resolve())
    spec = load_deployment(file, environment, project_root=root)
    default_method = (load_project(root).include.code.launch_method
                      if (root / "dltflow.yml").is_file() else None)
    chosen = spec.select(workflows)
    tasks = tuple(DeploymentTask(wf.name, str(spec.project_root), task,
                                 _configuration(wf.settings))
                  for wf in chosen
                  for task in resolve_tasks(spec.project_root, wf,
                                            default_launch_method=default_method))
    sources = tuple(str(spec.project_root / rel) for wf in chosen for item in wf.tasks.items
                    if item.is_library for rel in item.library_files(spec.project_root))
    parameters = tuple(pair for wf in chosen for pair in _configuration(wf.settings))
    return DeploymentDefinition(f"{file.stem}:{environment}", tasks, sources, parameters)


def _configuration(settings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    values = settings.get("configuration") or {}
    return tuple((str(k), str(v)) for k, v in values.items())
