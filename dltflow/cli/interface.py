"""The ``dltflow`` click group. Importing it must not import pyspark."""

from __future__ import annotations

import click

from dltflow import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dltflow")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of short errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """dltflow: author, run locally, and deploy Databricks DLT pipelines."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _add_commands() -> None:
    from dltflow.cli.bundle import bundle
    from dltflow.cli.deploy import deploy_py_dlt
    from dltflow.cli.graph import graph
    from dltflow.cli.init import init
    from dltflow.cli.report import report
    from dltflow.cli.run import run
    from dltflow.cli.validate import validate

    for command in (init, deploy_py_dlt, run, validate, graph, report, bundle):
        cli.add_command(command)


_add_commands()
