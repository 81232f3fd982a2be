"""The ``dltflow`` click group. Importing it must not import pyspark.

Each command's module is imported when that command runs (or when ``--help`` lists the
commands), so ``dltflow run`` does not pay for the deploy layer's models and the other
way round: on Sail a whole small run takes about a second and a half, and importing
every command took a quarter of a second of it.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading

import click

from dltflow import __version__

_COMMANDS = {
    "init": "dltflow.cli.init:init",
    "deploy-py-dlt": "dltflow.cli.deploy:deploy_py_dlt",
    "run": "dltflow.cli.run:run",
    "validate": "dltflow.cli.validate:validate",
    "graph": "dltflow.cli.graph:graph",
    "report": "dltflow.cli.report:report",
    "bundle": "dltflow.cli.bundle:bundle",
}
"""Command name -> ``module:attribute`` of its click command, in the order help lists them."""


class _LazyGroup(click.Group):
    """A group that imports a command's module only when the command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*_COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dltflow")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of short errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """dltflow: author, run locally, and deploy Databricks DLT pipelines."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    """The ``dltflow`` command: :func:`cli`, then a prompt end of the process.

    When a command has returned, everything it wrote is written: files are closed (the
    event log is flushed per event), tables are the engine's. What is left is the
    interpreter taking pandas, pyarrow and grpc apart module by module, about 0.1 s of
    every run (on Sail, a seventh of a small one). So once the exit handlers have run
    (they stop Sail's server and flush the logs) and stdout and stderr are flushed,
    the process ends there, with the command's exit code. If a thread the pipeline
    started is still running, the process ends the usual way, which waits for it.
    """
    try:
        cli.main(prog_name="dltflow")
    except SystemExit as done:
        _end(done.code)
    _end(0)


def _end(code: str | int | None) -> None:
    main_thread = threading.main_thread()
    if any(not t.daemon for t in threading.enumerate() if t is not main_thread):
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # what Python does with `sys.exit("message")`
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)
