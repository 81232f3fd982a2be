"""The original dltflow README example, runnable as written.

``orchestrate`` becomes the table ``orchestrate`` (see ``conf/simple.yml``) with the
expectation ``result < 10`` and action ``allow``: two of the five rows fail it, are kept,
and are counted. Run it with::

    dltflow run samples/pipelines/simple.py --conf conf/simple.yml
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession

from dltflow.quality import DLTMetaMixin


class SimplePipeline(DLTMetaMixin):
    """Reads a small DataFrame, adds ``result = col1 + col2``, and returns it."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any] | None = None) -> None:
        self.spark = spark
        self.init_conf = init_conf

    def read(self) -> DataFrame:
        return self.spark.createDataFrame(
            [(1, 2), (5, 8), (1, 5), (4, 9), (3, 3)], ["col1", "col2"])

    def transform(self, df: DataFrame) -> DataFrame:
        return df.withColumn("result", df["col1"] + df["col2"])

    def orchestrate(self) -> DataFrame:
        df = self.read()
        return self.transform(df)
