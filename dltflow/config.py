"""Config plumbing shared by pipeline configs, ``dltflow.yml`` and deployment files.

One of each: finding ``--conf`` in an argument list (:func:`conf_argument`), the strict
pydantic base every config model derives from (:class:`StrictModel`), and turning a
pydantic ``ValidationError`` into one :class:`~dltflow.exceptions.ConfigError` line per
bad field (:func:`validation_problems`). Files are read by
:func:`dltflow.configfile.read_config_file`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CONF_FLAGS", "conf_argument"]

CONF_FLAGS = ("--conf", "--conf-file")
"""The flags naming a pipeline config on a command line or in a task's ``parameters``."""


def conf_argument(args: Sequence[str]) -> str | None:
    """The value of ``--conf``/``--conf-file`` in ``args`` (``--conf x`` or ``--conf=x``).

    Example:
        >>> conf_argument(["--conf", "conf/simple.yml"])
        'conf/simple.yml'
    """
    for i, arg in enumerate(args):
        for flag in CONF_FLAGS:
            if arg == flag and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
    return None
