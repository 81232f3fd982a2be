"""A dataset's column list and table clauses.

Column list: columns (``name [type] [NOT NULL] [COMMENT 'c'] [MASK fn]``),
``CONSTRAINT name EXPECT (condition) [ON VIOLATION {DROP ROW | FAIL UPDATE}]``
(an expectation), and informational keys (``PRIMARY KEY``, ``FOREIGN KEY``), which are
skipped. Table clauses, in any order: ``USING``, ``PARTITIONED BY``, ``CLUSTER BY``,
``LOCATION``, ``COMMENT``, ``TBLPROPERTIES``, ``WITH ROW FILTER``, ``REFRESH POLICY``,
``DEFAULT COLLATION``.
"""

from __future__ import annotations

from typing import Any

from dltflow.graph.elements import ExpectationAction, ExpectationSpec
from dltflow.sql.cursor import Cursor, is_symbol, is_word
from dltflow.sql.rewrite import check_expression
from dltflow.sql.statements import ColumnSpec

__all__ = ["parse_column_list", "parse_table_clauses"]

_PROPERTIES = ("NOT", "COMMENT", "MASK", "CONSTRAINT", "PRIMARY", "FOREIGN", "REFERENCES",
               "GENERATED", "DEFAULT")
_UNSUPPORTED_COLUMN = {"GENERATED": "generated columns (GENERATED ... AS)",
                       "DEFAULT": "column DEFAULT values"}
_STOPS = frozenset({"AS", "FLOW"})


def _expectation(cursor: Cursor, name: str) -> ExpectationSpec:
    line = cursor.line()
    condition = cursor.parenthesized(f"the condition of expectation {name}")
    check_expression(condition, line, f"the condition of expectation {name}")
    action: ExpectationAction = "allow"
    if cursor.accept("ON", "VIOLATION"):
        if cursor.accept("DROP", "ROW"):
            action = "drop"
        elif cursor.accept("FAIL", "UPDATE"):
            action = "fail"
        else:
            raise cursor.fail(f"ON VIOLATION is DROP ROW or FAIL UPDATE, not {cursor.shown()}")
    return ExpectationSpec(name, condition.strip(), action)


def _skip_item(cursor: Cursor) -> None:
    """Skip to the ``,`` or ``)`` ending the current item (an informational key)."""
    while not cursor.done() and not (cursor.at_symbol(",") or cursor.at_symbol(")")):
        if cursor.at_symbol("("):
            cursor.i = cursor.closing(cursor.i) + 1
        else:
            cursor.i += 1


def _type(cursor: Cursor) -> str | None:
    """A column type as written (``STRUCT<a: INT, b: STRING>`` included), or None."""
    first, angles = cursor.i, 0
    while not cursor.done():
        token = cursor.peek()
        if angles == 0 and (cursor.at_symbol(",") or cursor.at_symbol(")")
                            or is_word(token, *_PROPERTIES)):
            break
        if cursor.at_symbol("("):
            cursor.i = cursor.closing(cursor.i) + 1
            continue
        angles += is_symbol(token, "<") - is_symbol(token, ">")
        cursor.i += 1
    return cursor.span(first, cursor.i) or None


def _column(cursor: Cursor, typed: bool) -> ColumnSpec:
    name = cursor.name("a column name")[0]
    data_type = _type(cursor) if typed else None
    not_null, comment = False, None
    while not (cursor.done() or cursor.at_symbol(",") or cursor.at_symbol(")")):
        word = cursor.peek()
        if is_word(word, *_UNSUPPORTED_COLUMN):
            assert word is not None
            raise cursor.fail(f"column {name}: {_UNSUPPORTED_COLUMN[word.text.upper()]} are "
                              "not supported by dltflow's local engine yet")
        if cursor.accept("NOT", "NULL"):
            not_null = True
        elif cursor.accept("COMMENT"):
            comment = cursor.string(f"the comment of column {name}")
        elif cursor.accept("MASK"):  # Unity Catalog security: nothing to do locally
            cursor.name("the mask function")
            if cursor.accept("USING", "COLUMNS"):
                cursor.parenthesized("the mask's columns")
        elif is_word(word, "CONSTRAINT", "PRIMARY", "FOREIGN", "REFERENCES"):
            _skip_item(cursor)
        else:
            raise cursor.fail(f"unexpected {cursor.shown()} in the definition of column {name}")
    return ColumnSpec(name, data_type, not_null, comment)


