"""What a dataset or flow name may be: DLT's forms and nothing else.

A name is ``name``, ``schema.name`` or ``catalog.schema.name``. Each part is a plain
identifier (letters, digits, underscores) or a backticked one, which may also hold
other characters except those Unity Catalog forbids in a name: the period, the space,
``/``, and control characters. We also refuse ``\\`` and a doubled backtick inside a
part, because the local engine turns names into folder names and neither has a use
there. So a name can never be a path: no separator, no ``..``, no absolute form, no
NUL; the local engine and deploy can build paths from it without escaping.
"""

from __future__ import annotations

import re

from dltflow.exceptions import InvalidNameError

__all__ = ["MAX_NAME_LENGTH", "NAME_RULE", "validate_name", "validate_name_part"]

MAX_NAME_LENGTH = 255
"""Unity Catalog's limit for one part of a name."""

NAME_RULE = ("use `name`, `schema.name` or `catalog.schema.name`; a part is letters, "
             "digits and _, or backticked (`my-table`) without . / \\ space or control "
             f"characters, at most {MAX_NAME_LENGTH} characters")

_PLAIN = re.compile(r"[^\W]+")  # \w: letters (any script), digits, underscore
_QUOTED = re.compile(r"`([^`./\\ \x00-\x1f\x7f]+)`")


def _parts(name: str) -> list[str] | None:
    """Split ``name`` into its parts (backticks removed), or None when it has no DLT form."""
    parts: list[str] = []
    position = 0
    while True:
        quoted = _QUOTED.match(name, position)
        plain = None if quoted else _PLAIN.match(name, position)
        match = quoted or plain
        if match is None:
            return None
        parts.append(match.group(1) if quoted else match.group(0))
        position = match.end()
        if position == len(name):
            return parts
        if name[position] != ".":
            return None
        position += 1


def _problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"is a {type(name).__name__}, not a string"
    if not name:
        return "is empty"
    parts = _parts(name)
    if parts is None:
        return _why_not(name)
    if len(parts) > 3:
        return f"has {len(parts)} dotted parts (at most catalog.schema.name)"
    longest = max(parts, key=len)
    if len(longest) > MAX_NAME_LENGTH:
        return f"has a part of {len(longest)} characters"
    return None


def _why_not(name: str) -> str:
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains a control character"
    if name.startswith(".") or name.endswith(".") or ".." in name:
        return "has an empty part"
    return "is not a valid name"


def validate_name(name: object, *, role: str = "dataset", location: object = None) -> str:
    """Return ``name`` when it is a DLT dataset/flow name; raise otherwise.

    Args:
        name: the declared name.
        role: what it names (``dataset``, ``flow``, ``append_flow target``, ...), for the
            message.
        location: where it was declared (a ``SourceLocation`` or ``file:line`` text).

    Raises:
        InvalidNameError: the name has a form DLT does not accept.
    """
    problem = _problem(name)
    if problem is not None:
        raise InvalidNameError(name, role=role, problem=problem,
                               location=str(location) if location else None, rule=NAME_RULE)
    assert isinstance(name, str)
    return name


def validate_name_part(name: object, *, role: str = "schema") -> str:
    """Return ``name`` when it is one part of a name (e.g. a schema); raise otherwise.

    Raises:
        InvalidNameError: it is not a single plain or backticked part.
    """
    validate_name(name, role=role)
    assert isinstance(name, str)
    parts = _parts(name)
    if parts is None or len(parts) != 1:
        raise InvalidNameError(name, role=role, problem="must be a single name, without dots",
                               rule=NAME_RULE)
    return name

