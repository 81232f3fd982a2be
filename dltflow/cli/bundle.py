"""``dltflow bundle``: a deployment file's workflow as a Databricks bundle pipeline resource.

    dltflow bundle --deployment-file workflows/simple.yml -e dev            # writes
    dltflow bundle --deployment-file workflows/simple.yml -e dev --dry-run  # shows

A team that deploys with bundles keeps dltflow for authoring and local runs: the
resource (``resources/<key>.pipeline.yml``), a launcher notebook for mixin classes and
the wheel dltflow would ship are written into the project; ``dltflow run --bundle``
runs the result locally. Exit codes: 0 done, 2 bad input (nothing written).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from dltflow.cli import error_handler, options
from dltflow.exceptions import ConfigError

__all__ = ["bundle"]


@click.command("bundle")
@options.deployment_file
@options.environment
@click.option("--workflow", "workflow", metavar="NAME",
              help="The workflow to export; needed when the environment has several.")
@click.option("--overwrite", is_flag=True, help="Replace generated files that changed "
              "(never databricks.yml).")
@click.option("--dltflow-requirement", metavar="PIP_LINE", help="How the pipeline installs "
              "dltflow (e.g. 'dltflow==0.9'); default: a wheel of this dltflow, written "
              "to resources/wheels/.")
@options.dry_run
@options.output
@error_handler
def bundle(deployment_file: str | None, environment: str | None, workflow: str | None,
           overwrite: bool, dltflow_requirement: str | None, dry_run: bool,
           output: str) -> None:
    """Export a deployment file's workflow as a bundle pipeline resource."""
    from dltflow.deploy import export_bundle, load_deployment, plan_bundle_export

    if not deployment_file or not environment:
        raise ConfigError("--deployment-file and --environment are required",
                          source="command line", hint="e.g. dltflow bundle --deployment-file "
                          "workflows/simple.yml --environment dev")
    spec = load_deployment(deployment_file, environment, project_root=Path.cwd())
    if dry_run:
        plan = plan_bundle_export(spec, workflow, dltflow_requirement=dltflow_requirement)
        files = [f.relative for f in plan.files]
        if output == "json":
            click.echo(json.dumps({"dry_run": True, "key": plan.key, "files": files,
                                   "resource": plan.resource,
                                   "warnings": list(plan.warnings)}))
            return
        click.echo(plan.resource_text, nl=False)
        for name in files:
            click.echo(f"would write {name}", err=True)
        _warn(plan.warnings)
        return
    done = export_bundle(spec, workflow, overwrite=overwrite,
                         dltflow_requirement=dltflow_requirement)
    root = spec.project_root
    if output == "json":
        click.echo(json.dumps({"key": done.key, "resource": _shown(done.path, root),
                               "written": [_shown(p, root) for p in done.written],
                               "unchanged": [_shown(p, root) for p in done.unchanged],
                               "warnings": list(done.warnings)}))
        return
    for path in done.written:
        click.echo(f"wrote {_shown(path, root)}", err=True)
    _warn(done.warnings)
    click.echo(f"Pipeline resource '{done.key}': {_shown(done.path, root)} "
               f"({len(done.written)} file(s) written, {len(done.unchanged)} unchanged).\n"
               f"Next: dltflow run --bundle --target {environment}   "
               f"# or: databricks bundle deploy -t {environment}")


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
