"""Declare the statements of a pipeline SQL file to the active graph registry.

Every statement is parsed (and turned into a graph element) before the first one is
registered: a file with one bad statement declares nothing. Each element records the
``file:line`` of its statement. ``SET key = value`` becomes ``spark_conf`` of every
dataset and flow declared after it in the file.

A query becomes a zero-argument function that builds its reads and runs ``spark.sql``
on the query text with each read as a named DataFrame argument (named after the
statement, so each query's reads are its own): the engine calls it while planning
(reads resolved to empty frames) and again when it runs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dltflow.graph.elements import (
    AppendFlow,
    ApplyChangesFlow,
    GraphElement,
    QueryFunction,
    SourceLocation,
    Table,
    View,
)
from dltflow.graph.registry import active_registry
from dltflow.sql.parser import parse_text
from dltflow.sql.reads import load
from dltflow.sql.statements import (
    AutoCdc,
    ColumnSpec,
    CreateDataset,
    CreateFlow,
    Query,
    SetConf,
    Statement,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["declare_file", "declare_text", "elements"]

VIEW_PREFIX = "__dltflow_sql_"
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
SessionGetter = Callable[[], "SparkSession"]


def _active_session() -> SparkSession:
    from pyspark.sql import SparkSession  # lazy: declaring must not need pyspark

    session = SparkSession.getActiveSession()
    if session is None:
        raise RuntimeError("a SQL dataset's query ran without an active SparkSession")
    return session


def render(query: Query, spark: SparkSession, tag: str) -> tuple[str, dict[str, DataFrame]]:
    """The query's SQL with each read as a named DataFrame argument of ``spark.sql``.

    Arguments rather than temporary views: Spark Connect embeds them in the query's
    plan, which Sail also resolves for Auto Loader reads (a temporary view of one does
    not decode there). Braces of the user's SQL are escaped for ``spark.sql``'s
    formatter.
    """
    if all(isinstance(piece, str) for piece in query.pieces):
        return "".join(query.pieces), {}  # type: ignore[arg-type]
    parts: list[str] = []
    frames: dict[str, DataFrame] = {}
    for i, piece in enumerate(query.pieces):
        if isinstance(piece, str):
            parts.append(piece.replace("{", "{{").replace("}", "}}"))
            continue
        name = f"{VIEW_PREFIX}{tag}_{i}"
        frames[name] = load(piece, spark)
        parts.append("{" + name + "}")
    return "".join(parts), frames


def _query_function(query: Query, session: SessionGetter, tag: str, name: str,
                    renamed: tuple[str, ...] = ()) -> QueryFunction:
    def run_query() -> DataFrame:
        spark = session()
        text, frames = render(query, spark, tag)
        df = spark.sql(text, None, **frames) if frames else spark.sql(text)
        return df.toDF(*renamed) if renamed else df

    run_query.__name__ = run_query.__qualname__ = name
    return run_query


def _tag(filename: str, line: int, name: str) -> str:
    return hashlib.sha1(f"{filename}:{line}:{name}".encode()).hexdigest()[:12]


def _ddl(columns: tuple[ColumnSpec, ...]) -> str | None:
    """The table's schema as DDL, when every column has a type."""
    if not columns or any(c.type is None for c in columns):
        return None
    fields = []
    for c in columns:
        name = c.name if _PLAIN.match(c.name) or c.name.startswith("`") else f"`{c.name}`"
        field = f"{name} {c.type}" + (" NOT NULL" if c.not_null else "")
        if c.comment is not None:
            field += " COMMENT '" + c.comment.replace("\\", "\\\\").replace("'", "\\'") + "'"
        fields.append(field)
    return ", ".join(fields)


