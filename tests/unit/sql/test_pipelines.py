"""SQL pipelines run end to end by the local engine, checked against plain-Python results.

Modelled on published pipelines: the Databricks tutorial pipeline in SQL (baby names:
a streaming table from ``read_files`` of CSV, a materialized view with expectations,
a 2021 top-names aggregate) and a dbdemos-style CDC medallion (JSON landing through
``cloud_files``, a silver table with expectations, ``APPLY CHANGES INTO`` an SCD 2
table and ``AUTO CDC INTO`` an SCD 1 table, a gold view), with out-of-order changes,
deletes and rows that violate the expectations.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from dltflow.exceptions import ExpectationFailed
from dltflow.local import PipelineResult, run
from dltflow.sql import SqlParseError, declare_file, declare_text

TUTORIAL = """\
-- The Databricks tutorial pipeline, in SQL.
CREATE OR REFRESH STREAMING TABLE baby_names_raw
COMMENT "Popular baby first names in New York, as ingested."
AS SELECT Year, `First Name` AS First_Name, County, Sex, Count
FROM STREAM read_files('${landing}', format => 'csv', header => true, mode => 'FAILFAST');

CREATE OR REFRESH MATERIALIZED VIEW baby_names_prepared (
  CONSTRAINT valid_first_name EXPECT (First_Name IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_count EXPECT (Count > 0) ON VIOLATION FAIL UPDATE
)
COMMENT "New York popular baby first name data cleaned and prepared for analysis."
AS SELECT Year AS Year_Of_Birth, First_Name, Count FROM baby_names_raw;

CREATE OR REFRESH MATERIALIZED VIEW top_baby_names_2021
COMMENT "The top baby names for New York for 2021."
AS SELECT First_Name, SUM(Count) AS Total_Count
FROM LIVE.baby_names_prepared
WHERE Year_Of_Birth = 2021
GROUP BY First_Name
ORDER BY Total_Count DESC
LIMIT 10;
"""

CDC = """\
-- Databricks notebook source
CREATE STREAMING LIVE TABLE users_bronze
COMMENT "User changes as they land"
AS SELECT * FROM cloud_files("${landing}", "json", map("cloudFiles.inferColumnTypes", "true"))

-- COMMAND ----------
CREATE OR REFRESH STREAMING TABLE users_clean (
  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_operation EXPECT (operation IN ('INSERT', 'UPDATE', 'DELETE'))
    ON VIOLATION DROP ROW,
  CONSTRAINT has_email EXPECT (email IS NOT NULL OR operation = 'DELETE')
)
COMMENT "Clean user changes"
AS SELECT id, name, email, city, operation, seq FROM STREAM(LIVE.users_bronze);

-- COMMAND ----------
CREATE OR REFRESH STREAMING TABLE users_history;

APPLY CHANGES INTO LIVE.users_history
FROM STREAM(LIVE.users_clean)
KEYS (id)
APPLY AS DELETE WHEN operation = "DELETE"
SEQUENCE BY seq
COLUMNS * EXCEPT (operation, seq)
STORED AS SCD TYPE 2;

CREATE OR REFRESH STREAMING TABLE users_current;

CREATE FLOW users_current_cdc AS AUTO CDC INTO users_current
FROM STREAM users_clean
KEYS (id)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY seq
COLUMNS * EXCEPT (operation, seq)
STORED AS SCD TYPE 1;

CREATE OR REFRESH MATERIALIZED VIEW users_per_city
AS SELECT city, count(*) AS users FROM users_current GROUP BY city;
"""

Event = tuple[Any, ...]  # (id, name, email, city, operation, seq)
FIELDS = ("id", "name", "email", "city", "operation", "seq")
FIRST_CHANGES: list[Event] = [
    (1, "Ann", "ann@x", "Rome", "INSERT", 1),
    (2, "Bob", "bob@x", "Oslo", "INSERT", 1),
    (3, "Cid", "cid@x", "Lima", "INSERT", 2),
    (1, "Ann", "ann@x", "Paris", "UPDATE", 4),
    (1, "Ann", "ann@y", "Milan", "UPDATE", 3),      # arrives after seq 4
    (2, None, None, None, "DELETE", 5),
    (None, "Bad", "bad@x", "Nowhere", "INSERT", 6),  # no id: dropped
    (4, "Dee", "dee@x", "Kyiv", "UPSERT", 2),        # unknown operation: dropped
    (5, "Eve", None, "Bern", "INSERT", 3),           # no email: kept, counted
]
SECOND_CHANGES: list[Event] = [
    (3, "Cid", "cid@x", "Quito", "UPDATE", 7),
    (1, "Ann", "ann@z", "Turin", "UPDATE", 2),      # late: older than what run 1 applied
    (6, "Fay", "fay@x", "Riga", "INSERT", 8),
    (3, None, None, None, "DELETE", 9),
    (2, "Bob", "bob@x", "Oslo", "INSERT", 10),       # back after its delete
]


def write_json(path: Path, rows: Iterable[Event]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(dict(zip(FIELDS, r, strict=True))) + "\n" for r in rows),
                    encoding="utf-8")


def clean(events: Iterable[Event]) -> list[Event]:
    """What users_clean keeps: the silver expectations that drop, in plain Python."""
    return [e for e in events if e[0] is not None and e[4] in ("INSERT", "UPDATE", "DELETE")]


def scd1(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    """Current state: per key the latest event by sequence, unless it is a delete."""
    latest: dict[Any, Event] = {}
    for event in events:
        if event[0] not in latest or event[5] > latest[event[0]][5]:
            latest[event[0]] = event
    return [e[:4] for e in latest.values() if e[4] != "DELETE"]


def scd2(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    """History: a version per change of the row, from its sequence to the next change's."""
    by_key: dict[Any, list[Event]] = defaultdict(list)
    for event in events:
        by_key[event[0]].append(event)
    versions: list[list[Any]] = []
    for changes in by_key.values():
        open_version: list[Any] | None = None
        for event in sorted(changes, key=lambda e: e[5]):
            if open_version is not None and (event[4] == "DELETE"
                                             or tuple(open_version[:4]) != event[:4]):
                open_version[5] = event[5]
                open_version = None
            if event[4] != "DELETE" and open_version is None:
                open_version = [*event[:4], event[5], None]
                versions.append(open_version)
    return [tuple(v[:4]) + (v[4], v[5]) for v in versions]


def run_sql(spark: SparkSession, text: str, warehouse: Path,
            configuration: Mapping[str, str]) -> PipelineResult:
    result = run(lambda: declare_text(text, "pipeline.sql", spark=spark,
                                      configuration=configuration),
                 spark=spark, warehouse=warehouse)
    assert result.status == "COMPLETED", result.error
    return result


def assert_cdc_tables(spark: SparkSession, result: PipelineResult,
                      events: list[Event]) -> None:
    kept = clean(events)
    current = "id long, name string, email string, city string"
    assert_df_equality(result.table("users_current"), spark.createDataFrame(scd1(kept), current),
                       ignore_row_order=True, ignore_column_order=True, ignore_nullable=True)
    assert_df_equality(result.table("users_history"),
                       spark.createDataFrame(scd2(kept), current + ", __START_AT long, "
                                                                   "__END_AT long"),
                       ignore_row_order=True, ignore_column_order=True, ignore_nullable=True)
    per_city: dict[Any, int] = defaultdict(int)
    for row in scd1(kept):
        per_city[row[3]] += 1
    assert_df_equality(result.table("users_per_city"),
                       spark.createDataFrame(list(per_city.items()), "city string, users long"),
                       ignore_row_order=True, ignore_nullable=True)


def test_cdc_medallion_with_expectations_scd1_and_scd2(spark: SparkSession,
                                                       tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_json(landing / "changes-1.json", FIRST_CHANGES)
    configuration = {"landing": str(landing)}

    first = run_sql(spark, CDC, warehouse, configuration)
    assert_cdc_tables(spark, first, FIRST_CHANGES)
    assert first.datasets["users_clean"].expectations == {
        "valid_id": {"passed_records": 8, "failed_records": 1},
        "valid_operation": {"passed_records": 8, "failed_records": 1},
        "has_email": {"passed_records": 8, "failed_records": 1},
    }
    assert first.datasets["users_clean"].dropped_rows == 2

    write_json(landing / "changes-2.json", SECOND_CHANGES)
    second = run_sql(spark, CDC, warehouse, configuration)
    assert second.datasets["users_bronze"].output_rows == len(SECOND_CHANGES)
    assert_cdc_tables(spark, second, FIRST_CHANGES + SECOND_CHANGES)


def write_csv(path: Path, rows: Iterable[tuple[Any, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Year", "First Name", "County", "Sex", "Count"])
        writer.writerows(rows)


BABY_NAMES_2020_2021 = [
    (2021, "OLIVIA", "KINGS", "F", 120), (2021, "EMMA", "QUEENS", "F", 95),
    (2021, "OLIVIA", "QUEENS", "F", 40), (2021, "", "BRONX", "F", 30),
    (2020, "OLIVIA", "KINGS", "F", 300), (2021, "LIAM", "KINGS", "M", 150),
    (2021, "NOAH", "BRONX", "M", 60), (2020, "", "KINGS", "M", 12),
]
BABY_NAMES_LATER = [(2021, "EMMA", "KINGS", "F", 70), (2021, "AVA", "BRONX", "F", 20)]


def integers_as_long(df: DataFrame) -> DataFrame:
    """CSV inference types small integers INT on JVM Spark and BIGINT on Sail."""
    return df.select(*(F.col(f.name).cast("long") if f.dataType.typeName() == "integer"
                       else F.col(f.name) for f in df.schema.fields))


def top_2021(rows: Iterable[tuple[Any, ...]]) -> list[tuple[str, int]]:
    totals: dict[str, int] = defaultdict(int)
    for year, name, _county, _sex, count in rows:
        if name and year == 2021:
            totals[name] += count
    return sorted(totals.items(), key=lambda item: -item[1])[:10]


def test_tutorial_pipeline_and_a_second_run_reads_only_new_files(spark: SparkSession,
                                                                  tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "babynames", tmp_path / "wh"
    write_csv(landing / "2021.csv", BABY_NAMES_2020_2021)
    path = tmp_path / "tutorial.sql"
    path.write_text(TUTORIAL, encoding="utf-8")
    definition = lambda: declare_file(path, spark=spark,  # noqa: E731
                                      configuration={"landing": str(landing)})

    first = run(definition, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    prepared = [(y, n, c) for y, n, _, _, c in BABY_NAMES_2020_2021 if n]
    assert_df_equality(integers_as_long(first.table("baby_names_prepared")),
                       spark.createDataFrame(prepared, "Year_Of_Birth long, First_Name string, "
                                                       "Count long"),
                       ignore_row_order=True, ignore_nullable=True)
    assert first.datasets["baby_names_prepared"].expectations["valid_first_name"] == \
        {"passed_records": 6, "failed_records": 2}
    assert_df_equality(first.table("top_baby_names_2021"),
                       spark.createDataFrame(top_2021(BABY_NAMES_2020_2021),
                                             "First_Name string, Total_Count long"),
                       ignore_row_order=True, ignore_nullable=True)

    write_csv(landing / "2021-late.csv", BABY_NAMES_LATER)
    second = run(definition, spark=spark, warehouse=warehouse)
    assert second.status == "COMPLETED", second.error
    assert second.datasets["baby_names_raw"].output_rows == len(BABY_NAMES_LATER)
    assert second.table("baby_names_raw").count() == \
        len(BABY_NAMES_2020_2021) + len(BABY_NAMES_LATER)
    assert_df_equality(second.table("top_baby_names_2021"),
                       spark.createDataFrame(top_2021(BABY_NAMES_2020_2021 + BABY_NAMES_LATER),
                                             "First_Name string, Total_Count long"),
                       ignore_row_order=True, ignore_nullable=True)


def test_fail_update_stops_the_update_naming_dataset_and_expectation(
        spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "babynames"
    write_csv(landing / "bad.csv", [(2021, "OLIVIA", "KINGS", "F", 0)])
    result = run(lambda: declare_text(TUTORIAL, "tutorial.sql", spark=spark,
                                      configuration={"landing": str(landing)}),
                 spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "FAILED"
    failure = result.error
    while failure is not None and not isinstance(failure, ExpectationFailed):
        failure = failure.__cause__
    assert isinstance(failure, ExpectationFailed)
    assert (failure.dataset, failure.expectation) == ("baby_names_prepared", "valid_count")


APPEND = """\
CREATE OR REFRESH STREAMING TABLE orders
  (id BIGINT, region STRING, amount DOUBLE)
  COMMENT 'orders of every region';

CREATE FLOW orders_eu AS INSERT INTO orders BY NAME
  SELECT id, 'eu' AS region, amount FROM STREAM read_files('${landing}/eu', format => 'json');
CREATE FLOW orders_us AS INSERT INTO orders BY NAME
  SELECT id, 'us' AS region, amount FROM STREAM(read_files('${landing}/us', format => 'json'));
CREATE FLOW orders_backfill AS INSERT INTO ONCE orders BY NAME
  SELECT id, 'old' AS region, amount FROM read_files('${landing}/old', format => 'json');

CREATE TEMPORARY VIEW big_orders (order_id, order_region, order_amount) AS
  SELECT id, region, amount FROM orders WHERE amount >= 10;
CREATE OR REFRESH MATERIALIZED VIEW big_by_region AS
  SELECT order_region, count(*) AS n, sum(order_amount) AS total FROM big_orders
  GROUP BY order_region;
"""


def write_orders(path: Path, rows: Iterable[tuple[int, float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"id": i, "amount": a}) + "\n" for i, a in rows),
                    encoding="utf-8")


def test_append_flows_once_backfill_and_a_renaming_view(spark: SparkSession,
                                                        tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_orders(landing / "eu" / "1.json", [(1, 10.0), (2, 5.0)])
    write_orders(landing / "us" / "1.json", [(3, 20.0)])
    write_orders(landing / "old" / "1.json", [(0, 99.0)])
    configuration = {"landing": str(landing)}
    run_sql(spark, APPEND, warehouse, configuration)

    write_orders(landing / "eu" / "2.json", [(4, 30.0)])
    write_orders(landing / "old" / "2.json", [(-1, 1.0)])  # a once flow does not run again
    second = run_sql(spark, APPEND, warehouse, configuration)
    expected = [(1, "eu", 10.0), (2, "eu", 5.0), (3, "us", 20.0), (0, "old", 99.0),
                (4, "eu", 30.0)]
    schema = "id bigint, region string, amount double"
    assert_df_equality(second.table("orders"), spark.createDataFrame(expected, schema),
                       ignore_row_order=True, ignore_column_order=True, ignore_nullable=True)
    regions: dict[str, list[float]] = defaultdict(list)
    for _, region, amount in expected:
        if amount >= 10:
            regions[region].append(amount)
    assert_df_equality(second.table("big_by_region"),
                       spark.createDataFrame([(r, len(a), sum(a)) for r, a in regions.items()],
                                             "order_region string, n long, total double"),
                       ignore_row_order=True, ignore_nullable=True)


def test_a_file_that_does_not_parse_runs_nothing(spark: SparkSession, tmp_path: Path) -> None:
    bad = "CREATE MATERIALIZED VIEW a AS SELECT 1 AS x;\nCREATE MATERIALIZED VIEW b AS SELEC;"
    with pytest.raises(SqlParseError) as err:
        result = run(lambda: declare_text(bad, "bad.sql", spark=spark), spark=spark,
                     warehouse=tmp_path / "wh")
        raise result.error or AssertionError("the run did not fail")
    assert (err.value.source, err.value.line) == ("bad.sql", 2)
    assert not (tmp_path / "wh" / "default" / "a").exists()
