"""Every pipeline SQL statement form and clause, parsed without Spark."""

from __future__ import annotations

import pytest

from dltflow.graph.elements import ExpectationSpec
from dltflow.sql import SqlParseError, parse_text
from dltflow.sql.statements import (
    AutoCdc,
    ColumnSpec,
    CreateDataset,
    CreateFlow,
    DatasetRead,
    FileRead,
    SetConf,
    Statement,
)


def one(text: str, **configuration: str) -> Statement:
    statements = parse_text(text, "p.sql", configuration)
    assert len(statements) == 1
    return statements[0]


def dataset(text: str, **configuration: str) -> CreateDataset:
    statement = one(text, **configuration)
    assert isinstance(statement, CreateDataset)
    return statement


def error(text: str, **configuration: str) -> SqlParseError:
    with pytest.raises(SqlParseError) as caught:
        parse_text(text, "p.sql", configuration)
    return caught.value


@pytest.mark.parametrize(("head", "kind", "private"), [
    ("CREATE OR REFRESH STREAMING TABLE", "streaming_table", False),
    ("CREATE STREAMING TABLE", "streaming_table", False),
    ("CREATE OR REFRESH PRIVATE STREAMING TABLE", "streaming_table", True),
    ("CREATE OR REFRESH TEMPORARY STREAMING TABLE", "streaming_table", True),
    ("CREATE OR REFRESH MATERIALIZED VIEW", "materialized_view", False),
    ("CREATE OR REFRESH PRIVATE MATERIALIZED VIEW", "materialized_view", True),
    ("CREATE MATERIALIZED VIEW", "materialized_view", False),
    ("CREATE LIVE TABLE", "materialized_view", False),
    ("CREATE OR REFRESH LIVE TABLE", "materialized_view", False),
    ("CREATE TEMPORARY LIVE TABLE", "materialized_view", True),
    ("CREATE STREAMING LIVE TABLE", "streaming_table", False),
    ("create or refresh streaming live table", "streaming_table", False),
    ("CREATE OR REPLACE STREAMING LIVE TABLE", "streaming_table", False),
    ("CREATE INCREMENTAL LIVE TABLE", "streaming_table", False),
    ("CREATE TEMPORARY STREAMING LIVE TABLE", "streaming_table", True),
    ("CREATE TEMPORARY VIEW", "view", False),
    ("CREATE OR REPLACE TEMPORARY VIEW", "view", False),
    ("CREATE TEMPORARY LIVE VIEW", "view", False),
    ("CREATE LIVE VIEW", "view", False),
    ("CREATE VIEW", "view", False),
])
def test_dataset_heads(head: str, kind: str, private: bool) -> None:
    statement = dataset(f"{head} d AS SELECT * FROM src")
    assert (statement.kind, statement.name, statement.private) == (kind, "d", private)
    assert statement.query is not None and statement.query.pieces == ("SELECT * FROM src",)


def test_streaming_table_without_query_is_a_flow_target() -> None:
    statement = dataset("CREATE OR REFRESH STREAMING TABLE users;")
    assert statement.query is None and statement.flow is None


def test_column_list_with_types_comments_and_expectations() -> None:
    statement = dataset("""
        CREATE OR REFRESH STREAMING TABLE t (
          id BIGINT NOT NULL COMMENT 'the key' MASK mask_id,
          amount DECIMAL(10, 2),
          tags ARRAY<STRUCT<a: INT, b: MAP<STRING, INT>>>,
          `odd name` STRING,
          CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION FAIL UPDATE,
          CONSTRAINT positive EXPECT (amount > 0 AND amount < 1e6) ON VIOLATION DROP ROW,
          CONSTRAINT tagged EXPECT (size(tags) > 0),
          CONSTRAINT pk PRIMARY KEY (id) RELY
        ) AS SELECT * FROM STREAM(src)""")
    assert statement.columns == (
        ColumnSpec("id", "BIGINT", True, "the key"), ColumnSpec("amount", "DECIMAL(10, 2)"),
        ColumnSpec("tags", "ARRAY<STRUCT<a: INT, b: MAP<STRING, INT>>>"),
        ColumnSpec("`odd name`", "STRING"))
    assert statement.expectations == (
        ExpectationSpec("valid_id", "id IS NOT NULL", "fail"),
        ExpectationSpec("positive", "amount > 0 AND amount < 1e6", "drop"),
        ExpectationSpec("tagged", "size(tags) > 0", "allow"))


