"""The ``dltflow`` command line; commands stay thin and call library functions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from dltflow.exceptions import DLTException

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "error_handler"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def error_handler(func: F) -> F:
    """Print ``Error: ...`` for any dltflow error and exit non-zero; ``--debug`` re-raises.

    Bad input (an invalid config or deployment file, a broken pipeline graph) exits 2;
    everything else that dltflow raised exits 1. With ``--output json`` the failure is
    also one JSON object on stdout (see :mod:`dltflow.cli.failure`).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return func(*args, **kwargs)
        except DLTException as err:
            if (ctx.find_root().obj or {}).get("debug"):
                raise
            from dltflow.exceptions import (
                ConfigError,
                EventLogError,
                GraphError,
                UnsafePathError,
            )

            click.secho(f"Error: {err}", fg="red", err=True)
            bad_input = isinstance(err, (ConfigError, EventLogError, GraphError,
                                         UnsafePathError))
            code = EXIT_BAD_INPUT if bad_input else EXIT_FAILED
            if kwargs.get("output") == "json":
                from dltflow.cli.failure import PARTIAL_RESULT, echo_failure

                echo_failure(err, code, ctx.meta.get(PARTIAL_RESULT))
            ctx.exit(code)

    return wrapper  # type: ignore[return-value]
