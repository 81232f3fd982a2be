"""The session catalog after re-runs: ``<schema>.<name>`` always shows the current version.

A re-run whose table keeps its catalog entry (same columns, unpartitioned Parquet) only
moves the entry to the new version; anything else about the entry that changed (the
table's columns, its partitioning, a same-named table the user put there) makes the
engine create the entry afresh.
"""

from __future__ import annotations

from chispa import assert_df_equality

from dltflow.graph import api as dlt
from dltflow.local import run


def _location(spark, table):
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect()
    return next(r.data_type for r in rows if r.col_name == "Location")


def _pipeline(spark, state, **table_args):
    def pipeline():
        @dlt.table(**table_args)
        def moved():
            return spark.range(state["n"]).selectExpr(*state["columns"])

    return pipeline


def test_rerun_moves_the_entry_to_the_new_version(spark, tmp_path):
    state = {"n": 3, "columns": ["id", "id * 2 AS doubled"]}
    first = run(_pipeline(spark, state), spark=spark, warehouse=tmp_path, schema="moves")
    assert first.status == "COMPLETED", first.error
    spark.table("moves.moved").cache().count()  # a cached entry must not hide the new data
    state["n"] = 5
    second = run(_pipeline(spark, state), spark=spark, warehouse=tmp_path, schema="moves")
    assert second.status == "COMPLETED", second.error
    current = (tmp_path / "moves" / "moved").resolve()
    version = next(p.name for p in current.iterdir() if p.name.startswith("v"))
    assert _location(spark, "moves.moved").endswith(f"/moved/{version}")
    assert_df_equality(spark.table("moves.moved"), second.table("moved"),
                       ignore_row_order=True)
    assert spark.table("moves.moved").count() == 5
    spark.catalog.clearCache()


def test_rerun_with_new_columns_shows_them_in_the_catalog(spark, tmp_path):
    state = {"n": 3, "columns": ["id"]}
    run(_pipeline(spark, state), spark=spark, warehouse=tmp_path, schema="widens")
    state["columns"] = ["id", "CAST(id AS STRING) AS name", "array(id) AS ids"]
    result = run(_pipeline(spark, state), spark=spark, warehouse=tmp_path, schema="widens")
    assert result.status == "COMPLETED", result.error
    table = spark.table("widens.moved")
    assert table.columns == ["id", "name", "ids"]
    assert sorted(r.name for r in table.collect()) == ["0", "1", "2"]


def test_rerun_replaces_a_same_named_table_of_another_format(spark, tmp_path):
    state = {"n": 4, "columns": ["id"]}
    run(_pipeline(spark, state), spark=spark, warehouse=tmp_path, schema="replaced")
    spark.sql("DROP TABLE replaced.moved")
    spark.sql(f"CREATE TABLE replaced.moved (id bigint) USING json "
              f"LOCATION '{tmp_path / 'elsewhere'}'")
    result = run(_pipeline(spark, state), spark=spark, warehouse=tmp_path, schema="replaced")
    assert result.status == "COMPLETED", result.error
    provider = next(r.data_type for r in spark.sql(
        "DESCRIBE TABLE EXTENDED replaced.moved").collect() if r.col_name == "Provider")
    assert provider == "parquet"
    assert sorted(r.id for r in spark.table("replaced.moved").collect()) == [0, 1, 2, 3]


def test_rerun_of_a_partitioned_table_shows_its_new_partitions(spark, tmp_path):
    state = {"n": 4, "columns": ["id", "id % 2 AS part"]}
    run(_pipeline(spark, state, partition_cols=["part"]), spark=spark, warehouse=tmp_path,
        schema="parts")
    state["columns"] = ["id", "id % 3 AS part"]
    result = run(_pipeline(spark, state, partition_cols=["part"]), spark=spark,
                 warehouse=tmp_path, schema="parts")
    assert result.status == "COMPLETED", result.error
    rows = spark.table("parts.moved").collect()
    assert sorted((r.id, r.part) for r in rows) == [(0, 0), (1, 1), (2, 2), (3, 0)]
    partitions = sorted(r.partition for r in spark.sql("SHOW PARTITIONS parts.moved").collect())
    assert partitions == ["part=0", "part=1", "part=2"]
