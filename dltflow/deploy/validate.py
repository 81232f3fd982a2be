"""``dltflow validate``: every pre-deploy check, with no workspace at all (for CI).

The same checks a deploy runs before its first call: the deployment file's settings
(keys at any depth against databricks-sdk's models, serverless/cluster combinations,
``target``/``schema``), each task's class and config, and what the upload would hold
(paths, files the upload rules leave out, notebook rendering). Only a check that needs
the workspace (a ``catalog``/``storage`` change of an existing pipeline) is left to
the deploy itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dltflow.configfile import check_path_text
from dltflow.exceptions import ConfigError


@dataclass(frozen=True)
class ValidationResult:
    """What was checked: the deployment file, its environment and the workflows."""

    path: Path
    environment: str
    workflows: tuple[str, ...]


def validate_deployment(deployment_file: str | Path, environment: str, *,
                        workflows: Sequence[str] | None = None,
                        project_root: str | Path | None = None) -> ValidationResult:
    """Run the pre-deploy checks of one environment of a deployment file.

    Args:
        deployment_file: the YAML/JSON deployment file.
        environment: the environment to check.
        workflows: only these workflows (default: all of the environment).
        project_root: the folder holding ``dltflow.yml`` (default: found above the file).

    Raises:
        ConfigError: the first stage that fails, listing every problem of that stage.
    """
    from dltflow.deploy.checks import check_deployment
    from dltflow.deploy.deployer import target_from_project
    from dltflow.deploy.plan import plan_deployment
    from dltflow.deploy.project import find_project_root, load_project
    from dltflow.deploy.spec import load_deployment

    check_path_text(deployment_file, field="deployment file")
    if project_root is not None:
        check_path_text(project_root, field="project root")
    path = Path(deployment_file)
    if not path.is_file():
        raise ConfigError(f"deployment file {str(deployment_file)!r} does not exist",
                          source="command line",
                          hint="paths are relative to the current directory.")
    root = Path(project_root) if project_root is not None else (
        find_project_root(path.resolve().parent) or find_project_root())
    if root is None:
        raise ConfigError("no dltflow.yml in this folder or above", source=str(path),
                          hint="run `dltflow init` first, or run from the project folder.")
    spec = load_deployment(path, environment, project_root=root)
    target = target_from_project(load_project(root), environment)
    chosen = spec.select(list(workflows) if workflows else None)
    check_deployment(spec, chosen, default_launch_method=target.launch_method,
                     include_files=target.include_files, artifact_path=target.artifact_path)
    plan_deployment(spec, target, workflows=chosen)  # paths, upload rules, rendering
    return ValidationResult(path, environment, tuple(wf.name for wf in chosen))
