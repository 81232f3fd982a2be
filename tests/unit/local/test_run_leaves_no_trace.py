"""After ``run()`` returns, the user's session and modules are as they were: the
patches are removed, nothing of dltflow's is stored on the session, and the
pipeline's configuration is unset again."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import SparkSession

from dltflow.local import run
from tests.support.patch_state import patch_state

PIPELINE = '''
import dlt
from pyspark import pipelines as dp

@dp.table
def numbers():
    return spark.range(5).withColumnRenamed("id", "n")

@dlt.table
@dp.expect_or_drop("even", "n % 2 = 0")
def evens():
    dbutils.widgets.get("region")
    return spark.read.table("LIVE.numbers")

@dp.materialized_view
def total():
    return spark.sql("SELECT count(*) AS c FROM LIVE.evens")
'''


def test_a_run_leaves_the_session_and_modules_as_they_were(spark: SparkSession,
                                                             tmp_path: Path) -> None:
    source = tmp_path / "pipeline.py"
    source.write_text(PIPELINE)
    before, attributes = patch_state(), set(vars(spark))
    result = run(source, spark=spark, warehouse=tmp_path / "wh",
                 configuration={"region": "eu"})
    assert result.status == "COMPLETED", result.error
    assert result.table("total").collect()[0]["c"] == 3
    assert patch_state() == before
    assert set(vars(spark)) - attributes <= {"conf"}  # pyspark caches spark.conf itself
    assert not [name for name in vars(spark) if "dltflow" in name]
    assert spark.conf.get("region", None) is None
