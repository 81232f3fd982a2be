"""Config plumbing shared by pipeline configs, ``dltflow.yml`` and deployment files.

One of each: finding ``--conf`` in an argument list (:func:`conf_argument`), the strict
pydantic base every config model derives from (:class:`StrictModel`), and turning a
pydantic ``ValidationError`` into one :class:`~dltflow.exceptions.ConfigError` line per
bad field (:func:`validation_problems`). Files are read by
:func:`dltflow.configfile.read_config_file`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["CONF_FLAGS", "StrictModel", "conf_argument", "validation_problems"]

# Parts pydantic adds to an error's location for union/literal/validator branches.
_BRANCH = re.compile(r"^(str|int|bool|float|list|dict|tuple|set|none)$|\[|^function-")

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


class StrictModel(BaseModel):
    """The base of every config model: unknown keys are errors, models are immutable,
    and a field with an alias may also be given by its own name."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def validation_problems(err: ValidationError, data: Any = None, *, entry_depth: int = 0,
                        prefix: str = "", brackets: bool = False) -> list[str]:
    """One line per bad field of a pydantic ``ValidationError``, for a ConfigError.

    Each line reads ``<entry>: field 'a.b.c' (name=...): <message>``: unknown keys say
    "unknown key", an item of a list that has a ``name`` is named after it (so a bad
    expectation is ``check_addition``, not only ``expectations.0``).

    Args:
        err: the error.
        data: what was validated, to name entries and list items.
        entry_depth: how many leading location parts name the entry (``dlt[1]``), labelled
            with the entry's ``func_name``/``name``.
        prefix: put before every field path (a nested model's place in the file).
        brackets: list indexes as ``items[0]`` instead of ``items.0``.

    Returns:
        The lines, without duplicates, in order.
    """
    problems = []
    for item in err.errors():
        loc = [part for part in item["loc"] if not _BRANCH.search(str(part))]
        head, rest = loc[:entry_depth], loc[entry_depth:]
        entry = _entry(head, data)
        path = prefix + _path(rest, brackets)
        names = _item_names(rest, _walk(data, head))
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "Field required (the key is missing)"
        line = f"field '{path}'{names}: {message}" if path else message
        problems.append(f"{entry}: {line}" if entry else line)
    return list(dict.fromkeys(problems))


def _path(loc: Sequence[Any], brackets: bool) -> str:
    if not brackets:
        return ".".join(str(part) for part in loc)
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".")


def _walk(data: Any, loc: Sequence[Any]) -> Any:
    for part in loc:
        if isinstance(part, int):
            if isinstance(data, list):
                data = data[part] if part < len(data) else None
            elif part != 0:  # a single entry given without a list is entry 0
                data = None
        else:
            data = data.get(part) if isinstance(data, Mapping) else None
    return data


def _label(value: Any, key: str) -> str:
    name = value.get(key) if isinstance(value, Mapping) else None
    return f" ({key}={name})" if isinstance(name, str) else ""


def _entry(head: Sequence[Any], data: Any) -> str:
    if not head:
        return ""
    text = _path(head, brackets=True)
    value = _walk(data, head)
    return text + (_label(value, "func_name") or _label(value, "name"))


def _item_names(rest: Sequence[Any], data: Any) -> str:
    """``(name=x)`` for the innermost list item on the path that has a name."""
    found = ""
    for part in rest:
        data = _walk(data, [part])
        if isinstance(part, int):
            found = _label(data, "name") or found
    return found
