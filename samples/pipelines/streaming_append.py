"""Two append flows into one streaming table, read incrementally from a landing folder.

Orders arrive as JSON files in ``<landing>/json`` and as CSV files in ``<landing>/csv``;
each method streams one folder (``spark.readStream``) and an append flow writes it into
the streaming table ``orders`` (see ``conf/streaming_append.yml``). The streaming
table's checkpoints live in the warehouse, so a second ``dltflow run`` processes only
files that arrived since the first; ``--full-refresh`` starts over.

The sample is self-contained: the landing folder is ``reader.landing_dir`` from the
config, relative to the warehouse of the run (``dltflow run --warehouse DIR``; default
``.dltflow``), and when it is missing the sample writes a first batch of files into it::

    dltflow run samples/pipelines/streaming_append.py --conf conf/streaming_append.yml
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.local import DEFAULT_WAREHOUSE, current_warehouse
from dltflow.quality import DLTMetaMixin

ORDER_SCHEMA = "order_id int, customer string, amount double, channel string"
JSON_ORDERS = [
    {"order_id": 1, "customer": "alice", "amount": 12.5, "channel": "web"},
    {"order_id": 2, "customer": "bob", "amount": 7.0, "channel": "web"},
    {"order_id": 3, "customer": "carol", "amount": 30.25, "channel": "app"},
    {"order_id": 4, "customer": "dave", "amount": 0.0, "channel": "app"},
]
CSV_ORDERS = [
    {"order_id": 101, "customer": "erin", "amount": 5.5, "channel": "store"},
    {"order_id": 102, "customer": "frank", "amount": 42.0, "channel": "store"},
    {"order_id": 103, "customer": "grace", "amount": -3.0, "channel": "store"},
]


def write_batch(landing: Path, name: str, json_orders: list[dict[str, Any]],
                csv_orders: list[dict[str, Any]]) -> None:
    """Drop one JSON file and one CSV file of orders into the landing folder."""
    (landing / "json").mkdir(parents=True, exist_ok=True)
    (landing / "csv").mkdir(parents=True, exist_ok=True)
    staged = landing / f".{name}.json.tmp"
    staged.write_text("".join(json.dumps(o) + "\n" for o in json_orders), encoding="utf-8")
    staged.replace(landing / "json" / f"{name}.json")  # a rename: streams never see half
    staged = landing / f".{name}.csv.tmp"
    with staged.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(CSV_ORDERS[0]))
        writer.writeheader()
        writer.writerows(csv_orders)
    staged.replace(landing / "csv" / f"{name}.csv")


class StreamingAppendPipeline(DLTMetaMixin):
    """Orders from two landing folders, appended into one streaming table."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any] | str | None = None
                 ) -> None:
        self.spark = spark
        self.init_conf = init_conf

    def landing(self) -> Path:
        """The landing folder, seeded with a first batch of files when missing.

        Resolved when a query runs (inside the local run), so it follows the run's
        warehouse; absolute, because Spark (or a Spark Connect server) resolves relative
        paths from its own working directory.
        """
        reader = self.pipeline_config.get("reader") or {}  # the config's own section
        configured = Path(reader.get("landing_dir", "landing"))
        folder = (Path(current_warehouse() or DEFAULT_WAREHOUSE) / configured).resolve()
        if not folder.exists():
            write_batch(folder, "orders-0001", JSON_ORDERS, CSV_ORDERS)
        return folder

    def orders_json(self) -> DataFrame:
        stream = self.spark.readStream.schema(ORDER_SCHEMA).json(str(self.landing() / "json"))
        return stream.withColumn("source", F.lit("json"))

    def orders_csv(self) -> DataFrame:
        stream = (self.spark.readStream.schema(ORDER_SCHEMA).option("header", True)
                  .csv(str(self.landing() / "csv")))
        return stream.withColumn("source", F.lit("csv"))
