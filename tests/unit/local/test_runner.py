"""Batch execution: expectations in one pass, atomic rewrites, re-runs, the catalog."""

from __future__ import annotations

from chispa import assert_df_equality

from dltflow.exceptions import DatasetFailed, ExpectationFailed
from dltflow.graph import api as dlt
from dltflow.local import run
from dltflow.quality import DLTMetaMixin

ROWS = [(i, f"n{i}" if i % 4 else None, i * 7 % 23) for i in range(40)]
SCHEMA = "id long, name string, score long"


def _mixed(spark):
    def pipeline():
        @dlt.table
        def raw():
            return spark.createDataFrame(ROWS, SCHEMA)

        @dlt.table
        @dlt.expect("has_name", "name IS NOT NULL")
        @dlt.expect_or_drop("small_score", "score < 15")
        @dlt.expect_all_or_drop({"even": "id % 2 = 0", "positive": "id > 0"})
        @dlt.expect_or_fail("no_negative", "score >= 0")
        def clean():
            return dlt.read("raw")

    return pipeline


def test_expectation_counts_match_independent_counts(spark, tmp_path):
    result = run(_mixed(spark), spark=spark, warehouse=tmp_path)
    assert result.status == "COMPLETED", result.error

    raw = spark.createDataFrame(ROWS, SCHEMA)
    total = raw.count()
    expected_failures = {
        "has_name": raw.filter("name IS NULL").count(),
        "small_score": raw.filter("NOT (score < 15)").count(),
        "even": raw.filter("id % 2 != 0").count(),
        "positive": raw.filter("id <= 0").count(),
        "no_negative": 0,
    }
    clean = result.datasets["clean"]
    assert clean.expectations == {
        name: {"passed_records": total - failed, "failed_records": failed}
        for name, failed in expected_failures.items()}
    kept = raw.filter("score < 15 AND id % 2 = 0 AND id > 0")
    assert clean.output_rows == kept.count()
    assert clean.dropped_rows == total - kept.count()
    # allow keeps failing rows; drop removes them: the stored table is exactly `kept`
    assert_df_equality(result.table("clean"), kept, ignore_row_order=True,
                       ignore_nullable=True)
    assert result.to_json()["datasets"]["clean"]["output_rows"] == kept.count()


def test_fail_names_expectation_and_record_and_keeps_previous_version(spark, tmp_path):
    threshold = {"value": 100}

    def pipeline():
        @dlt.table
        @dlt.expect_or_fail("below", "id < threshold")
        def numbers():
            return spark.range(5).selectExpr("id", f"{threshold['value']} AS threshold")

    first = run(pipeline, spark=spark, warehouse=tmp_path)
    assert first.status == "COMPLETED"
    threshold["value"] = 3
    second = run(pipeline, spark=spark, warehouse=tmp_path)
    assert second.status == "FAILED"
    error = second.error
    assert isinstance(error, ExpectationFailed)
    assert (error.dataset, error.expectation, error.failed_records) == ("numbers", "below", 2)
    assert error.record is not None and error.record["id"] >= 3
    assert second.datasets["numbers"].status == "FAILED"
    assert second.datasets["numbers"].expectations["below"] == {
        "passed_records": 3, "failed_records": 2}
    # the previous version is still the published one, in the files and the catalog
    assert sorted(r.threshold for r in second.table("numbers").collect()) == [100] * 5
    assert spark.table("default.numbers").count() == 5


def test_analysis_failure_fails_the_update(spark, tmp_path):
    def pipeline():
        @dlt.table
        def bad():
            return spark.range(3).selectExpr("id", "no_such_column")

        @dlt.table
        def after_bad():
            return dlt.read("bad")

        @dlt.table
        def fine():
            return spark.range(2)

    result = run(pipeline, spark=spark, warehouse=tmp_path)
    assert result.status == "FAILED"
    assert isinstance(result.error, DatasetFailed)
    assert result.error.dataset == "bad"


def test_runtime_failure_skips_downstream(spark, tmp_path):
    def pipeline():
        @dlt.table
        def bad():
            return spark.range(3).selectExpr("assert_true(id < 1) AS x")

        @dlt.table
        def after_bad():
            return dlt.read("bad")

        @dlt.table
        def fine():
            return spark.range(2)

    result = run(pipeline, spark=spark, warehouse=tmp_path)
    assert result.status == "FAILED"
    statuses = {name: d.status for name, d in result.datasets.items()}
    assert statuses == {"bad": "FAILED", "after_bad": "SKIPPED", "fine": "COMPLETED"}
    assert result.table("fine").count() == 2


def test_rerun_rewrites_and_catalog_sees_the_new_version(spark, tmp_path):
    size = {"n": 3}

    def pipeline():
        @dlt.table(comment="numbers")
        def sized():
            return spark.range(size["n"])

    assert run(pipeline, spark=spark, warehouse=tmp_path).datasets["sized"].output_rows == 3
    size["n"] = 7
    again = run(pipeline, spark=spark, warehouse=tmp_path)
    assert again.datasets["sized"].output_rows == 7
    assert spark.table("default.sized").count() == 7
    versions = [p.name for p in (tmp_path / "default" / "sized").iterdir()
                if p.name.startswith("v")]
    assert len(versions) == 1  # older versions are removed after the switch


def test_views_are_not_stored_but_their_expectations_count(spark, tmp_path):
    def pipeline():
        @dlt.view
        @dlt.expect_or_drop("odd", "id % 2 = 1")
        def odds():
            return spark.range(10)

        @dlt.table
        def total():
            return dlt.read("odds").groupBy().count()

    result = run(pipeline, spark=spark, warehouse=tmp_path, schema="views_schema")
    assert result.datasets["odds"].expectations["odd"] == {
        "passed_records": 5, "failed_records": 5}
    assert result.datasets["odds"].output_rows == 5
    assert result.table("total").first()["count"] == 5
    assert not (tmp_path / "views_schema" / "odds").exists()
    assert spark.table("views_schema.total").count() == 1


class QualityPipeline(DLTMetaMixin):
    def __init__(self, spark, init_conf):
        self.spark = spark

    def people(self):
        return self.spark.createDataFrame(
            [(1, 30), (2, 5), (3, None), (4, 50)], "id int, age int")

    def adults(self):
        return self.people()


QUARANTINE_CONF = {"dlt": [
    {"func_name": "people", "kind": "view"},
    {"func_name": "adults", "kind": "table", "expectation_action": "quarantine",
     "expectations": [{"name": "has_age", "constraint": "age IS NOT NULL"},
                      {"name": "adult", "constraint": "age >= 18"}]},
]}


def test_quarantine_routes_failing_rows_with_expectation_names(spark, tmp_path):
    result = run(QualityPipeline(spark, QUARANTINE_CONF), spark=spark, warehouse=tmp_path)
    assert result.status == "COMPLETED", result.error
    assert sorted(r.id for r in result.table("adults").collect()) == [1, 4]
    assert result.datasets["adults"].dropped_rows == 2
    quarantined = {r.id: sorted(r._failed_expectations)
                   for r in result.table("adults_quarantine").collect()}
    assert quarantined == {2: ["adult"], 3: ["adult", "has_age"]}
