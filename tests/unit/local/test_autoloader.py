"""Auto Loader locally, in the shape of Databricks' retail / loans demos: files land in a
folder, Auto Loader feeds a bronze table, a cleaned silver table with expectations and
a quarantine, and gold aggregates; two batches of input, then a full refresh.

Expected tables are computed here in plain Python from the generated rows.
"""

from __future__ import annotations

import json
import random
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from dltflow.exceptions import ConfigError
from dltflow.local import run

RETAIL = textwrap.dedent('''
    import dlt
    from pyspark.sql import functions as F

    landing = spark.conf.get("retail.landing")

    @dlt.create_table(comment="raw orders, as they landed")
    def orders_bronze():
        return (spark.readStream.format("cloudFiles")
                .option("cloudFiles.format", "json")
                .option("cloudFiles.schemaHints", "order_id BIGINT, amount DOUBLE")
                .option("cloudFiles.inferColumnTypes", "true")
                .load(landing)
                .select("*", F.col("_metadata.file_name").alias("source_file")))

    rules = {"valid_amount": "amount IS NOT NULL AND amount > 0",
             "valid_customer": "customer IS NOT NULL"}

    @dlt.table
    @dlt.expect_all_or_drop(rules)
    def orders_silver():
        return dlt.read_stream("orders_bronze").drop("_rescued_data")

    @dlt.table
    def orders_quarantine():
        quarantine = " AND ".join(f"({r})" for r in rules.values())
        return dlt.read_stream("orders_bronze").where(f"NOT ({quarantine})")

    @dlt.table
    def revenue_by_customer():
        return (dlt.read("orders_silver").groupBy("customer")
                .agg(F.sum("amount").alias("revenue"), F.count("*").alias("orders")))
''')