def test_constraints_alone_form_the_column_list() -> None:
    statement = dataset("CREATE OR REFRESH MATERIALIZED VIEW m "
                        "(CONSTRAINT ok EXPECT (x > 0)) AS SELECT 1 AS x")
    assert statement.columns == ()
    assert statement.expectations == (ExpectationSpec("ok", "x > 0", "allow"),)


def test_view_column_list_names_and_comments() -> None:
    statement = dataset("CREATE TEMPORARY VIEW v (day COMMENT 'sales day', total) "
                        "COMMENT 'daily' AS SELECT d, sum(x) FROM s GROUP BY d")
    assert statement.columns == (ColumnSpec("day", None, False, "sales day"),
                                 ColumnSpec("total"))
    assert statement.comment == "daily"


def test_table_clauses() -> None:
    statement = dataset("""
        CREATE OR REFRESH MATERIALIZED VIEW m
        USING DELTA
        PARTITIONED BY (country, `day`)
        CLUSTER BY (id)
        LOCATION '/tmp/m'
        COMMENT "clean orders"
        TBLPROPERTIES ('quality' = 'silver', delta.enableChangeDataFeed = true, "n" 1)
        WITH ROW FILTER my_filter ON (country)
        REFRESH POLICY INCREMENTAL STRICT
        AS SELECT * FROM o""")
    assert (statement.format, statement.partition_cols, statement.cluster_by) == \
        ("delta", ("country", "day"), ("id",))
    assert (statement.path, statement.comment) == ("/tmp/m", "clean orders")
    assert statement.table_properties == (("quality", "silver"),
                                          ("delta.enableChangeDataFeed", "true"), ("n", "1"))
    assert statement.row_filter == "ROW FILTER my_filter ON (country)"


def test_cluster_by_auto_and_comment_on_a_flow_target() -> None:
    statement = dataset("CREATE STREAMING TABLE t CLUSTER BY AUTO COMMENT 'target'")
    assert statement.cluster_by_auto and statement.comment == "target"


def test_create_flow_insert_into() -> None:
    flow = one("CREATE FLOW backfill COMMENT 'old rows' AS INSERT INTO ONCE users BY NAME "
               "SELECT * FROM old_users")
    assert flow == CreateFlow("backfill", "users", flow.query, 1, once=True,  # type: ignore[union-attr]
                              comment="old rows")
    streaming = one("CREATE FLOW f AS INSERT INTO users BY NAME SELECT * FROM stream(raw.users)")
    assert isinstance(streaming, CreateFlow) and not streaming.once
    assert streaming.query.reads == (DatasetRead("raw.users"),)


@pytest.mark.parametrize("text", [
    "CREATE FLOW f AS INSERT ONCE INTO users BY NAME SELECT 1",
    "CREATE FLOW f AS INSERT INTO ONCE users SELECT 1",
])
def test_once_in_either_place_and_by_name_optional(text: str) -> None:
    flow = one(text)
    assert isinstance(flow, CreateFlow) and flow.once and flow.target == "users"


def test_auto_cdc_into_every_clause() -> None:
    changes = one("""
        CREATE FLOW users_cdc AS AUTO CDC INTO LIVE.users
        FROM STREAM(LIVE.user_changes)
        KEYS (userId, region)
        IGNORE NULL UPDATES
        APPLY AS DELETE WHEN operation = "DELETE"
        APPLY AS TRUNCATE WHEN operation = 'TRUNCATE'
        SEQUENCE BY sequenceNum
        COLUMNS * EXCEPT (operation, sequenceNum)
        STORED AS SCD TYPE 2
        TRACK HISTORY ON * EXCEPT (city)""")
    assert changes == AutoCdc(
        target="users", source="user_changes", keys=("userId", "region"),
        sequence_by="sequenceNum", line=2, name="users_cdc", ignore_null_updates=True,
        apply_as_deletes='operation = "DELETE"', apply_as_truncates="operation = 'TRUNCATE'",
        except_column_list=("operation", "sequenceNum"), stored_as_scd_type=2,
        track_history_except_column_list=("city",))


