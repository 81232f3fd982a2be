"""``dltflow validate``: the checks a deploy runs before any call, without a workspace."""

from __future__ import annotations

import json

import click

from dltflow.cli import error_handler, options
from dltflow.exceptions import ConfigError

__all__ = ["validate"]


@click.command("validate")
@options.deployment_file
@options.environment
@options.workflow
@options.output
@error_handler
def validate(deployment_file: str | None, environment: str | None,
             workflows: tuple[str, ...], output: str) -> None:
    """Check a deployment file's environment as a deploy would, offline (for CI).

    Settings keys and combinations, each task's class and config, and the files the
    deploy would upload. Exit 0 when valid, 2 with every problem listed otherwise.

    \b
    Example:
      dltflow validate --deployment-file workflows/sample.yml --environment dev
    """
    from dltflow.deploy.validate import validate_deployment

    if not deployment_file or not environment:
        raise ConfigError("--deployment-file and --environment are required",
                          source="command line", hint="e.g. --deployment-file "
                          "workflows/sample.yml --environment dev")
    result = validate_deployment(deployment_file, environment, workflows=workflows or None)
    if output == "json":
        click.echo(json.dumps({"valid": True, "deployment_file": str(result.path),
                               "environment": result.environment,
                               "workflows": list(result.workflows)}))
    else:
        click.echo(f"{result.path} [{result.environment}]: {len(result.workflows)} "
                   f"workflow(s) valid: {', '.join(result.workflows)}")
