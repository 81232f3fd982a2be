"""Pipelines run unchanged: plain `import dlt` files, `pyspark.pipelines` files, mixins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.local import run
from dltflow.quality import DLTMetaMixin

PLAIN_DLT = '''
import dlt
from pyspark.sql import functions as F

@dlt.table(comment="raw numbers")
def raw():
    return spark.range(12).withColumn("kind", F.when(F.col("id") % 3 == 0, "fizz"))

@dlt.view
@dlt.expect_or_drop("is_fizz", "kind IS NOT NULL")
def fizz():
    return spark.read.table("LIVE.raw")

@dlt.table
def fizz_count():
    return spark.sql("SELECT count(*) AS n FROM LIVE.fizz")
'''

PIPELINES_DP = '''
from pyspark import pipelines as dp
from pyspark.sql import SparkSession

spark = SparkSession.active()

@dp.materialized_view
def source_numbers():
    return spark.range(6)

@dp.temporary_view(name="evens")
def evens_view():
    return spark.read.table("source_numbers").filter("id % 2 = 0")

@dp.table
def even_doubled():
    return spark.table("evens").selectExpr("id * 2 AS doubled")

@dp.materialized_view
def summary():
    return spark.sql("SELECT max(doubled) AS top FROM even_doubled")
'''


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_plain_dlt_file_runs_unchanged(spark, tmp_path):
    path = _write(tmp_path, "plain.py", PLAIN_DLT)
    result = run(path, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "COMPLETED", result.error
    assert result.table("fizz_count").first()["n"] == 4
    assert result.datasets["fizz"].expectations["is_fizz"] == {
        "passed_records": 4, "failed_records": 8}
    assert "dlt" not in sys.modules  # the stand-in module is removed afterwards
    assert spark.table("default.raw").count() == 12
    # the temporary views of the LIVE rewrite never hide catalog tables
    assert not any(t.name == "raw" and t.isTemporary for t in spark.catalog.listTables())


def test_pyspark_pipelines_file_runs_unchanged(spark, tmp_path):
    path = _write(tmp_path, "sdp.py", PIPELINES_DP)
    result = run(path, spark=spark, warehouse=tmp_path / "wh", schema="sdp")
    assert result.status == "COMPLETED", result.error
    assert sorted(result.datasets) == ["even_doubled", "evens", "source_numbers", "summary"]
    assert result.table("summary").first()["top"] == 8
    assert sorted(r.doubled for r in spark.table("sdp.even_doubled").collect()) == [0, 4, 8]
    assert not any(t.isTemporary and t.name == "even_doubled"
                   for t in spark.catalog.listTables())


class MyPipeline(DLTMetaMixin):
    """The README's example."""

    def __init__(self, spark: SparkSession, init_conf: dict):
        self.spark = spark

    def read(self) -> DataFrame:
        return self.spark.createDataFrame([(i,) for i in range(20)], "value int")

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn("result", F.col("value") % 13)

    def orchestrate(self) -> DataFrame:
        return self.transform(self.read())


README_CONF = {"dlt": {"func_name": "orchestrate", "kind": "table",
                       "expectations": [{"name": "check_result", "constraint": "result < 10"}]}}


def test_mixin_instance_runs_with_allow(spark, tmp_path):
    result = run(MyPipeline(spark, init_conf=README_CONF), spark=spark, warehouse=tmp_path)
    assert result.status == "COMPLETED", result.error
    expected_failed = spark.range(20).filter("id % 13 >= 10").count()
    assert result.datasets["orchestrate"].expectations["check_result"] == {
        "passed_records": 20 - expected_failed, "failed_records": expected_failed}
    assert result.datasets["orchestrate"].output_rows == 20  # allow keeps every row


MIXIN_FILE = '''
from pyspark.sql import functions as F
from dltflow.quality import DLTMetaMixin


class Chain(DLTMetaMixin):
    def __init__(self, spark, init_conf=None):
        self.spark = spark

    def numbers(self):
        return self.spark.range(10)

    def squares(self):
        return self.numbers().withColumn("sq", F.col("id") * F.col("id"))
'''

MIXIN_CONF = '''
dlt:
  - func_name: numbers
    kind: view
  - func_name: squares
    kind: table
    expectation_action: drop
    expectations:
      - {name: small, constraint: "sq < 50"}
    write_opts: {name: small_squares}
'''


def test_mixin_file_with_conf_path(spark, tmp_path):
    path = _write(tmp_path, "chain.py", MIXIN_FILE)
    conf = _write(tmp_path, "chain.yml", MIXIN_CONF)
    result = run(path, conf=conf, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "COMPLETED", result.error
    assert result.datasets["small_squares"].output_rows == 8
    assert result.datasets["small_squares"].dropped_rows == 2


def test_run_rejects_what_is_not_a_definition(spark: SparkSession, tmp_path: Path) -> None:
    from dltflow.exceptions import ConfigError

    with pytest.raises(ConfigError, match="cannot run"):
        run(42, spark=spark, warehouse=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="conf= is the config of a pipeline file"):
        run(lambda: None, conf={"dlt": []}, spark=spark, warehouse=tmp_path)
