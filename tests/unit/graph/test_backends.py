"""The exact decorator calls that reach Databricks' ``dlt`` and ``pyspark.pipelines``."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from dltflow.graph.backend import pipeline_registry
from dltflow.quality import ConfigError, DLTMetaMixin
from tests.support.recorders import dlt_recorder, pipelines_recorder


class Orders(DLTMetaMixin):
    def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
        self.spark = spark

    def raw(self) -> DataFrame:
        return self.spark.createDataFrame([(1, 5.0), (2, -1.0), (3, None)],
                                          "id int, amount double")

    def clean(self) -> DataFrame:
        return self.raw().filter("id > 0")

    def audited(self) -> DataFrame:
        return self.clean()


CONF = {"dlt": [
    {"func_name": "raw", "kind": "view",
     "expectations": [{"name": "has_id", "constraint": "id IS NOT NULL"}]},
    {"func_name": "clean", "kind": "table", "expectation_action": "drop",
     "write_opts": {"name": "clean_orders", "comment": "valid orders",
                    "partition_cols": ["id"], "table_properties": {"quality": "silver"}},
     "expectations": [{"name": "positive", "constraint": "amount > 0"},
                      {"name": "present", "constraint": "amount IS NOT NULL"},
                      {"name": "small_id", "constraint": "id < 100", "action": "fail"}]},
    {"func_name": "audited", "kind": "materialized_view",
     "expectations": [{"name": "positive", "constraint": "amount > 0",
                       "action": "quarantine"}]},
]}


@pytest.fixture
def dlt_module(monkeypatch: pytest.MonkeyPatch, spark: SparkSession) -> Any:
    upstream = Orders(spark, CONF).raw.method()
    recorder, module = dlt_recorder(reader=lambda name, streaming: upstream)
    monkeypatch.setitem(sys.modules, "dlt", module)
    monkeypatch.setenv("DLTFLOW_BACKEND", "dlt")
    return recorder


def test_dlt_backend_receives_the_exact_calls(spark: SparkSession, dlt_module: Any) -> None:
    pipeline = Orders(spark, init_conf=CONF)
    assert pipeline.clean() is None  # a top-level call registers everything
    pipeline.raw()  # a second call registers nothing more
    assert dlt_module.calls == [
        ("expect", {"name": "has_id", "inv": "id IS NOT NULL"}),
        ("view", {"name": "raw"}),
        ("expect_all_or_drop", {"expectations": {"positive": "amount > 0",
                                                 "present": "amount IS NOT NULL"}}),
        ("expect_or_fail", {"name": "small_id", "inv": "id < 100"}),
        ("table", {"name": "clean_orders", "comment": "valid orders",
                   "table_properties": {"quality": "silver"}, "partition_cols": ["id"]}),
        ("expect_or_drop", {"name": "positive", "inv": "amount > 0"}),
        ("table", {"name": "audited"}),
        ("table", {"name": "audited_quarantine",
                   "comment": "Rows of audited that failed a quarantine expectation."}),
    ]


def test_nested_calls_become_dlt_reads(spark: SparkSession, dlt_module: Any) -> None:
    Orders(spark, init_conf=CONF).register_datasets()
    dlt_module.calls.clear()
    result = dlt_module.decorated["clean_orders"]()
    assert dlt_module.calls == [("read", {"name": "raw"})]
    assert result.count() == 3


def test_quarantine_table_holds_failing_rows_with_names(spark: SparkSession,
                                                        dlt_module: Any) -> None:
    Orders(spark, init_conf=CONF).register_datasets()
    rows = dlt_module.decorated["audited_quarantine"]().collect()
    assert sorted((r.id, tuple(r._failed_expectations)) for r in rows) == [
        (2, ("positive",)), (3, ("positive",))]


def test_databricks_runtime_selects_dlt_automatically(
        spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, module = dlt_recorder()
    monkeypatch.setitem(sys.modules, "dlt", module)
    monkeypatch.delenv("DLTFLOW_BACKEND", raising=False)
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    Orders(spark, init_conf=CONF).raw()
    assert "view" in recorder.names()


def test_off_databricks_there_is_no_pipeline_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLTFLOW_BACKEND", raising=False)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert pipeline_registry() is None
    monkeypatch.setenv("DLTFLOW_BACKEND", "local")
    assert pipeline_registry() is None


def test_unknown_backend_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLTFLOW_BACKEND", "snowflake")
    with pytest.raises(ConfigError) as info:
        pipeline_registry()
    assert "snowflake" in str(info.value)


def test_pyspark_pipelines_backend(spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, module = pipelines_recorder()
    monkeypatch.setitem(sys.modules, "pyspark.pipelines", module)
    monkeypatch.setenv("DLTFLOW_BACKEND", "pyspark.pipelines")
    with pytest.warns(UserWarning, match="cannot track 'allow'"):
        Orders(spark, init_conf=CONF).register_datasets()
    assert recorder.calls == [
        ("temporary_view", {"name": "raw"}),
        ("materialized_view", {"name": "clean_orders", "comment": "valid orders",
                               "table_properties": {"quality": "silver"},
                               "partition_cols": ["id"]}),
        ("materialized_view", {"name": "audited"}),
        ("materialized_view", {"name": "audited_quarantine",
                               "comment": "Rows of audited that failed a quarantine "
                                          "expectation."}),
    ]
    # No expectation decorators in open-source pipelines: drop is enforced in the query.
    Orders(spark, CONF).raw.method().createOrReplaceTempView("raw")
    try:
        clean = recorder.decorated["clean_orders"]()
        assert [r.id for r in clean.collect()] == [1]
    finally:
        spark.catalog.dropTempView("raw")


def test_options_a_runtime_lacks_are_dropped_with_a_warning(
        spark: SparkSession, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder, module = pipelines_recorder()
    monkeypatch.setitem(sys.modules, "pyspark.pipelines", module)
    monkeypatch.setenv("DLTFLOW_BACKEND", "pyspark.pipelines")
    conf = {"dlt": {"func_name": "raw", "write_opts": {"path": "/mnt/x"}}}
    with pytest.warns(UserWarning, match="does not accept \\['path'\\]"):
        Orders(spark, conf).register_datasets()
    assert recorder.calls == [("materialized_view", {"name": "raw"})]


def test_one_forwarding_registry_per_runtime_module(dlt_module: Any) -> None:
    """A pipeline registers once per registry: the same update must see the same one,
    also when the first registry object would be garbage-collected in between."""
    first = pipeline_registry()
    first_id = id(first)
    del first
    again = pipeline_registry()
    assert id(again) == first_id and again is pipeline_registry()
