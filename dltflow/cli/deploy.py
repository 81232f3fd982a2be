"""``dltflow deploy-py-dlt``: upload code and config, create or update the pipelines.

The command parses options, builds a ``WorkspaceClient`` (auth is databricks-sdk's own:
``--profile``, the target's ``profile``/``host``, or ``DATABRICKS_HOST`` /
``DATABRICKS_TOKEN`` and friends; a profile is never required), calls
:func:`dltflow.deploy.deploy` and renders its events.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from dltflow.cli import error_handler, options
from dltflow.cli.failure import PARTIAL_RESULT
from dltflow.exceptions import ConfigError, DeployError, DLTException

__all__ = ["deploy_py_dlt"]


@click.command("deploy-py-dlt")
@options.deployment_file
@options.environment
@options.workflow
@click.option("--as-individual", is_flag=True,
              help="Prefix pipeline names with [<env>_<user>] so personal work never "
                   "overwrites the shared pipeline.")
@options.dry_run
@click.option("--run", "run_now", is_flag=True, help="Start an update after deploying.")
@click.option("--wait", is_flag=True,
              help="With --run: follow the update until it ends; exit 1 if it fails.")
@click.option("--full-refresh", is_flag=True, help="With --run: reset all tables first.")
@click.option("--profile", metavar="NAME",
              help="Databricks config profile (overrides the target's).")
@click.option("--dltflow-requirement", envvar="DLTFLOW_REQUIREMENT", metavar="SPEC",
              help="What the pipeline installs for dltflow, instead of the wheel of this "
                   "dltflow that deploy builds and uploads (e.g. a wheel in a volume, or "
                   "dltflow==0.2.0 from an index the workspace reaches).")
@click.option("--allow-recreate", is_flag=True,
              help="Allow changing catalog or storage of an existing pipeline (Databricks "
                   "then recreates its tables).")
@click.option("--keep", type=click.IntRange(min=0), default=1, show_default=True,
              metavar="N", help="After the switch, remove old notebooks and artifact folders "
              "dltflow created, keeping N earlier versions per pipeline for rollback "
              "(with --dry-run: list what would be removed).")
@click.option("--poll-seconds", type=float, default=5.0, hidden=True)
@options.output
@error_handler
def deploy_py_dlt(deployment_file: str | None, environment: str | None,
                  workflows: tuple[str, ...], as_individual: bool, dry_run: bool,
                  run_now: bool, wait: bool, full_refresh: bool, profile: str | None,
                  dltflow_requirement: str | None, keep: int, allow_recreate: bool,
                  poll_seconds: float,
                  output: str) -> None:
    """Deploy the pipelines of a deployment file's environment to Databricks.

    \b
    Example:
      dltflow deploy-py-dlt --deployment-file workflows/simple.yml --environment dev
    """
    from dltflow.deploy import (
        Workspace,
        deploy,
        load_deployment,
        load_project,
        target_from_project,
    )
    from dltflow.deploy.project import find_project_root

    if not deployment_file or not environment:
        raise ConfigError("--deployment-file and --environment are required",
                          source="command line", hint="e.g. --deployment-file "
                          "workflows/simple.yml --environment dev")
    if wait and not run_now:
        raise ConfigError("--wait needs --run", source="command line")
    path = Path(deployment_file)
    if not path.is_file():
        raise ConfigError(f"deployment file {deployment_file!r} does not exist",
                          source="command line", hint="paths are relative to the current "
                          "directory.")
    root = find_project_root(path.resolve().parent) or find_project_root()
    if root is None:
        raise ConfigError("no dltflow.yml in this folder or above", source="command line",
                          hint="run `dltflow init` first, or run from the project folder.")
    spec = load_deployment(path, environment, project_root=root)
    project = load_project(root)
    target = target_from_project(project, environment)
    workspace_cfg = project.target(environment).workspace
    # The SDK retries an unreachable host for minutes: say what we are waiting for.
    where = (profile and f"profile {profile}") or os.environ.get("DATABRICKS_HOST") \
        or (workspace_cfg.profile and f"profile {workspace_cfg.profile}") \
        or workspace_cfg.host or "databricks-sdk's default credentials"
    click.echo(f"Connecting to Databricks ({where}) ...", err=True)
    client = _client(profile, workspace_cfg.profile, workspace_cfg.host)
    echo = _Echo(output, dry_run)
    result = deploy(spec, target, Workspace(client), workflows=workflows or None,
                    as_individual=as_individual, dry_run=dry_run, on_event=echo.event,
                    dltflow_requirement=dltflow_requirement, keep=keep,
                    allow_recreate=allow_recreate)
    summary: dict[str, Any] = {
        "status": "succeeded", "dry_run": dry_run, "artifacts": result.artifact_root,
        "uploaded": len(result.uploaded), "removed": list(result.removed),
        "pipelines": [{"name": p.name, "pipeline_id": p.pipeline_id, "url": p.url,
                       "action": p.action, "notebook": p.notebook_path}
                      for p in result.pipelines]}
    try:
        if run_now and not dry_run:
            _run_pipelines(Workspace(client), result, summary, echo, wait=wait,
                           full_refresh=full_refresh, poll_seconds=poll_seconds)
    except DLTException:
        # The deploy itself succeeded: say so (text) or hand it to the failure object.
        summary["status"] = "failed"
        if output == "json":
            click.get_current_context().meta[PARTIAL_RESULT] = summary
        else:
            echo.summary(summary)
        raise
    echo.summary(summary)


def _run_pipelines(ws: Any, result: Any, summary: dict[str, Any], echo: _Echo, *,
                   wait: bool, full_refresh: bool, poll_seconds: float) -> None:
    from dltflow.deploy import run_update, wait_for_update

    for pipeline in result.pipelines:
        assert pipeline.pipeline_id is not None
        update_id = run_update(ws, pipeline.pipeline_id, full_refresh=full_refresh,
                               on_event=echo.event)
        summary.setdefault("updates", []).append(
            {"pipeline_id": pipeline.pipeline_id, "update_id": update_id})
        if wait:
            state = wait_for_update(ws, pipeline.pipeline_id, update_id,
                                    on_event=echo.event, poll_seconds=poll_seconds)
            summary["updates"][-1]["state"] = state


def _client(option_profile: str | None, target_profile: str | None,
            target_host: str | None) -> Any:
    """A WorkspaceClient; the target's profile yields to DATABRICKS_HOST (CI)."""
    from databricks.sdk import WorkspaceClient  # lazy: `dltflow --help` stays fast

    kwargs: dict[str, Any] = {}
    if option_profile:
        kwargs["profile"] = option_profile
    elif target_profile and not os.environ.get("DATABRICKS_HOST"):
        kwargs["profile"] = target_profile
    elif target_host and not os.environ.get("DATABRICKS_HOST"):
        kwargs["host"] = target_host
    try:
        return WorkspaceClient(**kwargs)
    except ValueError as err:  # the SDK's "cannot configure default credentials"
        raise DeployError(f"Could not authenticate to Databricks: {err}\nHint: set "
                          "DATABRICKS_HOST and DATABRICKS_TOKEN, pass --profile, or run "
                          "`databricks auth login`.") from None


