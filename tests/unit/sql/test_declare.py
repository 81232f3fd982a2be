"""Pipeline SQL declared to the active registry as graph elements (no Spark needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.exceptions import ConfigError, NoActiveRegistryError
from dltflow.graph import (
    AppendFlow,
    ApplyChangesFlow,
    ExpectationSpec,
    InMemoryRegistry,
    SourceLocation,
    Table,
    View,
    registration_context,
)
from dltflow.sql import SqlParseError, declare_file, declare_text

PIPELINE = """\
-- Databricks notebook source
SET pipelines.trigger.interval = 1 hour;

CREATE OR REFRESH STREAMING TABLE raw_orders
COMMENT 'orders as they land'
TBLPROPERTIES ('quality' = 'bronze')
AS SELECT * FROM STREAM read_files('${landing}/orders', format => 'json');

CREATE OR REFRESH PRIVATE MATERIALIZED VIEW clean_orders (
  id BIGINT NOT NULL COMMENT 'order id',
  amount DOUBLE,
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW
) PARTITIONED BY (id) CLUSTER BY (amount)
AS SELECT id, amount FROM raw_orders;

SET spark.sql.shuffle.partitions = 2;
CREATE TEMPORARY VIEW totals (order_id, total) AS
  SELECT id, sum(amount) FROM clean_orders GROUP BY id;

CREATE OR REFRESH STREAMING TABLE users;
CREATE FLOW users_backfill AS INSERT INTO ONCE users BY NAME SELECT * FROM old_users;
CREATE OR REFRESH STREAMING TABLE users_history;
APPLY CHANGES INTO LIVE.users_history FROM STREAM(LIVE.user_changes) KEYS (id)
  APPLY AS DELETE WHEN operation = 'DELETE' SEQUENCE BY seq
  COLUMNS * EXCEPT (operation, seq) STORED AS SCD TYPE 2;
"""


def declared(text: str = PIPELINE, **configuration: str) -> InMemoryRegistry:
    registry = InMemoryRegistry()
    with registration_context(registry):
        declare_text(text, "pipelines/orders.sql", configuration=configuration or
                     {"landing": "/data"})
    return registry


def test_datasets_and_flows_in_statement_order() -> None:
    registry = declared()
    assert [(type(d).__name__, d.name) for d in registry.datasets] == [
        ("Table", "raw_orders"), ("Table", "clean_orders"), ("View", "totals"),
        ("Table", "users"), ("Table", "users_history")]
    assert [(type(f).__name__, f.name) for f in registry.flows] == [
        ("AppendFlow", "users_backfill"), ("ApplyChangesFlow", "users_history")]


def test_tables_carry_their_clauses_schema_and_location() -> None:
    registry = declared()
    raw, clean = registry.dataset("raw_orders"), registry.dataset("clean_orders")
    assert isinstance(raw, Table) and isinstance(clean, Table)
    assert (raw.kind, raw.comment, dict(raw.table_properties), raw.temporary) == \
        ("streaming_table", "orders as they land", {"quality": "bronze"}, False)
    assert raw.source_location == SourceLocation("pipelines/orders.sql", 4)
    assert (clean.kind, clean.temporary, clean.partition_cols, clean.cluster_by) == \
        ("materialized_view", True, ("id",), ("amount",))
    assert clean.schema == "id BIGINT NOT NULL COMMENT 'order id', amount DOUBLE"
    assert clean.expectations == (ExpectationSpec("positive", "amount > 0", "drop"),)
    assert str(clean.source_location) == "pipelines/orders.sql:9"
    assert callable(raw.query) and raw.query.__name__ == "raw_orders"


def test_set_applies_to_the_statements_after_it() -> None:
    registry = declared()
    first = {"pipelines.trigger.interval": "1 hour"}
    both = {**first, "spark.sql.shuffle.partitions": "2"}
    raw, totals = registry.dataset("raw_orders"), registry.dataset("totals")
    assert isinstance(raw, Table) and isinstance(totals, View)
    assert dict(raw.spark_conf) == first and dict(totals.spark_conf) == both
    assert all(dict(f.spark_conf) == both for f in registry.flows)


def test_flows() -> None:
    backfill, changes = declared().flows
    assert isinstance(backfill, AppendFlow) and isinstance(changes, ApplyChangesFlow)
    assert (backfill.target, backfill.once) == ("users", True)
    assert str(backfill.source_location) == "pipelines/orders.sql:21"
    assert (changes.target, changes.source, changes.keys, changes.sequence_by) == \
        ("users_history", "user_changes", ("id",), "seq")
    assert (changes.apply_as_deletes, changes.except_column_list, changes.stored_as_scd_type) \
        == ("operation = 'DELETE'", ("operation", "seq"), 2)


def test_a_streaming_table_with_a_flow_clause_is_a_target_and_its_flow() -> None:
    registry = declared("CREATE STREAMING TABLE t FLOW AUTO CDC FROM s KEYS (k) SEQUENCE BY v")
    (table,), (flow,) = registry.datasets, registry.flows
    assert isinstance(table, Table) and table.query is None
    assert isinstance(flow, ApplyChangesFlow) and (flow.name, flow.target) == ("t", "t")


def test_a_file_that_does_not_parse_declares_nothing() -> None:
    registry = InMemoryRegistry()
    with registration_context(registry), pytest.raises(SqlParseError) as err:
        declare_text("CREATE MATERIALIZED VIEW a AS SELECT 1;\nCREATE VIEW b AS SELEC;",
                     "bad.sql")
    assert registry.datasets == [] and registry.flows == []
    assert isinstance(err.value, ConfigError)
    assert (err.value.source, err.value.line) == ("bad.sql", 2)


def test_an_invalid_name_declares_nothing() -> None:
    registry = InMemoryRegistry()
    with registration_context(registry), pytest.raises(ConfigError):
        declare_text("CREATE MATERIALIZED VIEW a AS SELECT 1;\n"
                     "CREATE MATERIALIZED VIEW a.b.c.d AS SELECT 1", "names.sql")
    assert registry.datasets == []


def test_outside_a_pipeline_definition() -> None:
    with pytest.raises(NoActiveRegistryError):
        declare_text("CREATE MATERIALIZED VIEW a AS SELECT 1")


def test_declare_file_reads_the_file_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "p.sql"
    path.write_text("\nCREATE MATERIALIZED VIEW a AS SELECT ${v} AS x", encoding="utf-8")
    registry = InMemoryRegistry()
    with registration_context(registry):
        declare_file(path, configuration={"v": "1"})
    assert registry.datasets[0].source_location == SourceLocation(str(path), 2)
