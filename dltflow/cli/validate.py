"""``dltflow validate``: the checks a deploy runs before any call, without a workspace."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dltflow.cli import error_handler, options
from dltflow.exceptions import ConfigError

__all__ = ["validate"]


@click.command("validate")
@options.deployment_file
@options.environment
@options.workflow
@options.bundle
@options.bundle_target
@options.bundle_pipeline
@options.output
@error_handler
def validate(deployment_file: str | None, environment: str | None,
             workflows: tuple[str, ...], bundle: Path | None, bundle_target: str | None,
             bundle_pipeline: str | None, output: str) -> None:
    """Check a deployment file's environment as a deploy would, offline (for CI).

    Settings keys and combinations, each task's class and config, and the files the
    deploy would upload. Exit 0 when valid, 2 with every problem listed otherwise.

    \b
    Example:
      dltflow validate --deployment-file workflows/sample.yml --environment dev
    """
    from dltflow.deploy.validate import validate_deployment

    if bundle is not None:
        if deployment_file:
            raise ConfigError("give --bundle or --deployment-file, not both",
                              source="command line", hint="one pipeline source at a time.")
        _validate_bundle(bundle, bundle_target, bundle_pipeline, output)
        return
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


def _validate_bundle(folder: Path, target: str | None, pipeline: str | None,
                     output: str) -> None:
    from dltflow.deploy.bundle_validate import validate_bundle

    checked = validate_bundle(folder, target=target, pipeline=pipeline)
    chosen = checked.pipeline
    if output == "json":
        click.echo(json.dumps({"valid": True, "bundle": chosen.bundle_name,
                               "target": chosen.target, "pipeline": chosen.key,
                               "libraries": list(checked.files),
                               "warnings": list(chosen.warnings)}))
        return
    for warning in chosen.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"bundle {chosen.bundle_name} [{chosen.target}]: pipeline {chosen.key} valid, "
               f"{len(checked.files)} librar{'y' if len(checked.files) == 1 else 'ies'}: "
               f"{', '.join(checked.files)}")
