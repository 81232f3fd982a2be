"""A pipeline SQL file as a list of statements, and ``${key}`` substitution in each.

Statements end at a ``;`` outside strings, quoted identifiers and comments, or at a
notebook cell boundary (``-- COMMAND ----------``: a SQL notebook exported as source
needs no ``;`` at the end of a cell). Each statement keeps the line it starts on, so
every later error can name ``file:line``.

``${key}`` is replaced by the pipeline configuration's value before the statement is
parsed, as Databricks injects pipeline parameters into SQL source as text; it works in
names, strings and expressions alike, never inside comments. Spark's own prefixes
(``${spark:key}``, ``${sparkconf:key}``, ``${hiveconf:key}``, ``${hivevar:key}``) read
the same configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = ["RawStatement", "split_statements", "substitute", "unknown_keys"]

_CELL = re.compile(r"--\s*COMMAND\s*-{3,}")
_VARIABLE = re.compile(r"\$\{([^{}]*)\}")
_PREFIXES = ("spark:", "sparkconf:", "hiveconf:", "hivevar:")


@dataclass(frozen=True)
class RawStatement:
    """The text of one statement, comments included, as written in the file.

    Args:
        text: the statement without its terminating ``;``.
        line: the file line of its first character that is not blank or comment.
        text_line: the file line of ``text``'s first character (positions inside the
            statement count from there).
    """

    text: str
    line: int
    text_line: int


def _segments(text: str) -> Iterator[tuple[str, int, int]]:
    """``(kind, start, end)`` spans: ``code`` (strings included), ``comment``, or an
    ``end`` of statement. Nested ``/* */`` comments nest, as in Spark."""
    i, start, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            i = _after_quoted(text, i)
        elif text.startswith("--", i):
            stop = text.find("\n", i)
            stop = n if stop < 0 else stop
            yield "code", start, i
            is_cell = _CELL.match(text, i) is not None
            yield ("end" if is_cell else "comment"), i, stop
            i = start = stop
        elif text.startswith("/*", i):
            yield "code", start, i
            stop = _after_block_comment(text, i)
            yield "comment", i, stop
            i = start = stop
        elif c == ";":
            yield "code", start, i
            yield "end", i, i + 1
            i = start = i + 1
        else:
            i += 1
    yield "code", start, n


def _after_quoted(text: str, i: int) -> int:
    quote, i = text[i], i + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" and quote != "`" else 1
    return i + 1


def _after_block_comment(text: str, i: int) -> int:
    depth, i = 1, i + 2
    while i < len(text) and depth:
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
        else:
            i += 1
    return i


def split_statements(text: str) -> list[RawStatement]:
    """The statements of a file, in order; blank and comment-only ones are skipped."""
    statements: list[RawStatement] = []
    begin, first_code = 0, None
    for kind, start, end in _segments(text):
        if kind == "code" and first_code is None and text[start:end].strip():
            first_code = start + len(text[start:end]) - len(text[start:end].lstrip())
        if kind == "end":
            if first_code is not None:
                statements.append(_statement(text, begin, start, first_code))
            begin, first_code = end, None
    if first_code is not None:
        statements.append(_statement(text, begin, len(text), first_code))
    return statements


def _statement(text: str, begin: int, end: int, first_code: int) -> RawStatement:
    return RawStatement(text[begin:end], text.count("\n", 0, first_code) + 1,
                        text.count("\n", 0, begin) + 1)


def _key(reference: str) -> str:
    reference = reference.strip()
    for prefix in _PREFIXES:
        if reference.startswith(prefix):
            return reference[len(prefix):]
    return reference


def _references(text: str) -> Iterator[re.Match[str]]:
    for kind, start, end in _segments(text):
        if kind == "code":
            yield from _VARIABLE.finditer(text, start, end)


def unknown_keys(text: str, values: Mapping[str, str]) -> list[str]:
    """The ``${key}`` references of ``text`` that ``values`` has no value for."""
    return sorted({_key(m.group(1)) for m in _references(text)
                   if _key(m.group(1)) not in values})


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``${key}`` outside comments replaced by ``values[key]``.

    Raises:
        KeyError: a key has no value (call :func:`unknown_keys` first to report all).
    """
    pieces: list[str] = []
    position = 0
    for match in _references(text):
        pieces += [text[position:match.start()], values[_key(match.group(1))]]
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)
