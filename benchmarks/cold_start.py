"""Benchmark: a cold run of a small graph, each run a fresh process, three ways.

The inner loop of a pipeline's author is ``edit -> run -> look``; on a small graph the
time is nearly all start-up. The same three-table graph (an input, a cleaned table
with two expectations, an aggregate) is run as:

* **pyspark**: a hand-written PySpark script on local JVM Spark (the baseline): writes
  the three tables as Parquet, counts the expectations with an ``Observation``;
* **jvm**: ``dltflow run GRAPH.py --engine jvm`` (local JVM Spark);
* **sail**: ``dltflow run GRAPH.py --engine sail`` (an embedded Sail server, no JVM);
* **sail_by_hand**: the same work written by hand against an in-process Sail server
  (Delta tables, as dltflow writes on Sail; the expectation counts by one aggregation,
  since Sail has no ``Observation``).

Each run is a new Python process, timed from launch to exit; the variants alternate,
and the median of the repetitions is reported. The last line is
``ratio_sail=<sail median / pyspark median>`` (target: at most 0.25), then
``ratio_sail_limit=<sail median / sail_by_hand median>``: what dltflow itself costs on
Sail (target: at most 1.15).

Usage::

    python benchmarks/cold_start.py [--repeat 5] [--variants pyspark,jvm,sail,sail_by_hand]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 10_000

GRAPH = f'''"""The benchmark's graph, as a plain DLT source file."""
import dlt
from pyspark.sql import functions as F


@dlt.table
def orders():
    return (spark.range({ROWS})
            .withColumn("customer", F.col("id") % 100)
            .withColumn("amount", (F.col("id") % 1000) / 10.0))


@dlt.table
@dlt.expect_or_drop("positive_amount", "amount > 0")
@dlt.expect("small_amount", "amount < 90")
def clean_orders():
    return dlt.read("orders").withColumn("amount_eur", F.col("amount") * 0.9)


@dlt.table
def customer_totals():
    return dlt.read("clean_orders").groupBy("customer").agg(
        F.sum("amount_eur").alias("total"), F.count(F.lit(1)).alias("orders"))
'''

BY_HAND_START = '''import sys
from pyspark.sql import Observation, SparkSession
from pyspark.sql import functions as F

out = sys.argv[1]
spark = (SparkSession.builder.master("local[2]").appName("by-hand")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
'''
"""How a hand-written script on local JVM Spark starts (its output folder: argv[1]);
``benchmarks/scale.py`` starts its own the same way."""

HAND_WRITTEN = '"""The same graph by hand: local Spark, Parquet, counts observed."""\n' + \
    BY_HAND_START + f'''orders = (spark.range({ROWS})
          .withColumn("customer", F.col("id") % 100)
          .withColumn("amount", (F.col("id") % 1000) / 10.0))
orders.write.mode("overwrite").parquet(out + "/orders")
checks = Observation("checks")
clean = (spark.read.parquet(out + "/orders")
         .observe(checks, F.count(F.lit(1)).alias("rows"),
                  F.sum(F.when(F.col("amount") > 0, 0).otherwise(1)).alias("not_positive"),
                  F.sum(F.when(F.col("amount") < 90, 0).otherwise(1)).alias("not_small"))
         .filter(F.col("amount") > 0)
         .withColumn("amount_eur", F.col("amount") * 0.9))
clean.write.mode("overwrite").parquet(out + "/clean_orders")
print(checks.get)
(spark.read.parquet(out + "/clean_orders").groupBy("customer")
 .agg(F.sum("amount_eur").alias("total"), F.count(F.lit(1)).alias("orders"))
 .write.mode("overwrite").parquet(out + "/customer_totals"))
spark.stop()
'''


HAND_WRITTEN_SAIL = f'''"""The same graph by hand on Sail: an in-process server, Delta tables."""
import sys
import pyspark

if tuple(int(p) for p in pyspark.__version__.split(".")[:2]) > (4, 2):
    pyspark.__version__ = "4.2.0"  # the newest release line pysail 0.7 accepts
from pysail.spark import SparkConnectServer

server = SparkConnectServer("127.0.0.1", 0)
server.start(background=True)
host, port = server.listening_address
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

out = sys.argv[1]
spark = SparkSession.builder.remote(f"sc://{{host}}:{{port}}").getOrCreate()
orders = (spark.range({ROWS})
          .withColumn("customer", F.col("id") % 100)
          .withColumn("amount", (F.col("id") % 1000) / 10.0))
orders.write.format("delta").mode("overwrite").save(out + "/orders")
source = spark.read.format("delta").load(out + "/orders")
print(source.agg(F.count(F.lit(1)).alias("rows"),
                 F.sum(F.when(F.col("amount") > 0, 0).otherwise(1)).alias("not_positive"),
                 F.sum(F.when(F.col("amount") < 90, 0).otherwise(1)).alias("not_small")).first())
(source.filter(F.col("amount") > 0).withColumn("amount_eur", F.col("amount") * 0.9)
 .write.format("delta").mode("overwrite").save(out + "/clean_orders"))
(spark.read.format("delta").load(out + "/clean_orders").groupBy("customer")
 .agg(F.sum("amount_eur").alias("total"), F.count(F.lit(1)).alias("orders"))
 .write.format("delta").mode("overwrite").save(out + "/customer_totals"))
spark.stop()
server.stop()
'''


def _dltflow() -> list[str]:
    script = Path(sys.executable).with_name("dltflow")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from dltflow.cli.interface import cli; cli()"]


def _commands(folder: Path) -> dict[str, list[str]]:
    graph, by_hand = folder / "graph.py", folder / "by_hand.py"
    by_hand_sail = folder / "by_hand_sail.py"
    graph.write_text(GRAPH, encoding="utf-8")
    by_hand.write_text(HAND_WRITTEN, encoding="utf-8")
    by_hand_sail.write_text(HAND_WRITTEN_SAIL, encoding="utf-8")
    return {
        "pyspark": [sys.executable, str(by_hand), str(folder / "by_hand_out")],
        "jvm": [*_dltflow(), "run", str(graph), "--warehouse", str(folder / "jvm_wh"),
                "--engine", "jvm"],
        "sail": [*_dltflow(), "run", str(graph), "--warehouse", str(folder / "sail_wh"),
                 "--engine", "sail"],
        "sail_by_hand": [sys.executable, str(by_hand_sail), str(folder / "by_hand_sail_out")],
    }


def _timed(command: list[str], folder: Path) -> float:
    for leftover in ("by_hand_out", "jvm_wh", "sail_wh", "by_hand_sail_out"):  # all cold
        shutil.rmtree(folder / leftover, ignore_errors=True)
    env = {**os.environ}
    env.pop("DLTFLOW_ENGINE", None)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--variants", default="pyspark,jvm,sail,sail_by_hand")
    args = parser.parse_args()
    chosen = args.variants.split(",")
    with tempfile.TemporaryDirectory(prefix="dltflow-cold-") as tmp:
        folder = Path(tmp)
        commands = {k: v for k, v in _commands(folder).items() if k in chosen}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():  # alternate: load drifts hit all alike
                times[name].append(_timed(command, folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        runs = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:8s} median {medians[name]:6.2f} s   runs: {runs}")
    ratios = {"ratio_jvm": ("jvm", "pyspark"), "ratio_sail": ("sail", "pyspark"),
              "ratio_sail_limit": ("sail", "sail_by_hand")}
    for label, (top, bottom) in ratios.items():
        if top in medians and bottom in medians:
            print(f"{label}={medians[top] / medians[bottom]:.2f}")


if __name__ == "__main__":
    main()
