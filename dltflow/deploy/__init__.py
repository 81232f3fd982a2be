"""Deploy pipelines to Databricks: the library behind ``dltflow deploy-py-dlt``.

Usable without the CLI::

    from databricks.sdk import WorkspaceClient
    from dltflow.deploy import Workspace, deploy, load_deployment, load_project, \\
        target_from_project

    project = load_project(root)
    spec = load_deployment("workflows/simple.yml", "dev", project_root=root)
    result = deploy(spec, target_from_project(project, "dev"), Workspace(WorkspaceClient()))
"""

from dltflow.deploy.definitions import (
    DeploymentDefinition,
    DeploymentTask,
    deployment_definition,
)
from dltflow.deploy.deployer import (
    DeployEvent,
    DeployResult,
    PipelineResult,
    deploy,
    personal_prefix,
    run_update,
    target_from_project,
    wait_for_update,
)
from dltflow.deploy.notebook import NotebookTask, PipInstall, python_cells, render_notebook
from dltflow.deploy.paths import RemotePath
from dltflow.deploy.plan import DeploymentPlan, DeployTarget, WorkflowPlan, plan_deployment
from dltflow.deploy.project import ProjectConfig, load_project
from dltflow.deploy.resolve import ResolvedTask, resolve_task, resolve_tasks
from dltflow.deploy.spec import DeploymentSpec, Workflow, load_deployment
from dltflow.deploy.workspace import ExistingPipeline, Workspace, WorkspaceError

__all__ = [
    "DeployEvent", "DeployResult", "DeployTarget", "DeploymentPlan", "DeploymentSpec",
    "DeploymentDefinition", "DeploymentTask", "ExistingPipeline", "NotebookTask",
    "PipInstall", "PipelineResult",
    "ProjectConfig", "RemotePath", "ResolvedTask", "Workflow", "WorkflowPlan", "Workspace",
    "WorkspaceError", "deploy", "deployment_definition", "load_deployment", "load_project",
    "personal_prefix", "plan_deployment", "python_cells",
    "render_notebook", "resolve_task", "resolve_tasks", "run_update", "target_from_project",
    "wait_for_update",
]
