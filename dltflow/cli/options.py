"""Click options shared by several commands, so they read the same everywhere.

Shared between ``run`` and ``deploy-py-dlt``: add options here, never change or remove
one another command relies on.
"""

from __future__ import annotations

import click

__all__ = ["deployment_file", "dry_run", "environment", "output", "workflow"]

deployment_file = click.option(
    "--deployment-file",
    type=click.Path(dir_okay=False, path_type=str),
    help="Deployment file (YAML or JSON) keyed by environment, e.g. workflows/simple.yml.",
)

environment = click.option(
    "--environment", "-e",
    help="The environment of the deployment file to use, e.g. dev.",
)

workflow = click.option(
    "--workflow",
    "workflows",
    multiple=True,
    metavar="NAME",
    help="Only this workflow of the environment (repeatable); default: all of them.",
)

dry_run = click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would happen, change nothing.",
)

output = click.option(
    "--output", "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json prints exactly one JSON object on stdout.",
)
