"""The crash-safety pipeline and its inputs, shared by the kill tests
(``tests/process/test_crash_safety.py``) and the concurrent-runs lock test.

Shaped like Databricks' retail/CDC demos (plain ``import dlt`` code): orders land as JSON
files and stream into a bronze table, a silver table with a ``drop`` expectation, and an
append flow into a second streaming table; customer change events are applied as SCD
type 2 with deletes; product snapshots come from a snapshot function (SCD 1); a
materialized view aggregates revenue. Each input folder holds several files read one per
micro-batch, so a kill can fall after some batches were committed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

PIPELINE = '''
import dlt
from pyspark.sql import functions as F

LANDING = spark.conf.get("crash.landing")


@dlt.table(comment="Orders as they land, one file per micro-batch.")
def orders_raw():
    return (spark.readStream.format("json").option("maxFilesPerTrigger", 1)
            .schema("order_id long, customer_id long, amount double")
            .load(f"{LANDING}/orders"))


@dlt.table
@dlt.expect_or_drop("positive_amount", "amount > 0")
def orders_clean():
    return dlt.read_stream("orders_raw").withColumn("amount_eur", F.round(F.col("amount") * 0.9, 2))


dlt.create_streaming_table("order_feed")


@dlt.append_flow(target="order_feed")
def clean_orders_to_feed():
    return dlt.read_stream("orders_clean").select("order_id", "amount_eur")


@dlt.view
def customer_changes():
    return (spark.readStream.format("json").option("maxFilesPerTrigger", 1)
            .schema("customer_id long, name string, city string, op string, seq long")
            .load(f"{LANDING}/customers"))


dlt.create_streaming_table("customers")
dlt.apply_changes(target="customers", source="customer_changes", keys=["customer_id"],
                  sequence_by=F.col("seq"), apply_as_deletes=F.expr("op = 'DELETE'"),
                  except_column_list=["op", "seq"], stored_as_scd_type=2)


def next_products(version):
    current = 0 if version is None else version
    if current >= 3:
        return None
    path = f"{LANDING}/products/{current + 1}.json"
    return spark.read.schema("product_id long, price double").json(path), current + 1


dlt.create_streaming_table("products")
dlt.apply_changes_from_snapshot(target="products", snapshot_and_version=next_products,
                                keys=["product_id"], stored_as_scd_type=1)


@dlt.table
def revenue_by_customer():
    return (dlt.read("orders_clean").groupBy("customer_id")
            .agg(F.round(F.sum("amount_eur"), 2).alias("revenue"), F.count("*").alias("orders")))
'''

TABLES = ("orders_raw", "orders_clean", "order_feed", "customers", "products",
          "revenue_by_customer")


def write_inputs(landing: Path) -> dict[str, object]:
    """Three order files, three change files, three snapshots; returns what an
    uninterrupted run must produce, computed here in plain Python."""
    rng = random.Random(13)
    orders = [[{"order_id": f * 100 + i, "customer_id": rng.randint(1, 6),
                "amount": rng.choice([-5.0, 0.0, 12.5, 40.0, 99.9])} for i in range(40)]
              for f in range(3)]
    changes = [
        [{"customer_id": 1, "name": "Ana", "city": "Lisbon", "op": "INSERT", "seq": 1},
         {"customer_id": 2, "name": "Bo", "city": "Oslo", "op": "INSERT", "seq": 2}],
        [{"customer_id": 1, "name": "Ana", "city": "Porto", "op": "UPDATE", "seq": 3},
         {"customer_id": 3, "name": "Cy", "city": "Rome", "op": "INSERT", "seq": 4}],
        [{"customer_id": 2, "name": "Bo", "city": "Oslo", "op": "DELETE", "seq": 5},
         {"customer_id": 3, "name": "Cy", "city": "Milan", "op": "UPDATE", "seq": 6}],
    ]
    snapshots = [[{"product_id": 1, "price": 10.0}, {"product_id": 2, "price": 20.0}],
                 [{"product_id": 1, "price": 11.0}, {"product_id": 3, "price": 30.0}],
                 [{"product_id": 1, "price": 11.0}, {"product_id": 3, "price": 33.0},
                  {"product_id": 4, "price": 40.0}]]
    for folder, files in (("orders", orders), ("customers", changes)):
        (landing / folder).mkdir(parents=True)
        for number, rows in enumerate(files):
            (landing / folder / f"{number:03d}.json").write_text(
                "\n".join(json.dumps(r) for r in rows))
    (landing / "products").mkdir()
    for number, rows in enumerate(snapshots, start=1):
        (landing / "products" / f"{number}.json").write_text(
            "\n".join(json.dumps(r) for r in rows))
    all_orders = [o for batch in orders for o in batch]
    return {"orders": len(all_orders),
            "clean": sorted(o["order_id"] for o in all_orders if o["amount"] > 0),
            "products": {1: 11.0, 3: 33.0, 4: 40.0}}
