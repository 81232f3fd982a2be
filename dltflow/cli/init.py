"""``dltflow init``: scaffold a project (implemented in dltflow.deploy.scaffold)."""

from __future__ import annotations

import click


@click.command()
def init() -> None:
    """Scaffold a dltflow project."""
    raise click.ClickException("not implemented yet")
