"""Parse a pipeline SQL file into :mod:`~dltflow.sql.statements` records.

A small grammar for the pipeline DDL, over sqlglot's Databricks tokens, wraps the
queries; each query (and each expectation or CDC condition) is checked by sqlglot's
Databricks parser. Nothing needs Spark, so the same file parses identically for the JVM
engine, Sail, ``dltflow graph`` and a test.

Statement forms::

    CREATE [OR REFRESH | OR REPLACE] [PRIVATE | TEMPORARY]
           {STREAMING TABLE | MATERIALIZED VIEW | [STREAMING | INCREMENTAL] LIVE TABLE}
           name [(columns, CONSTRAINT ... EXPECT ...)] [table clauses]
           [AS query | FLOW INSERT [ONCE] BY NAME query | FLOW AUTO CDC ...]
    CREATE [OR REPLACE] [TEMPORARY] [LIVE] VIEW name [(columns)] [COMMENT c] AS query
    CREATE FLOW name [COMMENT c] AS {INSERT [ONCE] INTO [ONCE] target [BY NAME] query
                                     | AUTO CDC [ONCE] INTO target ... | APPLY CHANGES INTO ...}
    {AUTO CDC [ONCE] | APPLY CHANGES} INTO target FROM source KEYS (...) ...
    SET key = value
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from dltflow.graph.elements import ExpectationSpec
from dltflow.sql.changes import parse_changes
from dltflow.sql.cursor import Cursor, tokenize
from dltflow.sql.errors import SqlParseError, SqlProblem, StatementError
from dltflow.sql.rewrite import prepare_query
from dltflow.sql.script import RawStatement, split_statements, substitute, unknown_keys
from dltflow.sql.statements import (
    AutoCdc,
    ColumnSpec,
    CreateDataset,
    CreateFlow,
    DatasetKind,
    SetConf,
    Statement,
)
from dltflow.sql.tabledef import parse_column_list, parse_table_clauses

__all__ = ["parse_statement", "parse_text"]

_MODIFIERS = ("PRIVATE", "TEMPORARY", "STREAMING", "INCREMENTAL", "LIVE", "MATERIALIZED")


def _set(raw: RawStatement, cursor: Cursor) -> SetConf:
    if cursor.done():
        raise cursor.fail("SET needs key = value")
    rest = cursor.span(cursor.i, len(cursor.tokens))
    key, equals, value = rest.partition("=")
    key = key.strip().strip("`").strip()
    if not equals or not key:
        raise cursor.fail("SET needs key = value (a Spark setting for the datasets after it)")
    return SetConf(key, value.strip(), raw.line)


def _changes_into(cursor: Cursor, line: int, name: str | None) -> AutoCdc:
    """``AUTO CDC [ONCE] INTO t ...`` or ``APPLY CHANGES INTO t ...``."""
    once = False
    if cursor.accept("AUTO", "CDC"):
        once = cursor.accept("ONCE")
    else:
        cursor.expect("APPLY", "CHANGES")
    cursor.expect("INTO", after="AUTO CDC")
    target = cursor.name("the target table")[0]
    return parse_changes(cursor, target=target, line=line, name=name, once=once)


def _create_flow(cursor: Cursor, line: int) -> CreateFlow | AutoCdc:
    name = cursor.name("the flow's name")[0]
    comment = cursor.string("the flow's COMMENT") if cursor.accept("COMMENT") else None
    cursor.expect("AS", after=f"CREATE FLOW {name}")
    if cursor.at("AUTO", "CDC") or cursor.at("APPLY", "CHANGES"):
        return _changes_into(cursor, line, name)
    cursor.expect("INSERT", after=f"CREATE FLOW {name} AS (AUTO CDC INTO or)")
    once = cursor.accept("ONCE")
    cursor.expect("INTO", after="INSERT")
    once = cursor.accept("ONCE") or once
    target = cursor.name("the target table")[0]
    cursor.accept("BY", "NAME")
    return CreateFlow(name, target, prepare_query(cursor, f"flow {name}"), line, once, comment)


def _inline_flow(cursor: Cursor, name: str, line: int) -> CreateFlow | AutoCdc:
    """A streaming table's ``FLOW INSERT ...`` or ``FLOW AUTO CDC ...`` clause."""
    if cursor.accept("AUTO", "CDC"):
        once = cursor.accept("ONCE")
        return parse_changes(cursor, target=name, line=line, name=name, once=once)
    if cursor.at("REPLACE"):
        raise cursor.fail("FLOW REPLACE ... is not supported by dltflow's local engine yet")
    cursor.expect("INSERT", after="FLOW")
    once = cursor.accept("ONCE")
    cursor.expect("BY", "NAME", after="FLOW INSERT")
    return CreateFlow(name, name, prepare_query(cursor, f"the flow of {name}"), line, once)


