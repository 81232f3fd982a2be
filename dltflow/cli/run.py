"""``dltflow run``: run a pipeline locally (implemented in dltflow.local)."""

from __future__ import annotations

import click


@click.command()
def run() -> None:
    """Run a pipeline locally."""
    raise click.ClickException("not implemented yet")
