"""DLTMetaMixin in plain Python and inside a pipeline definition."""

from __future__ import annotations

import abc
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.graph import DatasetRead, InMemoryRegistry, Table, View, registration_context
from dltflow.quality import ConfigError, DLTMetaMixin, ExpectationFailed


class ReadmePipeline(DLTMetaMixin):
    """The original dltflow README example."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
        self.spark = spark

    def read(self) -> DataFrame:
        return self.spark.createDataFrame([(i,) for i in range(20)], "value int")

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn("result", F.col("value") % 13)

    def orchestrate(self) -> DataFrame:
        return self.transform(self.read())


def _conf(action: str = "allow", **entry: Any) -> dict[str, Any]:
    return {"dlt": {"func_name": "orchestrate", "kind": "table", "expectation_action": action,
                    "expectations": [{"name": "small", "constraint": "result < 10"}], **entry}}


def _expected_failures() -> int:
    """Computed independently of Spark: how many of the 20 rows have result >= 10."""
    return sum(1 for i in range(20) if not i % 13 < 10)


def test_readme_example_allow_keeps_rows_and_counts(spark: SparkSession) -> None:
    pipeline = ReadmePipeline(spark, init_conf=_conf("allow"))
    result = pipeline.orchestrate()
    failed = _expected_failures()
    assert result.count() == 20
    assert pipeline.expectation_metrics["orchestrate"]["small"] == {
        "passed_records": 20 - failed, "failed_records": failed}


def test_drop_filters_the_failing_rows(spark: SparkSession) -> None:
    pipeline = ReadmePipeline(spark, init_conf=_conf("drop"))
    expected = pipeline.transform(pipeline.read()).filter("result < 10")
    assert_df_equality(pipeline.orchestrate(), expected, ignore_row_order=True)
    assert pipeline.expectation_metrics["orchestrate"]["small"]["failed_records"] == \
        _expected_failures()


def test_fail_raises_naming_dataset_expectation_and_a_row(spark: SparkSession) -> None:
    pipeline = ReadmePipeline(spark, init_conf=_conf("fail", write_opts={"name": "results"}))
    with pytest.raises(ExpectationFailed) as info:
        pipeline.orchestrate()
    error = info.value
    failed = _expected_failures()
    assert (error.dataset, error.expectation, error.failed_records) == ("results", "small", failed)
    assert error.record is not None and not error.record["result"] < 10
    assert pipeline.expectation_metrics["results"]["small"]["failed_records"] == failed


def test_null_results_count_as_failures(spark: SparkSession) -> None:
    class Nulls(DLTMetaMixin):
        def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
            self.spark = spark

        def orchestrate(self) -> DataFrame:
            return self.spark.createDataFrame([(1,), (None,), (50,)], "result int")

    pipeline = Nulls(spark, _conf("drop"))
    assert [r.result for r in pipeline.orchestrate().collect()] == [1]
    assert pipeline.expectation_metrics["orchestrate"]["small"]["failed_records"] == 2


class People(DLTMetaMixin):
    """Several datasets in one class, with nested calls."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
        self.spark = spark

    def raw(self) -> DataFrame:
        return self.spark.createDataFrame(
            [(1, "ann", 34), (2, "bob", 7), (3, None, 55)], "id int, name string, age int")

    def adults(self) -> DataFrame:
        return self.raw().filter("age >= 18")

    def named(self) -> DataFrame:
        return self.adults().filter("name IS NOT NULL")

    def scale(self, df: DataFrame, factor: int) -> DataFrame:
        return df.withColumn("age", F.col("age") * factor)


PEOPLE_CONF = {"dlt": [
    {"func_name": "raw", "kind": "view",
     "expectations": [{"name": "has_name", "constraint": "name IS NOT NULL"}]},
    {"func_name": "adults", "kind": "materialized_view", "expectation_action": "drop",
     "expectations": [{"name": "sane_age", "constraint": "age < 50"}]},
    {"func_name": "named", "write_opts": {"name": "named_adults", "comment": "c"}},
    {"func_name": "scale", "expectations": [{"name": "positive", "constraint": "age > 0"}]},
]}


def test_several_datasets_in_plain_python(spark: SparkSession) -> None:
    pipeline = People(spark, init_conf=PEOPLE_CONF)
    assert [r.id for r in pipeline.named().collect()] == [1]
    assert pipeline.expectation_metrics["raw"]["has_name"] == {"passed_records": 2,
                                                               "failed_records": 1}
    assert pipeline.expectation_metrics["adults"]["sane_age"]["failed_records"] == 1
    scaled = pipeline.scale(pipeline.raw(), 2)
    assert sorted(r.age for r in scaled.collect()) == [14, 68, 110]


