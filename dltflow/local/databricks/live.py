"""``LIVE.<name>`` and bare dataset names in ``spark.read.table`` / ``spark.table`` / SQL.

DLT files read other datasets of the pipeline with ``spark.read.table("LIVE.x")``,
``spark.sql("SELECT * FROM LIVE.x")``, and (``pyspark.pipelines`` style) with plain
names: ``spark.read.table("x")``, ``spark.readStream.table("x")``. The local engine
has no ``LIVE`` catalog, so while a local run is active the table-reading entry points
of ``SparkSession``, ``DataFrameReader`` and ``DataStreamReader`` (classic and Spark
Connect) consult the current resolver first:

* a ``LIVE.x`` name always means the pipeline's dataset ``x`` (unknown: a GraphError);
* a bare name ``x``, or ``<target schema>.x``, means the dataset when the pipeline
  declares one of that name, else the catalog table as usual;
* in SQL, ``LIVE.x`` / ``STREAM(LIVE.x)`` are rewritten to a temporary view
  ``__dltflow_live_x`` holding the dataset's DataFrame; a bare dataset name gets a
  temporary view of its own name, dropped when the run ends.

Because every read goes through the resolver, these reads are dependencies exactly
like ``dlt.read`` calls. The wrappers are installed with the others of
:mod:`.patches` while a pipeline is defined or run, and keep the original behaviour for
every other name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from dltflow.local.plan.registry import current_resolver
from dltflow.local.storage.catalog import running_own_sql

VIEW_PREFIX = "__dltflow_live_"
_IDENT = r"`?([A-Za-z_][A-Za-z0-9_]*)`?"
_STREAM = re.compile(r"\bSTREAM\s*(?:\(\s*(?:`?LIVE`?\.)?" + _IDENT + r"\s*\)|\s+`?LIVE`?\."
                     + _IDENT + ")", re.IGNORECASE)
_LIVE = re.compile(r"(?<![\w.`])`?LIVE`?\." + _IDENT, re.IGNORECASE)
bare_views: set[str] = set()
"""Temporary views named like a dataset, created for bare names in SQL; dropped after a run."""


def _dataset_of(table_name: str) -> str | None:
    resolver = current_resolver()
    if resolver is None or not isinstance(table_name, str):
        return None
    return resolver.lookup(table_name)


def wrap_table(original: Callable[..., Any], streaming: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def table(self: Any, tableName: str, *args: Any, **kwargs: Any) -> Any:
        name = _dataset_of(tableName)
        resolver = current_resolver()
        if name is None or resolver is None:
            return original(self, tableName, *args, **kwargs)
        return resolver.read(name, streaming=streaming)

    return table


def rewrite_sql(spark: Any, query: str) -> str:
    """``query`` with pipeline dataset references replaced by temporary views."""
    resolver = current_resolver()
    if resolver is None:
        return query

    def view_for(name: str, streaming: bool) -> str:
        dataset = resolver.lookup(f"LIVE.{name}")
        assert dataset is not None
        view = f"{VIEW_PREFIX}{dataset}{'_stream' if streaming else ''}"
        resolver.read(dataset, streaming=streaming).createOrReplaceTempView(view)
        return f"`{view}`"

    query = _STREAM.sub(lambda m: view_for(m.group(1) or m.group(2), True), query)
    query = _LIVE.sub(lambda m: view_for(m.group(1), False), query)
    for name in _bare_tables(query):
        dataset = resolver.lookup(name)
        if dataset is not None:
            resolver.read(dataset, streaming=False).createOrReplaceTempView(name)
            bare_views.add(name)
    return query


def _bare_tables(query: str) -> set[str]:
    """Unqualified table names in ``query`` (none when sqlglot cannot parse it)."""
    import sqlglot
    from sqlglot import exp

    from dltflow.sql import quiet_sqlglot

    try:
        with quiet_sqlglot():
            trees = sqlglot.parse(query, read="spark")
    except Exception:  # noqa: BLE001 - Spark gives the real error when the query runs
        return set()
    names: set[str] = set()
    for tree in trees:
        if tree is None:
            continue
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not table.db and table.name and table.name not in ctes \
                    and not table.name.startswith(VIEW_PREFIX):
                names.add(table.name)
    return names


def wrap_sql(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def sql(self: Any, sqlQuery: str, *args: Any, **kwargs: Any) -> Any:
        if current_resolver() is not None and isinstance(sqlQuery, str) \
                and not running_own_sql():
            sqlQuery = rewrite_sql(self, sqlQuery)
        return original(self, sqlQuery, *args, **kwargs)

    return sql


def drop_bare_views(spark: Any) -> None:
    """Drop the temporary views created for bare names, so catalog tables show again."""
    while bare_views:
        spark.catalog.dropTempView(bare_views.pop())
