"""Queries split around the reads dltflow provides; everything else kept as written."""

from __future__ import annotations

import pytest

from dltflow.sql import SqlParseError, parse_text
from dltflow.sql.statements import CreateDataset, DatasetRead, FileRead, Query


def query_of(sql: str) -> Query:
    statement = parse_text(f"CREATE STREAMING TABLE t AS {sql}", "q.sql")[0]
    assert isinstance(statement, CreateDataset) and statement.query is not None
    return statement.query


def joined(query: Query, mark: str = "<read>") -> str:
    return "".join(p if isinstance(p, str) else mark for p in query.pieces)


@pytest.mark.parametrize("sql", [
    "SELECT raw:order.id::string AS id, `First Name`, \"DELETE\" FROM LIVE.src WHERE a <=> b",
    "WITH c AS (SELECT * FROM LIVE.x) SELECT /* STREAM(x) */ * -- STREAM y\nFROM c",
    "SELECT 'FROM STREAM(x)', stream FROM t",
    "SELECT a, count(*) FILTER (WHERE b > 1) OVER (PARTITION BY a) FROM t GROUP BY ALL",
    "SELECT transform(arr, x -> x + 1), INTERVAL 1 DAY, date'2024-01-01' FROM t",
])
def test_queries_without_reads_are_kept_exactly(sql: str) -> None:
    assert query_of(sql).pieces == (sql.rstrip(),)


@pytest.mark.parametrize(("sql", "expected", "read"), [
    ("SELECT * FROM STREAM(LIVE.bronze)", "SELECT * FROM <read>", DatasetRead("bronze", True)),
    ("SELECT * FROM STREAM (bronze) AS b", "SELECT * FROM <read> AS b", DatasetRead("bronze")),
    ("SELECT * FROM STREAM bronze b", "SELECT * FROM <read> b", DatasetRead("bronze")),
    ("SELECT * FROM stream live.bronze", "SELECT * FROM <read>", DatasetRead("bronze", True)),
    ("SELECT * FROM STREAM(cat.db.`my-table`)", "SELECT * FROM <read>",
     DatasetRead("cat.db.`my-table`")),
    ("SELECT * FROM a JOIN STREAM(b) ON a.id = b.id", "SELECT * FROM a JOIN <read> ON a.id = b.id",
     DatasetRead("b")),
    ("SELECT * FROM a LEFT JOIN b ON a.id = b.id, STREAM c", "SELECT * FROM a LEFT JOIN b ON "
     "a.id = b.id, <read>", DatasetRead("c")),
    ("SELECT * FROM (SELECT * FROM STREAM(x)) s", "SELECT * FROM (SELECT * FROM <read>) s",
     DatasetRead("x")),
])
def test_stream_reads(sql: str, expected: str, read: DatasetRead) -> None:
    query = query_of(sql)
    assert joined(query) == expected
    assert query.reads == (read,)


def test_read_files_batch_and_stream() -> None:
    query = query_of("SELECT * FROM read_files('/in/a', format => 'csv', header => true, "
                     "`cloudFiles.maxFilesPerTrigger` => 1, skipRows => -1) r "
                     "UNION ALL SELECT * FROM STREAM read_files('/in/b', format => 'json') "
                     "UNION ALL SELECT * FROM STREAM(read_files('/in/c'))")
    assert joined(query) == ("SELECT * FROM <read> r UNION ALL SELECT * FROM <read> "
                             "UNION ALL SELECT * FROM <read>")
    assert query.reads == (
        FileRead("read_files", "/in/a", "csv", (("header", "true"),
                 ("cloudFiles.maxFilesPerTrigger", "1"), ("skipRows", "-1")), streaming=False),
        FileRead("read_files", "/in/b", "json", (), streaming=True),
        FileRead("read_files", "/in/c", None, (), streaming=True))


def test_cloud_files_is_always_a_stream() -> None:
    query = query_of("SELECT *, input_file_name() FROM cloud_files(\"/in\", \"json\")")
    assert query.reads == (FileRead("cloud_files", "/in", "json", (), streaming=True),)


def test_a_column_named_stream_is_no_read() -> None:
    query = query_of("SELECT stream, read_files FROM t WHERE stream > 0")
    assert query.reads == ()


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT * FROM cloud_files('/in')", "cloud_files() takes (path, format"),
    ("SELECT * FROM cloud_files('/in', 'json', 'x')", "third argument of cloud_files()"),
    ("SELECT * FROM cloud_files('/in', 'json', map('a'))", "option/value pairs"),
    ("SELECT * FROM read_files(format => 'json')", "read_files() needs a path"),
    ("SELECT * FROM read_files('/a', '/b')", "read_files() takes the path, then options"),
    ("SELECT * FROM read_files(concat('/a', 'b'))", "the path of read_files() must be a literal"),
])
def test_file_function_errors(sql: str, message: str) -> None:
    with pytest.raises(SqlParseError) as err:
        query_of(sql)
    assert message in err.value.errors[0].message
