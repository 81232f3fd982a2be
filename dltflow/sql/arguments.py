"""The arguments of ``read_files(...)`` and ``cloud_files(...)``, read as literals.

``read_files(path, format => 'json', header => true, ...)`` takes its options by name;
``cloud_files(path, format [, map('key', 'value', ...)])`` positionally. Locally the
options become reader options when the query runs, so each must be a constant:
a string, number, boolean or NULL (Databricks also accepts scalar functions there;
dltflow asks for the literal value instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dltflow.sql.cursor import Cursor, is_symbol, is_word
from dltflow.sql.statements import FileRead

if TYPE_CHECKING:
    from sqlglot import Token

__all__ = ["file_read"]

_LITERALS = ("STRING", "RAW_STRING", "NUMBER", "TRUE", "FALSE", "NULL")


def _arguments(cursor: Cursor, first: int, close: int) -> list[list[Token]]:
    """The tokens of each argument, split at the commas outside parentheses."""
    arguments: list[list[Token]] = [[]]
    depth = 0
    for token in cursor.tokens[first:close]:
        if depth == 0 and is_symbol(token, ","):
            arguments.append([])
            continue
        depth += is_symbol(token, "(") - is_symbol(token, ")")
        arguments[-1].append(token)
    return [a for a in arguments if a] if any(arguments) else []


def _literal(cursor: Cursor, tokens: list[Token], what: str) -> str:
    if len(tokens) == 2 and is_symbol(tokens[0], "-") and tokens[1].token_type.name == "NUMBER":
        return "-" + tokens[1].text
    if len(tokens) == 1 and tokens[0].token_type.name in _LITERALS:
        name = tokens[0].token_type.name
        return tokens[0].text.lower() if name in ("TRUE", "FALSE", "NULL") else tokens[0].text
    written = cursor.text[tokens[0].start:tokens[-1].end + 1]
    raise cursor.fail(f"{what} must be a literal (a string, number or boolean), "
                      f"not {written!r}", tokens[0])


def _option_map(cursor: Cursor, tokens: list[Token]) -> list[tuple[str, str]]:
    """``map('k1', 'v1', 'k2', 'v2', ...)``, cloud_files' third argument."""
    if not (is_word(tokens[0], "MAP") and len(tokens) >= 3 and is_symbol(tokens[1], "(")
            and is_symbol(tokens[-1], ")")):
        raise cursor.fail("the third argument of cloud_files() is map('option', 'value', ...)",
                          tokens[0])
    start = next(i for i, t in enumerate(cursor.tokens) if t is tokens[1]) + 1
    values = [_literal(cursor, a, "a cloud_files() option")
              for a in _arguments(cursor, start, start + len(tokens) - 3)]
    if len(values) % 2:
        raise cursor.fail("map() of cloud_files() needs option/value pairs", tokens[0])
    return list(zip(values[::2], values[1::2], strict=True))


def _read_files(cursor: Cursor, arguments: list[list[Token]], call: Token,
                streaming: bool) -> FileRead:
    path: str | None = None
    options: list[tuple[str, str]] = []
    for argument in arguments:
        if len(argument) >= 3 and argument[1].token_type.name == "FARROW":
            key = argument[0].text
            options.append((key, _literal(cursor, argument[2:], f"option {key}")))
        elif path is None and not options:
            path = _literal(cursor, argument, "the path of read_files()")
        else:
            raise cursor.fail("read_files() takes the path, then options by name "
                              "(format => 'json')", argument[0])
    if path is None:
        raise cursor.fail("read_files() needs a path", call)
    fmt = next((v for k, v in options if k.lower() == "format"), None)
    rest = tuple((k, v) for k, v in options if k.lower() != "format")
    return FileRead("read_files", path, fmt, rest, streaming)


def _cloud_files(cursor: Cursor, arguments: list[list[Token]], call: Token) -> FileRead:
    if len(arguments) not in (2, 3):
        raise cursor.fail("cloud_files() takes (path, format [, map(...)])", call)
    path = _literal(cursor, arguments[0], "the path of cloud_files()")
    fmt = _literal(cursor, arguments[1], "the format of cloud_files()")
    options = _option_map(cursor, arguments[2]) if len(arguments) == 3 else []
    return FileRead("cloud_files", path, fmt, tuple(options), streaming=True)


def file_read(cursor: Cursor, function: str, first: int, close: int, *,
              streaming: bool) -> FileRead:
    """The read of ``function(...)`` whose arguments are tokens ``first`` to ``close``."""
    call = cursor.tokens[first - 2]
    arguments = _arguments(cursor, first, close)
    if function == "cloud_files":
        return _cloud_files(cursor, arguments, call)
    return _read_files(cursor, arguments, call, streaming)