def _orders(rng: random.Random, start: int, count: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for order_id in range(start, start + count):
        amount: object = round(rng.uniform(-20, 200), 2)
        if order_id % 7 == 0:
            amount = "n/a"  # does not fit DOUBLE: rescued, amount NULL
        customer = rng.choice(["ana", "bo", "cy", None])
        rows.append({"order_id": order_id, "customer": customer, "amount": amount})
    return rows


def _land(folder: Path, name: str, rows: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.rename(folder / name)


def _valid(row: dict[str, object]) -> bool:
    amount = row["amount"]
    return isinstance(amount, float) and amount > 0 and row["customer"] is not None


def _revenue(rows: list[dict[str, object]]) -> dict[str, tuple[float, int]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for row in rows:
        if _valid(row):
            slot = totals[str(row["customer"])]
            slot[0] += float(row["amount"])  # type: ignore[arg-type]
            slot[1] += 1
    return {k: (round(v[0], 2), int(v[1])) for k, v in totals.items()}


def _check_tables(result, rows: list[dict[str, object]]) -> None:
    bronze = {r.order_id: r for r in result.table("orders_bronze").collect()}
    assert sorted(bronze) == sorted(int(r["order_id"]) for r in rows)  # type: ignore[call-overload]
    for row in rows:
        stored = bronze[int(row["order_id"])]  # type: ignore[call-overload]
        if isinstance(row["amount"], str):
            assert stored.amount is None
            rescued = json.loads(stored._rescued_data)
            assert rescued["amount"] == row["amount"]
            assert rescued["_file_path"].endswith(stored.source_file)
        else:
            assert stored.amount == row["amount"] and stored._rescued_data is None
    silver = sorted(r.order_id for r in result.table("orders_silver").collect())
    assert silver == sorted(int(r["order_id"]) for r in rows if _valid(r))  # type: ignore[call-overload]
    quarantine = sorted(r.order_id for r in result.table("orders_quarantine").collect())
    assert quarantine == sorted(int(r["order_id"]) for r in rows if not _valid(r))  # type: ignore[call-overload]
    gold = {r.customer: (round(r.revenue, 2), r.orders)
            for r in result.table("revenue_by_customer").collect()}
    assert gold == _revenue(rows)


def test_retail_pipeline_reads_each_file_once_evolves_and_rebuilds(spark, tmp_path):
    source = tmp_path / "retail.py"
    source.write_text(RETAIL)
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    rng = random.Random(7)
    first_rows = _orders(rng, 1, 30)
    _land(landing, "orders_1.json", first_rows[:15])
    _land(landing, "orders_2.json", first_rows[15:])
    params = {"retail.landing": str(landing)}

    first = run(source, spark=spark, warehouse=warehouse, configuration=params)
    assert first.status == "COMPLETED", first.error
    _check_tables(first, first_rows)
    silver = first.datasets["orders_silver"]
    assert silver.expectations["valid_amount"]["failed_records"] == sum(
        1 for r in first_rows if not (isinstance(r["amount"], float) and r["amount"] > 0))

    # Second batch: a new file, with a column the first files did not have.
    second_rows = [{**r, "channel": "web"} for r in _orders(rng, 31, 12)]
    _land(landing, "orders_3.json", second_rows)
    second = run(source, spark=spark, warehouse=warehouse, configuration=params)
    assert second.status == "COMPLETED", second.error
    assert second.datasets["orders_bronze"].output_rows == len(second_rows)  # only new
    every = first_rows + second_rows
    _check_tables(second, every)
    channels = {r.order_id: r.channel for r in second.table("orders_bronze").collect()}
    assert {channels[i] for i in range(31, 43)} == {"web"}
    assert {channels[i] for i in range(1, 31)} == {None}

    third = run(source, spark=spark, warehouse=warehouse, configuration=params,
                full_refresh=True)
    assert third.status == "COMPLETED", third.error
    assert third.datasets["orders_bronze"].output_rows == len(every)
    _check_tables(third, every)
    assert spark.conf.get("retail.landing", None) is None  # restored after the run


def _single(spark, landing: Path, **options: str):
    from dltflow.graph import api as dlt

    def pipeline():
        @dlt.table
        def bronze():
            reader = spark.readStream.format("cloudFiles")
            for key, value in options.items():
                reader = reader.option(key, value)
            return reader.load(str(landing))

    return pipeline


def test_rescue_mode_keeps_the_schema_in_schema_location(spark, tmp_path):
    landing, schemas = tmp_path / "in", tmp_path / "schemas"
    _land(landing, "a.json", [{"id": 1, "name": "x"}])
    pipeline = _single(spark, landing, **{
        "cloudFiles.format": "json", "cloudFiles.schemaLocation": str(schemas),
        "cloudFiles.schemaEvolutionMode": "rescue"})
    first = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert first.status == "COMPLETED", first.error
    assert (schemas / "_schemas" / "0").is_file()
    _land(landing, "b.json", [{"id": 2, "name": "y", "colour": "red"}])
    second = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert second.status == "COMPLETED", second.error
    table = second.table("bronze")
    assert table.columns == ["id", "name", "_rescued_data"]  # no evolution in rescue mode
    rows = {r.id: r for r in table.collect()}
    assert rows["1"]._rescued_data is None  # JSON columns are strings without inference
    assert json.loads(rows["2"]._rescued_data)["colour"] == "red"
    assert not (schemas / "_schemas" / "1").exists()


def test_fail_on_new_columns_names_them(spark, tmp_path):
    landing = tmp_path / "in"
    _land(landing, "a.json", [{"id": 1}])
    pipeline = _single(spark, landing, **{"cloudFiles.format": "json",
                                          "cloudFiles.schemaEvolutionMode": "failOnNewColumns"})
    assert run(pipeline, spark=spark, warehouse=tmp_path / "wh").status == "COMPLETED"
    _land(landing, "b.json", [{"id": 2, "surprise": 1}])
    with pytest.raises(Exception, match="surprise"):
        result = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
        raise AssertionError(result.error) if result.error else AssertionError("no error")


def test_csv_with_types_glob_filter_and_file_metadata(spark, tmp_path):
    from pyspark.sql import functions as F

    from dltflow.graph import api as dlt

    landing = tmp_path / "in"
    landing.mkdir()
    (landing / "a.csv").write_text("id,qty\n1,3\n2,4\n")
    (landing / "b.csv").write_text("id,qty\n3,5\n")
    (landing / "notes.txt").write_text("not data\n")

    def pipeline():
        @dlt.table
        def bronze():
            return (spark.readStream.format("cloudFiles")
                    .options(**{"cloudFiles.format": "csv", "header": "true",
                                "cloudFiles.inferColumnTypes": "true",
                                "pathGlobFilter": "*.csv",
                                "cloudFiles.maxFilesPerTrigger": "1"})
                    .load(str(landing))
                    .select("id", "qty", F.col("_metadata.file_name").alias("file"),
                            F.col("_metadata.file_modification_time").alias("modified")))

    result = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "COMPLETED", result.error
    rows = sorted((r.id, r.qty, r.file) for r in result.table("bronze").collect())
    assert rows == [(1, 3, "a.csv"), (2, 4, "a.csv"), (3, 5, "b.csv")]
    assert dict(result.table("bronze").dtypes)["qty"] == "int"
    flows = [e for e in result.events if type(e).__name__ == "FlowFinished"]
    assert flows[0].output_rows == 3


def test_include_existing_files_false_skips_what_was_there(spark, tmp_path):
    landing = tmp_path / "in"
    _land(landing, "old.json", [{"id": 1}])
    pipeline = _single(spark, landing, **{"cloudFiles.format": "json",
                                          "cloudFiles.schemaHints": "id INT",
                                          "cloudFiles.includeExistingFiles": "false"})
    first = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert first.status == "COMPLETED", first.error
    assert first.table("bronze").count() == 0
    import os
    import time

    _land(landing, "new.json", [{"id": 2}])
    later = time.time() + 2
    os.utime(landing / "new.json", (later, later))
    second = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert [r.id for r in second.table("bronze").collect()] == [2]


def test_databricks_only_options_warn_and_batch_reads_are_refused(spark, tmp_path):
    from dltflow.graph import api as dlt

    landing = tmp_path / "in"
    _land(landing, "a.json", [{"id": 1}])
    pipeline = _single(spark, landing, **{"cloudFiles.format": "json",
                                          "cloudFiles.useNotifications": "true"})
    with pytest.warns(UserWarning, match="useNotifications only applies on Databricks"):
        assert run(pipeline, spark=spark, warehouse=tmp_path / "wh").status == "COMPLETED"

    def batch():
        @dlt.table
        def bronze():
            return spark.read.format("cloudFiles").option("cloudFiles.format", "json") \
                .load(str(landing))

    with pytest.raises(ConfigError, match="streaming source"):
        run(batch, spark=spark, warehouse=tmp_path / "wh2")
