"""Databricks' ``from pyspark import pipelines as dp`` as the docs write it, run locally.

The pipeline is shaped like the Databricks tutorial's CDC pipeline: Auto Loader bronze,
a cleaned view with ``dp.expect_or_drop``, AUTO CDC into an SCD 1 and an SCD 2 table,
and a materialized view. The input has violating rows, out-of-order changes and
deletes; the expected tables are computed here in plain Python.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession

from dltflow.local import run

pytestmark = pytest.mark.sail  # `make test` runs these again on the Sail engine

DP_PIPELINE = '''
from pyspark import pipelines as dp
from pyspark.sql.functions import col, expr

LANDING = spark.conf.get("tutorial.landing")

@dp.table(comment="Raw customer changes, as they land")
def customers_cdc_bronze():
    return (spark.readStream.format("cloudFiles")
            .option("cloudFiles.format", "json")
            .option("cloudFiles.inferColumnTypes", "true")
            .load(LANDING))

@dp.temporary_view
@dp.expect_or_drop("valid_id", "id IS NOT NULL")
@dp.expect("valid_name", "name IS NOT NULL OR operation = 'DELETE'")
def customers_cdc_clean():
    return spark.readStream.table("customers_cdc_bronze").select(
        "id", "name", "city", "operation", "operation_date")

dp.create_streaming_table("customers", comment="Current customers (SCD 1)")
dp.create_auto_cdc_flow(
    target="customers", source="customers_cdc_clean", keys=["id"],
    sequence_by=col("operation_date"), apply_as_deletes=expr("operation = 'DELETE'"),
    except_column_list=["operation", "operation_date"], stored_as_scd_type=1)

dp.create_streaming_table("customers_history", private=False)
dp.create_auto_cdc_flow(
    target="customers_history", source="customers_cdc_clean", keys=[col("id")],
    sequence_by="operation_date", apply_as_deletes=expr("operation = 'DELETE'"),
    except_column_list=[col("operation"), "operation_date"], stored_as_scd_type="2",
    name="customers_history_flow")

@dp.materialized_view(private=True)
def city_counts():
    return spark.read.table("customers").groupBy("city").count()

@dp.materialized_view
def cities():
    return spark.read.table("city_counts").select("city")
'''

# (id, name, city, operation, operation_date); files land out of sequence order.
EVENTS = [
    [(1, "Ann", "Oslo", "INSERT", 1), (2, "Bob", "Rome", "INSERT", 2),
     (3, "Cid", "Oslo", "INSERT", 3), (None, "Nil", "Nowhere", "INSERT", 4),
     (1, "Ann", "Bergen", "UPDATE", 6)],
    [(1, "Ann", "Paris", "UPDATE", 5),            # older than seq 6: loses in SCD 1
     (2, None, None, "DELETE", 7), (4, "Dee", "Rome", "INSERT", 8),
     (3, "Cid", "Lima", "UPDATE", 9), (None, "Zed", "Nowhere", "UPDATE", 10)],
]


def _land(folder: Path, batch: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    keys = ("id", "name", "city", "operation", "operation_date")
    lines = [json.dumps(dict(zip(keys, e, strict=True))) for e in EVENTS[batch]]
    (folder / f"changes_{batch}.json").write_text("\n".join(lines) + "\n")


def _expected(events: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """SCD 1 rows (id, name, city) and SCD 2 rows (id, name, city, start, end)."""
    by_key: dict[int, list[tuple]] = {}
    for e in events:
        if e[0] is not None:
            by_key.setdefault(e[0], []).append(e)
    scd1, scd2 = [], []
    for key, changes in by_key.items():
        changes.sort(key=lambda e: e[4])
        last = changes[-1]
        if last[3] != "DELETE":
            scd1.append((key, last[1], last[2]))
        for i, e in enumerate(changes):
            if e[3] == "DELETE":
                continue
            end = changes[i + 1][4] if i + 1 < len(changes) else None
            scd2.append((key, e[1], e[2], e[4], end))
    return scd1, scd2


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "customers_pipeline.py"
    path.write_text(textwrap.dedent(DP_PIPELINE))
    return path


def test_dp_pipeline_runs_as_published(spark: SparkSession, pipeline: Path,
                                       tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    conf = {"tutorial.landing": str(landing)}
    seen: list[tuple] = []
    for batch in range(2):
        _land(landing, batch)
        seen += EVENTS[batch]
        result = run(pipeline, spark=spark, warehouse=warehouse, configuration=conf)
        assert result.status == "COMPLETED", result.error
        scd1, scd2 = _expected(seen)
        assert_df_equality(result.table("customers").select("id", "name", "city"),
                           spark.createDataFrame(scd1, "id long, name string, city string"),
                           ignore_row_order=True, ignore_nullable=True)
        history = result.table("customers_history").select(
            "id", "name", "city", "__START_AT", "__END_AT")
        assert_df_equality(history, spark.createDataFrame(
            scd2, "id long, name string, city string, __START_AT long, __END_AT long"),
            ignore_row_order=True, ignore_nullable=True)
    dropped = [e for e in EVENTS[1] if e[0] is None]
    assert result.datasets["customers_cdc_clean"].expectations["valid_id"] == {
        "passed_records": len(EVENTS[1]) - len(dropped), "failed_records": len(dropped)}
    cities = {r.city for r in result.table("cities").collect()}
    assert cities == {c for _, _, c in _expected(seen)[0]}


def test_dp_module_is_restored_after_the_run(spark: SparkSession, pipeline: Path,
                                            tmp_path: Path) -> None:
    import pyspark
    import pyspark.pipelines as before

    _land(tmp_path / "landing", 0)
    run(pipeline, spark=spark, warehouse=tmp_path / "wh",
        configuration={"tutorial.landing": str(tmp_path / "landing")})
    assert sys.modules["pyspark.pipelines"] is before
    assert pyspark.pipelines is before
    assert not hasattr(before, "expect_or_drop")  # open-source pyspark, untouched
    assert "dlt" not in sys.modules or sys.modules["dlt"].__name__ != "dltflow.graph.api"


def test_private_materialized_view_is_not_published(spark: SparkSession, pipeline: Path,
                                                    tmp_path: Path) -> None:
    _land(tmp_path / "landing", 0)
    result = run(pipeline, spark=spark, warehouse=tmp_path / "wh",
                 configuration={"tutorial.landing": str(tmp_path / "landing")})
    assert result.status == "COMPLETED", result.error
    tables = {t.name for t in spark.catalog.listTables("default")}
    assert "cities" in tables and "city_counts" not in tables
