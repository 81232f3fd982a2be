"""A dataset's query: checked by sqlglot, and split around the reads dltflow provides.

The query text is never regenerated: sqlglot's Databricks parser checks that it is a
query (a syntax error names its line), and the reads Spark cannot run locally are found
among its tokens and cut out, everything else kept exactly as written:

* ``STREAM(x)``, ``STREAM x``, ``STREAM(LIVE.x)``: a streaming read of ``x``;
* ``read_files(path, format => 'json', ...)``: a batch read of files, or a stream
  after ``STREAM``;
* ``cloud_files(path, 'json' [, map(...)])``: Auto Loader, always a stream.

A read is recognised only where a table goes: after ``FROM``, ``JOIN``, or a comma
of a ``FROM`` clause. ``LIVE.x`` and bare dataset names in batch reads stay in the text:
the local engine resolves them in ``spark.sql`` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dltflow.sql.arguments import file_read
from dltflow.sql.cursor import Cursor, is_symbol, is_word
from dltflow.sql.errors import StatementError
from dltflow.sql.statements import DatasetRead, FileRead, Piece, Query

if TYPE_CHECKING:
    from sqlglot import Token

__all__ = ["check_expression", "prepare_query", "quiet_sqlglot"]

_FILE_FUNCTIONS = ("READ_FILES", "CLOUD_FILES")
_NOT_NAMES = frozenset({"WHERE", "JOIN", "LEFT", "RIGHT", "INNER", "FULL", "CROSS", "NATURAL",
                        "ANTI", "SEMI", "AS", "ON", "GROUP", "ORDER", "LIMIT", "UNION",
                        "WINDOW", "LATERAL", "HAVING", "QUALIFY", "TABLESAMPLE"})
_CLAUSES = frozenset({"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "JOIN",
                      "ON", "USING", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "QUALIFY",
                      "CLUSTER", "DISTRIBUTE", "SORT", "LATERAL", "PIVOT", "UNPIVOT"})


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """sqlglot warns about syntax it only partly understands; Spark, not sqlglot, judges
    the SQL when it runs (the engine's own ``ALTER TABLE ... RECOVER PARTITIONS`` would
    print one)."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _check(text: str, line: int, what: str, expression: bool) -> None:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        with quiet_sqlglot():
            tree = sqlglot.parse_one(f"SELECT {text}" if expression else text,
                                     read="databricks")
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        at = line + int(first.get("line") or 1) - 1
        description = first.get("description") or str(err)
        near = (first.get("highlight") or "").strip()
        near = f" near {near!r}" if near else ""
        raise StatementError(f"{what} does not parse: {description}{near}", at) from None
    except TokenError as err:
        raise StatementError(f"{what} does not parse: {err}", line) from None
    except Exception:  # noqa: BLE001 - a crash inside sqlglot: Spark judges the query later
        return
    if not expression and not isinstance(tree, (exp.Query, exp.Values)):
        raise StatementError(f"{what} does not parse: {text.split()[0]!r} does not start a "
                             "query (SELECT, WITH, FROM, VALUES)", line)


def check_expression(text: str, line: int, what: str) -> None:
    """Fail unless ``text`` is a SQL expression."""
    _check(text, line, what, expression=True)


def prepare_query(cursor: Cursor, what: str) -> Query:
    """The rest of the statement as a :class:`Query` (consumes every token)."""
    if cursor.done():
        raise cursor.fail(f"{what}: AS needs a query")
    first = cursor.i
    line = cursor.line()
    text = cursor.span(first, len(cursor.tokens))
    _check(text, line, what, expression=False)
    pieces: list[Piece] = []
    position = cursor.tokens[first].start
    for start, stop, read in _reads(cursor, first):
        pieces.append(cursor.text[position:cursor.tokens[start].start])
        pieces.append(read)
        position = cursor.tokens[stop - 1].end + 1
    pieces.append(cursor.text[position:cursor.tokens[-1].end + 1])
    cursor.i = len(cursor.tokens)
    return Query(tuple(p for p in pieces if p != ""), line)


def _reads(cursor: Cursor, first: int) -> Iterator[tuple[int, int, DatasetRead | FileRead]]:
    """``(first token, stop token, read)`` for each read in table position."""
    tokens = cursor.tokens
    clauses: list[str | None] = [None]
    j = first
    while j < len(tokens):
        token = tokens[j]
        if _table_position(tokens, j, first, clauses[-1]):
            found = _read_at(cursor, j)
            if found is not None:
                yield j, found[0], found[1]
                j = found[0]
                continue
        if is_symbol(token, "("):
            clauses.append(None)
        elif is_symbol(token, ")") and len(clauses) > 1:
            clauses.pop()
        elif is_word(token) and token.text.upper() in _CLAUSES:
            clauses[-1] = token.text.upper()
        j += 1


def _table_position(tokens: list[Token], j: int, first: int, clause: str | None) -> bool:
    if j == first:
        return False
    previous = tokens[j - 1]
    if is_word(previous, "FROM", "JOIN"):
        return True
    # ``FROM a JOIN b ON a.id = b.id, c``: the comma still continues the FROM list.
    return is_symbol(previous, ",") and clause in ("FROM", "JOIN", "ON", "USING")


def _read_at(cursor: Cursor, j: int) -> tuple[int, DatasetRead | FileRead] | None:
    """The read starting at token ``j`` and the index after it, or None."""
    tokens = cursor.tokens
    nxt = tokens[j + 1] if j + 1 < len(tokens) else None
    if is_word(tokens[j], *_FILE_FUNCTIONS) and is_symbol(nxt, "("):
        end = cursor.closing(j + 1)
        return end + 1, _file_read(cursor, j, end, streaming=False)
    if not is_word(tokens[j], "STREAM") or nxt is None:
        return None
    if is_symbol(nxt, "("):
        end = cursor.closing(j + 1)
        return end + 1, _stream_target(cursor, j + 2, end)
    if (is_word(nxt) and nxt.text.upper() not in _NOT_NAMES) or \
            nxt.token_type.name == "IDENTIFIER":
        after = tokens[j + 2] if j + 2 < len(tokens) else None
        if is_word(nxt, *_FILE_FUNCTIONS) and is_symbol(after, "("):
            end = cursor.closing(j + 2)
            return end + 1, _file_read(cursor, j + 1, end, streaming=True)
        return _stream_name(cursor, j + 1)
    return None


def _stream_target(cursor: Cursor, start: int, end: int) -> DatasetRead | FileRead:
    """What ``STREAM( ... )`` holds: a table name or a file function."""
    tokens = cursor.tokens
    if is_word(tokens[start], *_FILE_FUNCTIONS) and start + 1 < end and \
            is_symbol(tokens[start + 1], "(") and cursor.closing(start + 1) == end - 1:
        return _file_read(cursor, start, end - 1, streaming=True)
    stop, read = _stream_name(cursor, start)
    if stop != end:
        raise cursor.fail("STREAM(...) takes a table name or read_files(...)", tokens[start])
    return read


def _stream_name(cursor: Cursor, start: int) -> tuple[int, DatasetRead]:
    saved = cursor.i
    cursor.i = start
    try:
        name, live = cursor.name("a table name after STREAM")
        return cursor.i, DatasetRead(name, live)
    finally:
        cursor.i = saved


def _file_read(cursor: Cursor, name_at: int, close: int, *, streaming: bool) -> FileRead:
    function = cursor.tokens[name_at].text.lower()
    return file_read(cursor, function, name_at + 2, close,
                     streaming=streaming or function == "cloud_files")
