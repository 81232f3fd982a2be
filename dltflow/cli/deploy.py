"""``dltflow deploy-py-dlt``: deploy pipelines (implemented in dltflow.deploy)."""

from __future__ import annotations

import click


@click.command("deploy-py-dlt")
def deploy_py_dlt() -> None:
    """Deploy DLT pipelines to a Databricks workspace."""
    raise click.ClickException("not implemented yet")