class _Builder:
    """Turns statements into graph elements, carrying ``SET`` values down the file."""

    def __init__(self, filename: str, session: SessionGetter) -> None:
        self.filename = filename
        self.session = session
        self.conf: dict[str, str] = {}

    def where(self, line: int) -> SourceLocation:
        return SourceLocation.at(self.filename, line)

    def query(self, query: Query, name: str, line: int,
              renamed: tuple[str, ...] = ()) -> QueryFunction:
        return _query_function(query, self.session, _tag(self.filename, line, name), name,
                               renamed)

    def dataset(self, s: CreateDataset) -> list[GraphElement]:
        query = self.query(s.query, s.name, s.line, tuple(c.name for c in s.columns)
                           if s.kind == "view" else ()) if s.query else None
        if s.kind == "view":
            assert query is not None
            return [View(name=s.name, query=query, expectations=s.expectations,
                         comment=s.comment, spark_conf=dict(self.conf),
                         source_location=self.where(s.line))]
        table = Table(name=s.name, query=query, kind=s.kind, expectations=s.expectations,
                      comment=s.comment, spark_conf=dict(self.conf),
                      table_properties=dict(s.table_properties),
                      partition_cols=s.partition_cols, cluster_by=s.cluster_by, path=s.path,
                      schema=_ddl(s.columns), temporary=s.private, row_filter=s.row_filter,
                      format=s.format, cluster_by_auto=s.cluster_by_auto,
                      source_location=self.where(s.line))
        flow = self.flow(s.flow) if s.flow is not None else []
        return [table, *flow]

    def flow(self, s: CreateFlow | AutoCdc) -> list[GraphElement]:
        if isinstance(s, CreateFlow):
            return [AppendFlow(name=s.name, target=s.target,
                               query=self.query(s.query, s.name, s.line), once=s.once,
                               comment=s.comment, spark_conf=dict(self.conf),
                               source_location=self.where(s.line))]
        return [ApplyChangesFlow(
            name=s.name or s.target, target=s.target, source=s.source, keys=s.keys,
            sequence_by=_sequence(s.sequence_by), where=s.where,
            ignore_null_updates=s.ignore_null_updates, apply_as_deletes=s.apply_as_deletes,
            apply_as_truncates=s.apply_as_truncates, column_list=s.column_list,
            except_column_list=s.except_column_list, stored_as_scd_type=s.stored_as_scd_type,
            track_history_column_list=s.track_history_column_list,
            track_history_except_column_list=s.track_history_except_column_list,
            once=s.once, spark_conf=dict(self.conf), source_location=self.where(s.line))]

    def build(self, statement: Statement) -> list[GraphElement]:
        if isinstance(statement, SetConf):
            self.conf[statement.key] = statement.value
            return []
        if isinstance(statement, CreateDataset):
            return self.dataset(statement)
        return self.flow(statement)


def _sequence(text: str) -> Any:
    """A column name as text (what the engine expects), else the expression as a Column."""
    name = text.strip()
    if _PLAIN.match(name):
        return name
    if name.startswith("`") and name.endswith("`") and name.count("`") == 2:
        return name[1:-1]
    from pyspark.sql import functions as F  # lazy: only an expression needs pyspark

    return F.expr(name)


def elements(text: str, filename: str, *, spark: SparkSession | None = None,
             configuration: Mapping[str, str] | None = None) -> list[GraphElement]:
    """The graph elements a pipeline SQL text declares, in statement order.

    Raises:
        SqlParseError: a statement does not parse (nothing is returned).
    """
    statements = parse_text(text, filename, configuration)
    builder = _Builder(filename, (lambda: spark) if spark is not None else _active_session)
    return [element for s in statements for element in builder.build(s)]


def declare_text(text: str, filename: str = "<sql>", *, spark: SparkSession | None = None,
                 configuration: Mapping[str, str] | None = None) -> None:
    """Declare the datasets and flows of pipeline SQL ``text`` to the active registry.

    Args:
        text: the SQL.
        filename: where it came from, for ``file:line`` in errors and the graph.
        spark: the session the queries run on (default: the active one when they run).
        configuration: the pipeline configuration, for ``${key}``.

    Raises:
        SqlParseError: a statement does not parse; nothing was declared.
        NoActiveRegistryError: called outside a pipeline definition.
    """
    declared = elements(text, filename, spark=spark, configuration=configuration)
    registry = active_registry(f"declaring {filename}")
    for element in declared:
        if isinstance(element, (Table, View)):
            registry.register_dataset(element)
        else:
            registry.register_flow(element)


def declare_file(path: str | Path, *, spark: SparkSession | None = None,
                 configuration: Mapping[str, str] | None = None) -> None:
    """Declare the datasets and flows of the pipeline SQL file ``path``.

    Example:
        >>> from dltflow.local import run
        >>> run(lambda: declare_file("pipelines/orders.sql", spark=spark,
        ...                          configuration={"landing": "/data/landing"}),
        ...     spark=spark)
    """
    text = Path(path).read_text(encoding="utf-8")
    declare_text(text, str(path), spark=spark, configuration=configuration)
