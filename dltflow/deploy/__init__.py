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

Databricks Asset Bundles: :func:`read_bundle` reads one pipeline of a bundle
(``databricks.yml``) for a target, its libraries as local files; :func:`export_bundle`
writes a deployment file's workflow as a bundle pipeline resource.
"""

from dltflow.deploy.bundle import BundlePipeline, read_bundle
from dltflow.deploy.bundle_export import (
    BUNDLE_ROOT_KEY,
    BundleExport,
    BundleExportPlan,
    export_bundle,
    plan_bundle_export,
)
from dltflow.deploy.bundle_libraries import BundleLibrary
from dltflow.deploy.bundle_source import BundleError
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
    "BUNDLE_ROOT_KEY", "BundleError", "BundleExport", "BundleExportPlan", "BundleLibrary",
    "BundlePipeline", "ConcurrentChangeError", "DeployEvent", "DeployResult", "DeployTarget",
    "DeployedPipeline", "DeploymentDefinition", "DeploymentSpec", "ProjectConfig", "Workspace",
    "WorkspaceError", "deploy", "deployment_definition", "export_bundle", "find_project_root",
    "load_deployment", "load_project", "plan_bundle_export", "read_bundle", "run_update",
    "target_from_project", "wait_for_update",
]