def parse_column_list(cursor: Cursor, *, typed: bool
                      ) -> tuple[tuple[ColumnSpec, ...], tuple[ExpectationSpec, ...]]:
    """``( ... )`` after a dataset's name: its columns and expectations."""
    cursor.expect_symbol("(")
    columns: list[ColumnSpec] = []
    expectations: list[ExpectationSpec] = []
    while True:
        if cursor.accept("CONSTRAINT"):
            name = cursor.name("the constraint's name")[0]
            if cursor.accept("EXPECT"):
                expectations.append(_expectation(cursor, name))
            else:
                _skip_item(cursor)  # PRIMARY KEY / FOREIGN KEY: informational only
        elif cursor.at("PRIMARY", "KEY") or cursor.at("FOREIGN", "KEY"):
            _skip_item(cursor)
        else:
            columns.append(_column(cursor, typed))
        if not cursor.accept_symbol(","):
            cursor.expect_symbol(")", after="the column list")
            return tuple(columns), tuple(expectations)


def _properties(cursor: Cursor) -> tuple[tuple[str, str], ...]:
    """``TBLPROPERTIES ('key' = 'value', key.part = true, ...)``."""
    cursor.expect_symbol("(", after="TBLPROPERTIES")
    found: list[tuple[str, str]] = []
    while True:
        token = cursor.peek()
        key = cursor.string("a property") if token is not None and \
            token.token_type.name == "STRING" else cursor.name("a property")[0]
        cursor.accept_symbol("=")
        value = cursor.peek()
        if value is None or cursor.at_symbol(",") or cursor.at_symbol(")"):
            raise cursor.fail(f"property {key} needs a value")
        cursor.i += 1
        found.append((key, value.text))
        if not cursor.accept_symbol(","):
            cursor.expect_symbol(")", after="the table properties")
            return tuple(found)


def _cluster_by(cursor: Cursor, found: dict[str, Any]) -> None:
    if cursor.accept("AUTO"):
        found["cluster_by_auto"] = True
    elif not cursor.accept("NONE"):
        found["cluster_by"] = cursor.names("clustering column")


def _clause(cursor: Cursor, found: dict[str, Any]) -> str:
    """Read one table clause into ``found``; returns its name."""
    if cursor.accept("USING"):
        found["format"] = cursor.word("a table format").lower()
        return "USING"
    if cursor.accept("PARTITIONED", "BY"):
        found["partition_cols"] = cursor.names("partition column")
        return "PARTITIONED BY"
    if cursor.accept("CLUSTER", "BY"):
        _cluster_by(cursor, found)
        return "CLUSTER BY"
    if cursor.accept("LOCATION"):
        found["path"] = cursor.string("the LOCATION")
        return "LOCATION"
    if cursor.accept("COMMENT"):
        found["comment"] = cursor.string("the COMMENT")
        return "COMMENT"
    if cursor.accept("TBLPROPERTIES"):
        found["table_properties"] = _properties(cursor)
        return "TBLPROPERTIES"
    if cursor.accept("WITH", "ROW", "FILTER"):
        first = cursor.i
        cursor.name("the row filter function")
        cursor.expect("ON", after="WITH ROW FILTER function")
        cursor.parenthesized("the row filter's columns")
        found["row_filter"] = "ROW FILTER " + cursor.span(first, cursor.i)
        return "WITH ROW FILTER"
    if cursor.accept("REFRESH", "POLICY"):  # how Databricks refreshes: no local meaning
        cursor.word("a refresh policy")
        cursor.accept("STRICT")
        return "REFRESH POLICY"
    if cursor.accept("DEFAULT", "COLLATION"):
        cursor.word("a collation")
        return "DEFAULT COLLATION"
    if cursor.at("SCHEDULE") or cursor.at("TRIGGER", "ON"):
        raise cursor.fail("SCHEDULE and TRIGGER ON UPDATE belong to Databricks SQL, not to "
                          "pipeline SQL: a pipeline's updates are started by the pipeline")
    raise cursor.fail(f"unexpected {cursor.shown()} (expected a table clause, AS query, or "
                      "the end of the statement)")


def parse_table_clauses(cursor: Cursor) -> dict[str, Any]:
    """The table clauses up to ``AS``, ``FLOW`` or the end, as CreateDataset fields."""
    found: dict[str, Any] = {}
    seen: set[str] = set()
    while not cursor.done() and not is_word(cursor.peek(), *_STOPS):
        at = cursor.peek()
        clause = _clause(cursor, found)
        if clause in seen:
            raise cursor.fail(f"{clause} is given twice", at)
        seen.add(clause)
    return found
