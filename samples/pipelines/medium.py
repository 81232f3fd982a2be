"""Several datasets in one class: a view, tables built from it by nested calls,
``drop`` and ``fail`` expectations, and a quarantine.

The lineage (see ``conf/medium.yml``)::

    raw_people (view) -> people (table) -> age_bins (table)
                                        -> working_age (table) + working_age_quarantine

Calling ``self.people()`` inside ``age_bins`` reads the ``people`` dataset, so the
graph records the dependency; ``_between`` is a plain helper applied inline.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.quality import DLTMetaMixin

PEOPLE = [
    ("Alice", 34, "NL"), ("Bob", 45, "US"), ("Charlie", 56, "US"), ("David", 23, "FR"),
    ("Eve", 78, "NL"), ("Frank", 34, "DE"), ("Grace", 56, "US"), ("Heidi", 45, "DE"),
    ("Ivan", 99, "FR"), ("Judy", 23, "US"), ("Kevin", 45, "NL"), ("Lana", 56, "US"),
    ("Mona", 105, "DE"), ("Nina", 34, "FR"), ("Omar", 56, "NL"), ("Pam", 45, "US"),
    ("Quinn", 99, "DE"), ("Rita", 23, "FR"), ("Steve", 45, "US"), ("Tina", 115, "NL"),
    ("Uma", 78, "DE"), ("Vera", 34, "US"), ("Wendy", 56, "FR"), ("Xander", 45, "NL"),
    ("Yara", 1, "US"), ("Zack", 23, "DE"),
]


class MediumPipeline(DLTMetaMixin):
    """People, cleaned, binned by age, and split by working age."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any] | None = None) -> None:
        self.spark = spark
        self.init_conf = init_conf

    def raw_people(self) -> DataFrame:
        return self.spark.createDataFrame(PEOPLE, "name string, age int, country string")

    def people(self) -> DataFrame:
        return self.raw_people().withColumn("name", F.upper("name"))

    def age_bins(self) -> DataFrame:
        people = self.people()
        binned = people.withColumn("age_bin", (F.floor(F.col("age") / 10) * 10).cast("int"))
        return binned.groupBy("age_bin").agg(F.count(F.lit(1)).alias("people"))

    def working_age(self) -> DataFrame:
        return self._between(self.people(), 18, 120)

    @staticmethod
    def _between(df: DataFrame, low: int, high: int) -> DataFrame:
        return df.filter(F.col("age").between(low, high))
