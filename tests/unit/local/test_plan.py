"""Planning: dependencies found by analysis, graph errors before any data moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.exceptions import GraphError
from dltflow.graph import api as dlt
from dltflow.local import describe, explain, run


def _tables(warehouse: Path) -> list[str]:
    folder = warehouse / "default"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_unknown_reference_names_both_datasets_and_location(spark, tmp_path):
    def pipeline():
        @dlt.table
        def ok():
            return spark.range(3)

        @dlt.table
        def broken():
            return dlt.read("missing")

    with pytest.raises(GraphError) as info:
        run(pipeline, spark=spark, warehouse=tmp_path)
    assert info.value.names == ["broken", "missing"]
    assert "test_plan.py:" in (info.value.location or "")
    assert _tables(tmp_path) == []  # nothing was written, not even `ok`


def test_unknown_live_name_in_sql_is_reported(spark, tmp_path):
    def pipeline():
        @dlt.table
        def reader():
            return spark.sql("SELECT * FROM LIVE.nowhere")

    with pytest.raises(GraphError) as info:
        run(pipeline, spark=spark, warehouse=tmp_path)
    assert info.value.names == ["reader", "nowhere"]


def test_cycle_names_every_dataset_on_it(spark, tmp_path):
    def pipeline():
        @dlt.table
        def a():
            return dlt.read("c")

        @dlt.table
        def b():
            return dlt.read("a")

        @dlt.view
        def c():
            return spark.read.table("LIVE.b")

    with pytest.raises(GraphError) as info:
        run(pipeline, spark=spark, warehouse=tmp_path)
    assert info.value.names == ["a", "c", "b", "a"]
    assert "cycle" in str(info.value)
    assert _tables(tmp_path) == []


def test_duplicate_names_report_both_locations(spark, tmp_path):
    def pipeline():
        @dlt.table(name="same")
        def first():
            return spark.range(1)

        @dlt.table(name="same")
        def second():
            return spark.range(2)

    with pytest.raises(GraphError) as info:
        run(pipeline, spark=spark, warehouse=tmp_path)
    assert info.value.names == ["same"]
    assert str(info.value).count("test_plan.py:") >= 2


def test_flow_into_undeclared_table_is_reported(spark, tmp_path):
    def pipeline():
        @dlt.append_flow(target="nowhere")
        def feed():
            return spark.range(1)

    with pytest.raises(GraphError) as info:
        run(pipeline, spark=spark, warehouse=tmp_path)
    assert info.value.names == ["feed", "nowhere"]


def _chain():
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()

    @dlt.table
    def gold():  # declared first, runs last
        return dlt.read("silver").groupBy().count()

    @dlt.view
    def silver():
        return spark.table("LIVE.bronze").filter("id > 1")

    @dlt.table
    def bronze():
        return spark.range(5)

    @dlt.table
    def unrelated():
        return spark.range(1)


def test_plan_orders_upstreams_first_and_select_takes_upstreams(spark, tmp_path):
    plan = explain(_chain, spark=spark, warehouse=tmp_path)
    names = plan.names
    assert names.index("bronze") < names.index("silver") < names.index("gold")
    assert plan.step("gold").upstreams == ("silver",)
    assert plan.step("silver").mode == "view"
    assert "gold" in describe(plan)

    selected = explain(_chain, spark=spark, warehouse=tmp_path, select=["gold"])
    assert selected.names == ("bronze", "silver", "gold")
    with pytest.raises(GraphError) as info:
        explain(_chain, spark=spark, warehouse=tmp_path, select=["nope"])
    assert info.value.names == ["nope"]


def test_run_follows_dependency_order(spark, tmp_path):
    result = run(_chain, spark=spark, warehouse=tmp_path, select=["gold"])
    assert result.status == "COMPLETED"
    started = [e.dataset for e in result.events if type(e).__name__ == "FlowStarted"]
    assert started == ["bronze", "silver", "gold"]
    assert result.table("gold").first()["count"] == 3
    assert "unrelated" not in result.datasets


def test_a_dataset_returning_a_non_dataframe_is_named(spark, tmp_path) -> None:
    """Was `AttributeError: 'int' object has no attribute 'isStreaming'`."""
    from dltflow.exceptions import ConfigError

    def pipeline() -> None:
        @dlt.table
        def answer():  # type: ignore[no-untyped-def]
            return 42

    with pytest.raises(ConfigError) as info:
        run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert "dataset answer (" in str(info.value) and "test_plan.py:" in str(info.value)
    assert "returned int, expected a DataFrame" in str(info.value)


def test_empty_analysis_frame_has_the_schema_and_no_rows(spark) -> None:
    from dltflow.local.plan.build import empty_frame

    schema = spark.createDataFrame([(1, "a")], "id bigint not null, name string").schema
    frame = empty_frame(spark, schema)
    assert frame.schema == schema
    assert frame.collect() == []
