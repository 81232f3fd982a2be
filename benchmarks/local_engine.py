"""Benchmark: the local engine against hand-written PySpark doing the same work.

Five datasets over 1,000,000 rows with ten expectations in total, run two ways in the
same process and the same SparkSession:

* **engine**: a ``DLTMetaMixin`` pipeline run by :func:`dltflow.local.run`;
* **pyspark**: what a careful engineer writes by hand for the same result: each
  dataset read from its upstream's Parquet, all its expectations counted in one pass
  with an ``Observation`` while the kept rows are written to Parquet, ``fail``
  expectations checked from those counts.

Both are warmed up first, then alternate; the median of the repetitions is reported.
The last line is ``ratio=<engine seconds / pyspark seconds>`` (target: at most 1.05).

Usage::

    python benchmarks/local_engine.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from dltflow.quality import DLTMetaMixin

ROWS = 1_000_000

# name -> (expectations as (name, constraint, action)); ten in total.
EXPECTATIONS: dict[str, list[tuple[str, str, str]]] = {
    "events": [("valid_id", "id >= 0", "allow"),
               ("positive_amount", "amount > 0", "drop"),
               ("known_country", "country IS NOT NULL", "allow")],
    "clean_events": [("small_amount", "amount < 99", "allow"),
                     ("valid_user", "user_id < 10000", "fail")],
    "user_totals": [("has_events", "events > 0", "fail"),
                    ("positive_total", "total > 0", "drop")],
    "country_totals": [("country_set", "country IS NOT NULL", "allow")],
    "big_spenders": [("is_big", "total > 5000", "allow"),
                     ("few_events", "events < 1000", "drop")],
}
ORDER = list(EXPECTATIONS)


# -- the queries, shared by both implementations -----------------------------------

def events_query(spark: SparkSession, rows: int) -> DataFrame:
    countries = F.array(*(F.lit(c) for c in ("NL", "US", "FR", "DE", "BE")))
    return (spark.range(rows)
            .withColumn("user_id", F.col("id") % 10000)
            .withColumn("amount", (F.col("id") % 1000) / 10.0)
            .withColumn("country", F.element_at(countries, (F.col("id") % 5 + 1).cast("int"))))


def clean_events_query(events: DataFrame) -> DataFrame:
    return events.filter(F.col("amount") < 90).withColumn("amount_eur", F.col("amount") * 0.9)


def user_totals_query(clean: DataFrame) -> DataFrame:
    return clean.groupBy("user_id").agg(F.sum("amount").alias("total"),
                                        F.count(F.lit(1)).alias("events"))


def country_totals_query(clean: DataFrame) -> DataFrame:
    return clean.groupBy("country").agg(F.sum("amount_eur").alias("total"))


def big_spenders_query(totals: DataFrame) -> DataFrame:
    return totals.filter(F.col("total") > 4000)


# -- the engine's pipeline ----------------------------------------------------------

class BenchmarkPipeline(DLTMetaMixin):
    """The five datasets as configured methods; nested calls read upstream datasets."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any], rows: int) -> None:
        self.spark = spark
        self.rows = rows

    def events(self) -> DataFrame:
        return events_query(self.spark, self.rows)

    def clean_events(self) -> DataFrame:
        return clean_events_query(self.events())

    def user_totals(self) -> DataFrame:
        return user_totals_query(self.clean_events())

    def country_totals(self) -> DataFrame:
        return country_totals_query(self.clean_events())

    def big_spenders(self) -> DataFrame:
        return big_spenders_query(self.user_totals())


def pipeline_conf() -> dict[str, Any]:
    return {"dlt": [{"func_name": name, "kind": "table",
                     "expectations": [{"name": n, "constraint": c, "action": a}
                                      for n, c, a in checks]}
                    for name, checks in EXPECTATIONS.items()]}


def run_engine(spark: SparkSession, warehouse: Path, rows: int) -> dict[str, int]:
    from dltflow.local import run

    result = run(BenchmarkPipeline(spark, pipeline_conf(), rows), spark=spark,
                 warehouse=warehouse, schema="bench_engine")
    if result.status != "COMPLETED":
        raise RuntimeError(f"engine run failed: {result.error}")
    return {name: int(result.datasets[name].output_rows) for name in ORDER}


