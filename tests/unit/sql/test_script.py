"""Splitting a pipeline SQL file into statements, and ``${key}`` substitution."""

from __future__ import annotations

import pytest

from dltflow.sql.script import split_statements, substitute, unknown_keys


def test_statements_end_at_semicolons_outside_strings_and_comments() -> None:
    text = ("-- a comment; not the end\n"
            "CREATE MATERIALIZED VIEW a AS SELECT ';' AS s, \"x;y\" AS t, `c;d` FROM t;\n"
            "/* block ; /* nested ; */ still ; */\n"
            "\n"
            "SET k = v;  \n"
            "   -- only a comment;\n")
    statements = split_statements(text)
    assert [s.line for s in statements] == [2, 5]
    assert statements[0].text.strip().endswith("`c;d` FROM t")
    assert statements[1].text.strip().endswith("*/\n\nSET k = v")  # comments stay in the text


def test_notebook_cells_end_statements_without_semicolons() -> None:
    text = ("-- Databricks notebook source\n"
            "CREATE STREAMING TABLE a\n"
            "-- COMMAND ----------\n"
            "APPLY CHANGES INTO a FROM STREAM(b) KEYS (id) SEQUENCE BY seq\n"
            "\n"
            "-- COMMAND ----------\n"
            "-- MAGIC %md\n"
            "-- MAGIC # Notes\n")
    statements = split_statements(text)
    assert [s.line for s in statements] == [2, 4]
    assert statements[1].text.strip().startswith("APPLY CHANGES")


def test_escaped_quotes_stay_inside_the_string() -> None:
    statements = split_statements("SELECT 'it\\'s; fine', 'a''b;c';SELECT 2")
    assert len(statements) == 2
    assert statements[0].text == "SELECT 'it\\'s; fine', 'a''b;c'"


def test_text_line_counts_from_the_statements_first_character() -> None:
    statements = split_statements("SET a = 1;\n\n-- note\nSET b = 2")
    assert (statements[1].line, statements[1].text_line) == (4, 1)


def test_substitution_in_names_strings_and_expressions_not_comments() -> None:
    text = ("CREATE MATERIALIZED VIEW ${schema}.t -- ${not_here}\n"
            "AS SELECT * FROM read_files('${path}/x') WHERE d > '${start}' /* ${nor_here} */")
    values = {"schema": "dev", "path": "/data", "start": "2024-01-01"}
    assert unknown_keys(text, values) == []
    assert substitute(text, values) == (
        "CREATE MATERIALIZED VIEW dev.t -- ${not_here}\n"
        "AS SELECT * FROM read_files('/data/x') WHERE d > '2024-01-01' /* ${nor_here} */")


def test_spark_prefixes_read_the_same_configuration() -> None:
    values = {"my.key": "v"}
    assert substitute("${spark:my.key} ${hiveconf:my.key} ${hivevar:my.key}", values) == "v v v"


def test_unknown_keys_are_all_named() -> None:
    assert unknown_keys("${b} ${a} ${b} ${known}", {"known": "1"}) == ["a", "b"]
    with pytest.raises(KeyError):
        substitute("${missing}", {})
