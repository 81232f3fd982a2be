"""Click options shared by several commands, so they read the same everywhere.

Shared between ``run`` and ``deploy-py-dlt``: add options here, never change or remove
one another command relies on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

__all__ = ["PathType", "bundle", "bundle_pipeline", "bundle_target", "conf", "configuration",
           "deployment_file", "dry_run", "environment", "output", "source", "workflow"]


class PathType(click.Path):
    """``click.Path`` that refuses a path holding a NUL byte as a usage error (exit 2).

    click's own checks call ``os.stat``, which raises ``ValueError`` on a NUL byte: a
    traceback instead of a message. A shell cannot pass one, but a program calling the
    CLI (or click's test runner) can.
    """

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        text = os.fsdecode(value) if isinstance(value, (str, bytes, os.PathLike)) else ""
        if "\0" in text:
            self.fail(f"{text!r} contains a NUL byte (\\x00); no file name can hold one.",
                      param, ctx)
        return super().convert(value, param, ctx)


_EXISTING_FILE = PathType(exists=True, dir_okay=False, path_type=Path)

source = click.argument("sources", nargs=-1, metavar="[PATH]...",
                        type=PathType(exists=True, path_type=Path))
"""A pipeline's sources (``run``, ``graph``): Python and SQL files, folders of them."""

conf = click.option("--conf", "--conf-file", "conf", type=_EXISTING_FILE, metavar="PATH",
                    help="The pipeline's config (YAML/JSON with a `dlt:` section).")

deployment_file = click.option(
    "--deployment-file",
    type=PathType(dir_okay=False, path_type=str),
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

configuration = click.option(
    "--configuration", "-c", "configuration", multiple=True, metavar="KEY=VALUE|FILE",
    help="A pipeline parameter, read with spark.conf.get(KEY) and ${KEY} in SQL "
         "(repeatable), or a YAML/JSON file of them.",
)

bundle = click.option(
    "--bundle", "bundle", is_flag=False, flag_value=".", default=None, metavar="[DIR]",
    type=PathType(file_okay=False, path_type=Path),
    help="Run a Databricks bundle's pipeline: the folder holding databricks.yml "
         "(default: this folder).",
)

bundle_target = click.option(
    "--target", "-t", "bundle_target", metavar="TARGET",
    help="The bundle target (default: the one with `default: true`).",
)

bundle_pipeline = click.option(
    "--pipeline", "bundle_pipeline", metavar="KEY",
    help="The bundle pipeline (its key under resources.pipelines), when it has several.",
)
