"""``AUTO CDC INTO`` / ``APPLY CHANGES INTO`` and a table's ``FLOW AUTO CDC`` clause.

Grammar (Databricks' pipeline SQL reference; the optional clauses in any order)::

    FROM source KEYS (keys)
      [WHERE condition] [IGNORE NULL UPDATES]
      [APPLY AS DELETE WHEN condition] [APPLY AS TRUNCATE WHEN condition]
      SEQUENCE BY expression
      [COLUMNS {columns | * EXCEPT (columns)}]
      [STORED AS {SCD TYPE 1 | SCD TYPE 2}]
      [TRACK HISTORY ON {columns | * EXCEPT (columns)}]

``source`` is ``STREAM(x)``, ``STREAM x`` or ``x``, with or without ``LIVE.``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dltflow.sql.cursor import Cursor
from dltflow.sql.rewrite import check_expression
from dltflow.sql.statements import AutoCdc

__all__ = ["parse_changes"]

_STOPS = (("WHERE",), ("IGNORE", "NULL", "UPDATES"), ("APPLY", "AS"), ("SEQUENCE", "BY"),
          ("SYSTEM", "SEQUENCE"), ("COLUMNS",), ("STORED", "AS"), ("TRACK", "HISTORY"),
          ("KEYS",))
_UNSUPPORTED = {
    ("SYSTEM", "SEQUENCE"): "SYSTEM SEQUENCE BY",
    ("COLUMNS", "TO", "UPDATE"): "COLUMNS TO UPDATE",
}


def _source(cursor: Cursor) -> str:
    cursor.expect("FROM", after="the target of AUTO CDC")
    if cursor.accept("STREAM"):
        if cursor.accept_symbol("("):
            name = cursor.name("the source table")[0]
            cursor.expect_symbol(")", after="the source of STREAM(")
            return name
    return cursor.name("the source table")[0]


def _selection(cursor: Cursor, what: str) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """``columns`` or ``* EXCEPT (columns)``: (chosen, excepted)."""
    if cursor.accept_symbol("*"):
        cursor.expect("EXCEPT", after=f"{what} *")
        return None, cursor.names("column")
    return cursor.names("column"), None


def _condition(cursor: Cursor, what: str) -> str:
    line = cursor.line()
    text = cursor.text_until(_STOPS, what)
    check_expression(text, line, what)
    return text


def _scd_type(cursor: Cursor) -> int:
    cursor.expect("SCD", "TYPE", after="STORED AS")
    token = cursor.peek()
    if token is None or token.text not in ("1", "2"):
        raise cursor.fail(f"STORED AS SCD TYPE is 1 or 2, not {cursor.shown()}")
    cursor.i += 1
    return int(token.text)


def _clause(cursor: Cursor, found: dict[str, Any]) -> str:
    """Read one optional clause into ``found``; returns its name."""
    for words, shown in _UNSUPPORTED.items():
        if cursor.at(*words):
            raise cursor.fail(f"{shown} is not supported by dltflow's local engine yet")
    if cursor.accept("WHERE"):
        found["where"] = _condition(cursor, "the WHERE condition")
        return "WHERE"
    if cursor.accept("IGNORE", "NULL", "UPDATES"):
        if cursor.at("ON"):
            raise cursor.fail("IGNORE NULL UPDATES ON (columns) is not supported by "
                              "dltflow's local engine yet; IGNORE NULL UPDATES is")
        found["ignore_null_updates"] = True
        return "IGNORE NULL UPDATES"
    if cursor.accept("APPLY", "AS"):
        if cursor.accept("DELETE", "WHEN"):
            found["apply_as_deletes"] = _condition(cursor, "APPLY AS DELETE WHEN")
            return "APPLY AS DELETE WHEN"
        cursor.expect("TRUNCATE", "WHEN", after="APPLY AS (DELETE WHEN or)")
        found["apply_as_truncates"] = _condition(cursor, "APPLY AS TRUNCATE WHEN")
        return "APPLY AS TRUNCATE WHEN"
    if cursor.accept("SEQUENCE", "BY"):
        found["sequence_by"] = _condition(cursor, "SEQUENCE BY")
        return "SEQUENCE BY"
    if cursor.accept("COLUMNS"):
        found["column_list"], found["except_column_list"] = _selection(cursor, "COLUMNS")
        return "COLUMNS"
    if cursor.accept("STORED", "AS"):
        found["stored_as_scd_type"] = _scd_type(cursor)
        return "STORED AS"
    if cursor.accept("TRACK", "HISTORY", "ON"):
        chosen, excepted = _selection(cursor, "TRACK HISTORY ON")
        found["track_history_column_list"] = chosen
        found["track_history_except_column_list"] = excepted
        return "TRACK HISTORY ON"
    raise cursor.fail(f"unexpected {cursor.shown()} in AUTO CDC (expected KEYS, WHERE, "
                      "IGNORE NULL UPDATES, APPLY AS, SEQUENCE BY, COLUMNS, STORED AS or "
                      "TRACK HISTORY ON)")


def parse_changes(cursor: Cursor, *, target: str, line: int, name: str | None = None,
                  once: bool = False) -> AutoCdc:
    """The CDC specification after ``INTO target`` (or after a table's ``FLOW AUTO CDC``).

    Raises:
        StatementError: the specification does not parse.
    """
    source = _source(cursor)
    cursor.expect("KEYS", after="the source")
    keys = cursor.names("key column")
    found: dict[str, Any] = {}
    seen: set[str] = set()
    while not cursor.done():
        at = cursor.peek()
        clause = _clause(cursor, found)
        if clause in seen:
            raise cursor.fail(f"{clause} is given twice", at)
        seen.add(clause)
    if "sequence_by" not in found:
        raise cursor.fail("AUTO CDC needs SEQUENCE BY (the column ordering the changes)")
    changes = AutoCdc(target=target, source=source, keys=keys, line=line, name=name,
                      once=once, sequence_by=found.pop("sequence_by"))
    changes = replace(changes, **found)
    if changes.stored_as_scd_type == 1 and "track_history_column_list" in found:
        raise cursor.fail("TRACK HISTORY ON needs STORED AS SCD TYPE 2")
    return changes
