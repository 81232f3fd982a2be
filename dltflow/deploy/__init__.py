"""Deploy pipelines to Databricks: the library behind ``dltflow deploy-py-dlt``.

Usable without the CLI::

    from databricks.sdk import WorkspaceClient
    from dltflow.deploy import Workspace, deploy, load_deployment, load_project, \\
        target_from_project

    project = load_project(root)
    spec = load_deployment("workflows/simple.yml", "dev", project_root=root)
    result = deploy(spec, target_from_project(project, "dev"), Workspace(WorkspaceClient()))

A deployment file's environment also runs locally:
``dltflow.local.run(deployment_definition("workflows/simple.yml", "dev"))``.
"""

from dltflow.deploy.definitions import DeploymentDefinition, deployment_definition
from dltflow.deploy.deployer import (
    DeployedPipeline,
    DeployEvent,
    DeployResult,
    deploy,
    run_update,
    target_from_project,
    wait_for_update,
)
from dltflow.deploy.plan import DeployTarget
from dltflow.deploy.project import ProjectConfig, find_project_root, load_project
from dltflow.deploy.reconcile import ConcurrentChangeError
from dltflow.deploy.spec import DeploymentSpec, load_deployment
from dltflow.deploy.workspace import Workspace, WorkspaceError

__all__ = [
    "ConcurrentChangeError", "DeployEvent", "DeployResult", "DeployTarget", "DeployedPipeline",
    "DeploymentDefinition",
    "DeploymentSpec", "ProjectConfig", "Workspace", "WorkspaceError", "deploy",
    "deployment_definition", "find_project_root", "load_deployment", "load_project",
    "run_update", "target_from_project", "wait_for_update",
]