class _Echo:
    """Renders deploy events: progress on stderr; the result on stdout (text or JSON).

    In a dry run the notebooks and request bodies are the result: printed as text, or
    collected into the JSON object.
    """

    def __init__(self, output: str, dry_run: bool) -> None:
        self.output = output
        self.dry_run = dry_run
        self.previews: list[dict[str, Any]] = []

    def event(self, event: Any) -> None:
        click.echo(event.message, err=True)
        if not self.dry_run or event.kind not in ("notebook", "request"):
            return
        if self.output == "json":
            self.previews.append({"kind": event.kind, **event.data})
        elif event.kind == "notebook":
            same = " (unchanged, already deployed)" if event.data.get("unchanged") else ""
            click.echo(f"--- notebook {event.data['path']}{same} ---\n{event.data['source']}")
        else:
            same = " (settings unchanged, would not be sent)" if event.data.get(
                "unchanged") else ""
            click.echo(f"--- {event.data['method']} {event.data['path']}{same} ---\n"
                       + json.dumps(event.data["body"], indent=2, sort_keys=True))

    def summary(self, summary: dict[str, Any]) -> None:
        if self.output == "json":
            if self.dry_run:
                summary["previews"] = self.previews
            click.echo(json.dumps(summary, indent=2))
            return
        verb = "Would deploy" if summary["dry_run"] else "Deployed"
        lines = [f"{verb} {len(summary['pipelines'])} pipeline(s); artifacts: "
                 f"{summary['artifacts']}"]
        for p in summary["pipelines"]:
            lines.append(f"  {p['name']}: {p['action']}"
                         + (f", id {p['pipeline_id']}" if p["pipeline_id"] else "")
                         + (f"\n    {p['url']}" if p["url"] else ""))
        if summary["removed"]:
            lines.append(f"{'Would remove' if summary['dry_run'] else 'Removed'} "
                         f"{len(summary['removed'])} old notebook(s)/artifact folder(s):")
            lines += [f"  {path}" for path in summary["removed"]]
        click.echo("\n".join(lines))