def test_first_call_registers_all_datasets_once(spark: SparkSession) -> None:
    registry = InMemoryRegistry()
    pipeline = People(spark, init_conf=PEOPLE_CONF)
    with registration_context(registry):
        assert pipeline.named() is None
        pipeline.adults()
    names = [d.name for d in registry.datasets]
    assert names == ["raw", "adults", "named_adults"]  # `scale` takes arguments: not a dataset
    assert isinstance(registry.dataset("raw"), View)
    adults = registry.dataset("adults")
    assert isinstance(adults, Table) and adults.kind == "materialized_view"
    assert [(e.name, e.action) for e in adults.expectations] == [("sane_age", "drop")]
    assert registry.dataset("named_adults").comment == "c"


def test_nested_calls_read_the_upstream_dataset(spark: SparkSession) -> None:
    upstream = spark.createDataFrame([(7, None, 40), (8, "eve", 41)],
                                     "id int, name string, age int")
    registry = InMemoryRegistry(reader=lambda name, streaming: upstream)
    pipeline = People(spark, init_conf=PEOPLE_CONF)
    with registration_context(registry):
        pipeline.register_datasets()
        query = registry.dataset("named_adults").query
        assert query is not None
        assert [r.id for r in query().collect()] == [8]
    assert registry.reads == [DatasetRead("adults", False)]


def test_method_with_arguments_is_applied_inline_with_a_warning(spark: SparkSession) -> None:
    registry = InMemoryRegistry()
    pipeline = People(spark, init_conf=PEOPLE_CONF)
    df = spark.createDataFrame([(1, "a", -3), (2, "b", 4)], "id int, name string, age int")
    with registration_context(registry), pytest.warns(UserWarning, match="applied inline"):
        scaled = pipeline.scale(df, 2)
    assert [r.age for r in scaled.collect()] == [-6, 8]  # allow: kept, nothing registered
    assert registry.datasets == []


def test_a_class_that_is_also_an_abc(spark: SparkSession) -> None:
    class Base(abc.ABC):
        @abc.abstractmethod
        def source(self) -> DataFrame: ...

    class Concrete(Base, DLTMetaMixin):
        def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
            self.spark = spark

        def source(self) -> DataFrame:
            return self.spark.range(3)

    class Incomplete(Base, DLTMetaMixin):
        pass

    conf = {"dlt": {"func_name": "source", "expectations": [{"name": "lt2",
                                                             "constraint": "id < 2"}]}}
    concrete = Concrete(spark, init_conf=conf)
    assert concrete.source().count() == 3
    assert concrete.expectation_metrics["source"]["lt2"]["failed_records"] == 1
    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_config_found_on_attributes_positionally_and_on_argv(
        spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class FromAttribute(ReadmePipeline):
        def __init__(self, spark: SparkSession) -> None:  # type: ignore[override]
            self.spark = spark
            self.config = _conf("drop")

    assert FromAttribute(spark).orchestrate().count() == 20 - _expected_failures()
    assert ReadmePipeline(spark, _conf("drop")).orchestrate().count() == 20 - _expected_failures()

    path = tmp_path / "conf.yml"
    path.write_text(yaml.safe_dump(_conf("drop")))

    class FromArgv(ReadmePipeline):
        def __init__(self, spark: SparkSession) -> None:  # type: ignore[override]
            self.spark = spark

    monkeypatch.setattr(sys, "argv", ["prog", "--conf-file", str(path)])
    assert FromArgv(spark).orchestrate().count() == 20 - _expected_failures()
    monkeypatch.setattr(sys, "argv", ["prog", f"--conf={path}"])
    assert FromArgv(spark).orchestrate().count() == 20 - _expected_failures()


def test_classes_without_a_dlt_config_are_untouched(spark: SparkSession) -> None:
    class Plain(DLTMetaMixin):
        def __init__(self, conf: dict[str, Any]) -> None:
            self.conf = conf

        def value(self) -> int:
            return 42

    plain = Plain({"reader": {"path": "x"}})
    assert plain.value() == 42
    assert Plain.__init__ is not DLTMetaMixin.__init__


def test_missing_method_is_a_config_error_naming_the_entry(spark: SparkSession) -> None:
    with pytest.raises(ConfigError) as info:
        ReadmePipeline(spark, {"dlt": [{"func_name": "orchestrate"}, {"func_name": "nope"}]})
    text = str(info.value)
    assert "dlt[1] (func_name=nope)" in text and "ReadmePipeline" in text
    assert "orchestrate" in (info.value.hint or "")


def test_invalid_config_is_raised_before_anything_runs(spark: SparkSession) -> None:
    calls = []

    class Spy(ReadmePipeline):
        def orchestrate(self) -> DataFrame:
            calls.append(1)
            return super().orchestrate()

    with pytest.raises(ConfigError):
        Spy(spark, {"dlt": {"func_name": "orchestrate", "kind": "cube"}})
    assert calls == []