# -- the same work by hand ------------------------------------------------------------

def _write_checked(df: DataFrame, name: str, path: Path) -> int:
    """Count every expectation in one pass while the kept rows are written."""
    checks = EXPECTATIONS[name]
    passing = [F.coalesce(F.expr(c), F.lit(False)) for _, c, _ in checks]
    tag = f"{name}_{time.monotonic_ns()}"
    checked, written = Observation(f"checks_{tag}"), Observation(f"written_{tag}")
    counts = [F.count(F.lit(1)).alias("total")]
    counts += [F.sum(F.when(p, 0).otherwise(1)).alias(n)
               for (n, _, _), p in zip(checks, passing, strict=True)]
    kept = df.observe(checked, *counts)
    for (_, _, action), p in zip(checks, passing, strict=True):
        if action == "drop":
            kept = kept.filter(p)
    kept.observe(written, F.count(F.lit(1)).alias("rows")).write.mode("overwrite").parquet(
        str(path))
    metrics = checked.get
    for check, _, action in checks:
        if action == "fail" and metrics[check]:
            raise RuntimeError(f"expectation {check} on {name} failed")
    return int(written.get["rows"])


def run_pyspark(spark: SparkSession, folder: Path, rows: int) -> dict[str, int]:
    def path(name: str) -> Path:
        return folder / name

    def read(name: str) -> DataFrame:
        return spark.read.parquet(str(path(name)))

    written = {"events": _write_checked(events_query(spark, rows), "events", path("events"))}
    written["clean_events"] = _write_checked(clean_events_query(read("events")),
                                             "clean_events", path("clean_events"))
    written["user_totals"] = _write_checked(user_totals_query(read("clean_events")),
                                            "user_totals", path("user_totals"))
    written["country_totals"] = _write_checked(country_totals_query(read("clean_events")),
                                               "country_totals", path("country_totals"))
    written["big_spenders"] = _write_checked(big_spenders_query(read("user_totals")),
                                             "big_spenders", path("big_spenders"))
    return written


# -- timing -----------------------------------------------------------------------------

def _timed(func: Callable[[], dict[str, int]]) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    written = func()
    return time.perf_counter() - start, written


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from dltflow.local.engines.session import get_spark

    spark = get_spark(app_name="dltflow-benchmark")
    spark.sparkContext.setLogLevel("ERROR")
    root = Path(tempfile.mkdtemp(prefix="dltflow-bench-"))
    try:
        engine = lambda: run_engine(spark, root / "engine", args.rows)  # noqa: E731
        hand = lambda: run_pyspark(spark, root / "pyspark", args.rows)  # noqa: E731
        _, engine_rows = _timed(engine)  # warm-up: JIT, caches, catalog
        _, hand_rows = _timed(hand)
        if engine_rows != hand_rows:
            raise SystemExit(f"results differ: engine {engine_rows} != pyspark {hand_rows}")
        times: dict[str, list[float]] = {"engine": [], "pyspark": []}
        for i in range(args.repeat):
            order = [("engine", engine), ("pyspark", hand)]
            for label, func in order if i % 2 == 0 else reversed(order):
                times[label].append(_timed(func)[0])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return _report(args.rows, engine_rows, times)


def _report(rows: int, written: dict[str, int], times: dict[str, list[float]]) -> float:
    print(f"rows={rows:,}  datasets={len(written)}  "
          f"expectations={sum(len(v) for v in EXPECTATIONS.values())}")
    for name in ORDER:
        print(f"  {name:<15} {written[name]:>10,} rows written")
    print(f"{'':<10}{'median s':>10}{'min s':>9}{'max s':>9}   runs")
    for label, values in times.items():
        print(f"{label:<10}{statistics.median(values):>10.3f}{min(values):>9.3f}"
              f"{max(values):>9.3f}   {', '.join(f'{v:.2f}' for v in values)}")
    ratio = statistics.median(times["engine"]) / statistics.median(times["pyspark"])
    print(f"ratio={ratio:.3f}")
    return ratio


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
    sys.exit(0)
