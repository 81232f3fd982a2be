"""Errors with their cause: all planning failures in one run, downstream SKIPPED, the
root cause of a JVM failure in a line or two with a hint for Databricks-only features."""

from __future__ import annotations

import pytest

from dltflow.exceptions import ConfigError, GraphError, PlanFailed
from dltflow.graph import api as dlt
from dltflow.local import explain, run


def test_every_failing_dataset_is_reported_and_downstream_skipped(spark, tmp_path):
    def pipeline():
        @dlt.table
        def from_delta():  # Databricks' own table format: not in local Spark
            return spark.read.format("delta").load(str(tmp_path / "nowhere"))

        @dlt.table
        def broken():
            raise ValueError("bad parameter")

        @dlt.table
        def downstream():
            return dlt.read("from_delta")

        @dlt.table
        def fine():
            return spark.range(3)

    result = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "FAILED"
    assert isinstance(result.error, PlanFailed)
    assert {f.dataset for f in result.error.failures} == {"from_delta", "broken"}
    statuses = {name: d.status for name, d in result.datasets.items()}
    assert statuses == {"from_delta": "FAILED", "broken": "FAILED", "downstream": "SKIPPED",
                        "fine": "SKIPPED"}
    delta = next(e for e in result.events if type(e).__name__ == "FlowFinished"
                 and e.dataset == "from_delta")
    assert "DATA_SOURCE_NOT_FOUND" in delta.error and "Hint: Delta Lake" in delta.error
    assert "\tat " not in delta.error and len(delta.error.splitlines()) <= 3


def test_unresolved_column_in_a_constraint_names_the_expectation(spark, tmp_path):
    def pipeline():
        @dlt.table
        @dlt.expect_or_drop("valid_amount", "amount > 0")
        @dlt.expect("has_id", "id IS NOT NULL")
        def orders():
            return spark.range(3)

    with pytest.raises(ConfigError) as caught:
        run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert len(caught.value.problems) == 1
    assert "valid_amount" in caught.value.problems[0]
    assert "orders" in caught.value.problems[0]
    assert "id" in (caught.value.hint or "")


def test_several_graph_errors_in_one_report(spark, tmp_path):
    def pipeline():
        @dlt.table
        def a():
            return dlt.read("missing_one")

        @dlt.table
        def b():
            return dlt.read("missing_two")

    with pytest.raises(GraphError) as caught:
        run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert "missing_one" in str(caught.value) and "missing_two" in str(caught.value)


def test_dry_run_labels_views(spark, tmp_path):
    from dltflow.local import describe

    (tmp_path / "in").mkdir()

    def pipeline():
        @dlt.view
        def events():
            return spark.readStream.schema("id long").json(str(tmp_path / "in"))

        @dlt.view
        def lookup():
            return spark.range(2)

        @dlt.table
        def out():
            return dlt.read_stream("events")

    text = describe(explain(pipeline, spark=spark, warehouse=tmp_path / "wh"))
    assert "events  [streaming view]" in text and "lookup  [view]" in text
    assert "out  [table, streaming]" in text


def test_databricks_only_table_options_warn(spark, tmp_path):
    def pipeline():
        @dlt.table(row_filter="region_filter ON (region)", path="/mnt/tables/x")
        def secured():
            return spark.range(2)

    with pytest.warns(UserWarning, match="row_filter applies only on Databricks"):
        result = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "COMPLETED"


def test_every_misspelled_option_is_reported_together(spark, tmp_path):
    def pipeline():
        @dlt.table(partion_cols=["day"])
        def a():
            return spark.range(1)

        @dlt.view(nmae="b")
        def b():
            return spark.range(1)

        @dlt.table
        def c():
            return spark.range(1)

    with pytest.raises(ConfigError) as caught:
        run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert len(caught.value.problems) == 2
    assert "partition_cols" in caught.value.problems[0] and "'name'" in caught.value.problems[1]
