"""A failure as one JSON object, for ``--output json``.

Machines reading ``--output json`` get exactly one JSON object on stdout, on failure
too: ``{"status": "failed", "error": {...}, "exit_code": N}``, plus whatever the command
had already achieved (``result``, e.g. the pipelines deployed before ``--run`` failed).
"""

from __future__ import annotations

import json
from typing import Any

import click

__all__ = ["PARTIAL_RESULT", "echo_failure"]

# The click ``ctx.meta`` key under which a command leaves what it did before it failed.
PARTIAL_RESULT = "dltflow.partial_result"

_SCALARS = (str, int, float, bool, type(None))


def echo_failure(err: Exception, exit_code: int, partial: dict[str, Any] | None) -> None:
    """Print the failure object on stdout."""
    failure: dict[str, Any] = {"status": "failed", "exit_code": exit_code,
                               "error": describe(err)}
    if partial is not None:
        failure["result"] = partial
    click.echo(json.dumps(failure, indent=2, default=str))


def describe(err: Exception) -> dict[str, Any]:
    """The error's class, message and public domain attributes (file, field, status ...).

    Only plain values are kept: the attributes are what the message was built from, and
    secrets never reach them (the workspace layer redacts credentials first).
    """
    info: dict[str, Any] = {"type": type(err).__name__, "message": str(err)}
    for key, value in vars(err).items():
        if key.startswith("_") or key in info:
            continue
        if isinstance(value, _SCALARS) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, _SCALARS) for v in value)):
            info[key] = list(value) if isinstance(value, tuple) else value
    return info