def _kind(cursor: Cursor, modifiers: set[str]) -> DatasetKind:
    if cursor.accept("VIEW"):
        if "MATERIALIZED" in modifiers:
            return "materialized_view"
        if modifiers & {"STREAMING", "INCREMENTAL", "PRIVATE"}:
            raise cursor.fail("a view is TEMPORARY or LIVE; STREAMING and PRIVATE are for "
                              "tables")
        return "view"
    cursor.expect("TABLE", after="CREATE")
    if modifiers & {"STREAMING", "INCREMENTAL"}:
        return "streaming_table"
    if "LIVE" in modifiers:
        return "materialized_view"  # the legacy CREATE LIVE TABLE
    raise cursor.fail("CREATE TABLE is not a pipeline statement: use CREATE MATERIALIZED "
                      "VIEW or CREATE STREAMING TABLE")


def _create(cursor: Cursor, line: int) -> Statement:
    cursor.expect("CREATE")
    _ = cursor.accept("OR", "REFRESH") or cursor.accept("OR", "REPLACE")
    if cursor.accept("FLOW"):
        return _create_flow(cursor, line)
    modifiers: set[str] = set()
    while any(cursor.at(m) for m in _MODIFIERS):
        modifiers.add(cursor.word("a modifier").upper())
    kind = _kind(cursor, modifiers)
    cursor.accept("IF", "NOT", "EXISTS")
    name = cursor.name("the dataset's name")[0]
    columns: tuple[ColumnSpec, ...] = ()
    expectations: tuple[ExpectationSpec, ...] = ()
    if cursor.at_symbol("("):
        columns, expectations = parse_column_list(cursor, typed=kind != "view")
    fields = parse_table_clauses(cursor)
    private = bool(modifiers & {"PRIVATE", "TEMPORARY"}) and kind != "view"
    dataset = CreateDataset(kind, name, line, columns=columns, expectations=expectations,
                            private=private, **fields)
    if cursor.accept("FLOW"):
        if kind != "streaming_table":
            raise cursor.fail("only a streaming table has a FLOW clause")
        return replace(dataset, flow=_inline_flow(cursor, name, line))
    if cursor.accept("AS"):
        return replace(dataset, query=prepare_query(cursor, f"dataset {name}"))
    cursor.end(f"the definition of {name}")
    if kind != "streaming_table":
        raise cursor.fail(f"{name} needs AS query (only a streaming table can be declared "
                          "without one, as the target of flows)")
    return dataset


def parse_statement(raw: RawStatement, text: str) -> Statement:
    """One statement (``text``: ``raw.text`` after ``${key}`` substitution).

    Raises:
        StatementError: it does not parse.
    """
    cursor = Cursor(tokenize(text, raw.line), text, raw.text_line)
    if cursor.at("CREATE"):
        return _create(cursor, raw.line)
    if cursor.at("AUTO", "CDC") or cursor.at("APPLY", "CHANGES"):
        return _changes_into(cursor, raw.line, None)
    if cursor.accept("SET"):
        return _set(raw, cursor)
    if cursor.at("USE"):
        raise cursor.fail("USE CATALOG / USE SCHEMA is not supported by dltflow yet: "
                          "qualify the names, or set the pipeline's schema")
    raise cursor.fail(f"{cursor.shown()} does not start a pipeline statement (CREATE, "
                      "AUTO CDC INTO, APPLY CHANGES INTO or SET)")


def parse_text(text: str, filename: str, configuration: Mapping[str, str] | None = None
               ) -> list[Statement]:
    """Every statement of a pipeline SQL file, or one error naming each that fails.

    ``${key}`` reads ``configuration``, and the values of ``SET`` statements above it.

    Raises:
        SqlParseError: a statement does not parse or names an unknown ``${key}``;
            nothing is returned then (all or nothing).
    """
    values = {str(k): str(v) for k, v in (configuration or {}).items()}
    statements: list[Statement] = []
    problems: list[SqlProblem] = []
    for raw in split_statements(text):
        missing = unknown_keys(raw.text, values)
        if missing:
            names = ", ".join("${" + key + "}" for key in missing)
            problems.append(SqlProblem(raw.line, raw.line,
                                       f"{names} has no value in the pipeline configuration "
                                       "(give it with --configuration KEY=VALUE)"))
            continue
        try:
            statement = parse_statement(raw, substitute(raw.text, values))
        except StatementError as err:
            problems.append(SqlProblem(raw.line, err.line or raw.line, err.message))
            continue
        if isinstance(statement, SetConf):
            values[statement.key] = statement.value
        statements.append(statement)
    if problems:
        raise SqlParseError(filename, problems)
    return statements
