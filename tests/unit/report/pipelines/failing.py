"""A run with a failed dataset, a skipped one downstream of it, and a quarantine table.

The medium sample's people, plus ``bins`` with a ``fail`` expectation that some age bin
violates (so ``bins`` fails and ``bin_totals`` downstream is skipped), while
``working_age`` and its quarantine table complete independently.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.quality import DLTMetaMixin

PEOPLE = [("ann", 34, "NL"), ("bob", 71, "US"), ("cy", 15, "NL"), ("di", 42, "FR"),
          ("ed", 8, "DE"), ("flo", 45, "US"), ("gus", 68, "NL"), ("hal", 39, "FR")]

CONF: dict[str, Any] = {"dlt": [
    {"func_name": "people", "kind": "table", "expectation_action": "drop",
     "expectations": [{"name": "plausible_age", "constraint": "age BETWEEN 10 AND 100"}]},
    {"func_name": "bins", "kind": "materialized_view", "expectation_action": "fail",
     "expectations": [{"name": "crowded_bin", "constraint": "people >= 2"}]},
    {"func_name": "bin_totals", "kind": "materialized_view"},
    {"func_name": "working_age", "kind": "table", "expectation_action": "quarantine",
     "expectations": [{"name": "below_retirement", "constraint": "age < 67"}]},
]}


class FailingPipeline(DLTMetaMixin):
    """People binned by age (one bin too small: the update fails there)."""

    def __init__(self, spark: SparkSession, init_conf: Any = None) -> None:
        self.spark = spark
        self.init_conf = init_conf

    def people(self) -> DataFrame:
        return self.spark.createDataFrame(PEOPLE, "name string, age int, country string")

    def bins(self) -> DataFrame:
        binned = self.people().withColumn("bin", (F.floor(F.col("age") / 10) * 10).cast("int"))
        return binned.groupBy("bin").agg(F.count(F.lit(1)).alias("people"))

    def bin_totals(self) -> DataFrame:
        return self.bins().agg(F.sum("people").alias("people"))

    def working_age(self) -> DataFrame:
        return self.people().filter(F.col("age") >= 18)
