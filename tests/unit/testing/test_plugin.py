"""The pytest plugin: ``spark`` is one session, ``run_pipeline`` runs in a tmp warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.exceptions import GraphError
from dltflow.quality import DLTMetaMixin
from dltflow.testing.plugin import RunPipeline

CONF = {"dlt": [
    {"func_name": "numbers", "kind": "table", "expectation_action": "drop",
     "expectations": [{"name": "even", "constraint": "id % 2 = 0"}]},
    {"func_name": "squares", "kind": "table",
     "expectations": [{"name": "small", "constraint": "square < 20"}]},
]}


class Numbers(DLTMetaMixin):
    def __init__(self, spark: SparkSession, init_conf: Any = None) -> None:
        self.spark = spark

    def numbers(self) -> DataFrame:
        return self.spark.range(10)

    def squares(self) -> DataFrame:
        return self.numbers().selectExpr("id", "id * id AS square")


def test_plugin_is_registered(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("dltflow")


def test_spark_is_one_session(spark: SparkSession) -> None:
    assert SparkSession.getActiveSession() is spark


def test_run_pipeline_with_a_class(run_pipeline: RunPipeline, spark: SparkSession,
                                   dltflow_warehouse: Path) -> None:
    result = run_pipeline(Numbers, conf=CONF)
    assert result.status == "COMPLETED"
    assert result.warehouse == dltflow_warehouse.resolve()
    assert result.datasets["numbers"].output_rows == 5
    assert result.datasets["numbers"].expectations == {
        "even": {"passed_records": 5, "failed_records": 5}}
    # squares of 0, 2, 4, 6, 8: 0, 4, 16 are below 20
    assert result.datasets["squares"].expectations == {
        "small": {"passed_records": 3, "failed_records": 2}}
    expected = spark.createDataFrame([(i, i * i) for i in range(0, 10, 2)], "id long, square long")
    assert_df_equality(result.table("squares"), expected, ignore_row_order=True,
                       ignore_nullable=True)


def test_run_pipeline_with_an_instance_and_options(run_pipeline: RunPipeline,
                                                   spark: SparkSession) -> None:
    result = run_pipeline(Numbers(spark, init_conf=CONF), select=["numbers"],
                          schema="plugin_test")
    assert sorted(result.datasets) == ["numbers"]
    assert spark.table("plugin_test.numbers").count() == 5


def test_each_test_gets_a_fresh_warehouse(run_pipeline: RunPipeline,
                                          dltflow_warehouse: Path) -> None:
    assert not dltflow_warehouse.exists()
    run_pipeline(Numbers, conf=CONF)
    assert (dltflow_warehouse / "default" / "numbers").is_dir()


def test_failing_update_comes_back_failed(run_pipeline: RunPipeline) -> None:
    conf = {"dlt": {"func_name": "numbers", "expectation_action": "fail",
                    "expectations": [{"name": "even", "constraint": "id % 2 = 0"}]}}
    result = run_pipeline(Numbers, conf=conf)
    assert result.status == "FAILED"
    assert result.error is not None and getattr(result.error, "expectation", None) == "even"


def test_definition_errors_are_raised(run_pipeline: RunPipeline, tmp_path: Path) -> None:
    source = tmp_path / "broken.py"
    source.write_text("import dlt\n\n@dlt.table\ndef t():\n    return dlt.read('missing')\n",
                      encoding="utf-8")
    with pytest.raises(GraphError) as caught:
        run_pipeline(source)
    assert "missing" in caught.value.names