def test_apply_changes_into_legacy_form() -> None:
    changes = one("APPLY CHANGES INTO live.target FROM stream(cdc.users) KEYS (id) "
                  "WHERE id > 0 SEQUENCE BY struct(ts, seq) COLUMNS (id, name) "
                  "STORED AS SCD TYPE 1")
    assert isinstance(changes, AutoCdc)
    assert (changes.name, changes.target, changes.source) == (None, "target", "cdc.users")
    assert (changes.where, changes.sequence_by, changes.column_list) == \
        ("id > 0", "struct(ts, seq)", ("id", "name"))


@pytest.mark.parametrize(("source", "expected"), [
    ("STREAM(x)", "x"), ("STREAM x", "x"), ("x", "x"), ("STREAM(LIVE.x)", "x"),
    ("LIVE.x", "x"), ("stream(cat.db.x)", "cat.db.x"),
])
def test_cdc_source_forms(source: str, expected: str) -> None:
    changes = one(f"AUTO CDC INTO t FROM {source} KEYS (id) SEQUENCE BY seq")
    assert isinstance(changes, AutoCdc) and changes.source == expected


def test_track_history_on_listed_columns_and_auto_cdc_once() -> None:
    changes = one("CREATE FLOW f AS AUTO CDC ONCE INTO t FROM s KEYS (id) SEQUENCE BY seq "
                  "STORED AS SCD TYPE 2 TRACK HISTORY ON (name, city)")
    assert isinstance(changes, AutoCdc) and changes.once
    assert changes.track_history_column_list == ("name", "city")


def test_inline_flow_clauses_of_a_streaming_table() -> None:
    insert = dataset("CREATE STREAMING TABLE t FLOW INSERT ONCE BY NAME SELECT * FROM s")
    assert insert.query is None and isinstance(insert.flow, CreateFlow)
    assert (insert.flow.name, insert.flow.target, insert.flow.once) == ("t", "t", True)
    cdc = dataset("CREATE OR REFRESH STREAMING TABLE t (CONSTRAINT c EXPECT (id > 0)) "
                  "FLOW AUTO CDC FROM STREAM(s) KEYS (id) SEQUENCE BY seq STORED AS SCD TYPE 2")
    assert isinstance(cdc.flow, AutoCdc)
    assert (cdc.flow.name, cdc.flow.target, cdc.flow.stored_as_scd_type) == ("t", "t", 2)
    assert cdc.expectations == (ExpectationSpec("c", "id > 0"),)


def test_set_and_substitution_from_configuration_and_earlier_sets() -> None:
    statements = parse_text("SET my.start = '2024-01-01';\n"
                            "SET `spark.sql.shuffle.partitions`=4;\n"
                            "CREATE MATERIALIZED VIEW ${schema}.m AS SELECT * FROM src "
                            "WHERE d >= ${my.start}", "p.sql", {"schema": "dev"})
    assert statements[:2] == [SetConf("my.start", "'2024-01-01'", 1),
                              SetConf("spark.sql.shuffle.partitions", "4", 2)]
    view = statements[2]
    assert isinstance(view, CreateDataset) and view.name == "dev.m"
    assert view.query is not None
    assert view.query.pieces == ("SELECT * FROM src WHERE d >= '2024-01-01'",)


def test_read_files_and_cloud_files_in_queries() -> None:
    statement = dataset(
        "CREATE STREAMING LIVE TABLE raw AS SELECT * FROM cloud_files('${landing}/x', "
        "'csv', map('header', 'true', 'cloudFiles.inferColumnTypes', 'true'))",
        landing="/data")
    assert statement.query is not None
    assert statement.query.reads == (FileRead(
        "cloud_files", "/data/x", "csv",
        (("header", "true"), ("cloudFiles.inferColumnTypes", "true")), streaming=True),)


def test_lines_of_statements_and_queries() -> None:
    statements = parse_text("\n\nCREATE MATERIALIZED VIEW a\nAS\n  SELECT 1;\n"
                            "CREATE FLOW f AS INSERT INTO t BY NAME\nSELECT 2", "p.sql")
    a, f = statements
    assert isinstance(a, CreateDataset) and isinstance(f, CreateFlow)
    assert (a.line, a.query.line if a.query else None) == (3, 5)
    assert (f.line, f.query.line) == (6, 7)


