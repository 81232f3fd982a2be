"""The ``dltflow`` command line; commands stay thin and call library functions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from dltflow.exceptions import DLTException

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def error_handler(func: F) -> F:
    """Print ``Error: ...`` for any dltflow error and exit non-zero; ``--debug`` re-raises.

    Bad input (an invalid config or deployment file, a broken pipeline graph) exits 2;
    everything else that dltflow raised exits 1.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return func(*args, **kwargs)
        except DLTException as err:
            if (ctx.find_root().obj or {}).get("debug"):
                raise
            from dltflow.exceptions import ConfigError, GraphError, UnsafePathError

            click.secho(f"Error: {err}", fg="red", err=True)
            bad_input = isinstance(err, (ConfigError, GraphError, UnsafePathError))
            ctx.exit(EXIT_BAD_INPUT if bad_input else EXIT_FAILED)

    return wrapper  # type: ignore[return-value]