@pytest.mark.parametrize(("text", "line", "message"), [
    ("CREATE MATERIALIZED VIEW m AS SELEC 1 FROM", 1, "dataset m does not parse"),
    ("\nCREATE MATERIALIZED VIEW m AS\nSELECT * FROM t WHERE (a", 3, "does not parse"),
    ("CREATE MATERIALIZED VIEW m", 1, "m needs AS query"),
    ("CREATE TABLE t AS SELECT 1", 1, "CREATE TABLE is not a pipeline statement"),
    ("CREATE STREAMING TABLE t (CONSTRAINT c EXPECT (x >)) AS SELECT 1", 1,
     "the condition of expectation c does not parse"),
    ("CREATE STREAMING TABLE t (CONSTRAINT c EXPECT (x > 0) ON VIOLATION SKIP) AS SELECT 1",
     1, "ON VIOLATION is DROP ROW or FAIL UPDATE"),
    ("CREATE MATERIALIZED VIEW m COMMENT 'a' COMMENT 'b' AS SELECT 1", 1, "COMMENT is given twice"),
    ("CREATE MATERIALIZED VIEW m PARTITIONED (a) AS SELECT 1", 1, "unexpected 'PARTITIONED'"),
    ("AUTO CDC INTO t FROM s KEYS (id)", 1, "AUTO CDC needs SEQUENCE BY"),
    ("AUTO CDC INTO t FROM s KEYS (id) SEQUENCE BY seq STORED AS SCD TYPE 3", 1,
     "SCD TYPE is 1 or 2"),
    ("AUTO CDC INTO t FROM s KEYS (id) SEQUENCE BY seq TRACK HISTORY ON (a)", 1,
     "TRACK HISTORY ON needs STORED AS SCD TYPE 2"),
    ("AUTO CDC INTO t FROM s KEYS (id) SEQUENCE BY seq IGNORE NULL UPDATES ON (a)", 1,
     "IGNORE NULL UPDATES ON (columns) is not supported"),
    ("CREATE FLOW f AS MERGE INTO t", 1, "expected INSERT"),
    ("CREATE MATERIALIZED VIEW m AS SELECT * FROM read_files('/p', format => concat('j'))",
     1, "option format must be a literal"),
    ("CREATE STREAMING TABLE t AS SELECT * FROM STREAM(SELECT 1)", 1,
     "STREAM(...) takes a table name or read_files(...)"),
    ("CREATE STREAMING TABLE t (id INT GENERATED ALWAYS AS (1)) AS SELECT 1", 1,
     "generated columns"),
    ("USE SCHEMA dev", 1, "USE CATALOG / USE SCHEMA is not supported"),
    ("SELECT 1", 1, "does not start a pipeline statement"),
    ("SET nothing", 1, "SET needs key = value"),
    ("CREATE MATERIALIZED VIEW m AS SELECT 'open", 1, "cannot read the statement"),
])
def test_errors_name_the_line_and_the_problem(text: str, line: int, message: str) -> None:
    err = error(text)
    assert err.source == "p.sql"
    assert len(err.errors) == 1 and err.errors[0].line == line
    assert message in err.errors[0].message


def test_every_bad_statement_is_reported_with_its_own_line() -> None:
    err = error("CREATE MATERIALIZED VIEW ok AS SELECT 1;\n"
                "CREATE MATERIALIZED VIEW bad AS SELEC;\n"
                "CREATE STREAMING TABLE t;\n"
                "\n"
                "CREATE MATERIALIZED VIEW m AS\n"
                "  SELECT * FROM ${undefined_key}")
    assert [(e.statement_line, e.line) for e in err.errors] == [(2, 2), (5, 5)]
    assert err.line == 2
    assert "${undefined_key} has no value" in err.errors[1].message
    assert "line 2: dataset bad does not parse" in str(err)


def test_error_inside_a_long_statement_points_at_its_line() -> None:
    err = error("CREATE OR REFRESH STREAMING TABLE t (\n"
                "  id INT,\n"
                "  CONSTRAINT c EXPECT id > 0\n"
                ") AS SELECT 1")
    assert (err.errors[0].statement_line, err.errors[0].line) == (1, 3)
    assert "line 3 (in the statement at line 1)" in str(err)
