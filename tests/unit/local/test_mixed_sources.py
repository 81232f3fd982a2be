"""A pipeline is a set of sources: SQL and Python files in folders, reading each other.

The SQL file is the Databricks CDC tutorial's pipeline as its SQL form writes it (STREAM
read_files bronze, a streaming table with CONSTRAINT ... EXPECT ... ON VIOLATION DROP
ROW, AUTO CDC flows into SCD 1 and SCD 2 targets); a Python ``dp`` file beside it reads
the SQL tables, and a second SQL file reads the Python dataset. Generated data with
violating rows, out-of-order changes and deletes; expected tables computed here.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from chispa import assert_df_equality
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from dltflow.exceptions import ConfigError
from dltflow.local import run

pytestmark = pytest.mark.sail  # `make test` runs these again on the Sail engine

CDC_SQL = """
CREATE OR REFRESH STREAMING TABLE customers_cdc_bronze
COMMENT "New customer data incrementally ingested from the landing zone"
AS SELECT * FROM STREAM read_files("${landing}", format => "json", inferColumnTypes => "true");

CREATE OR REFRESH STREAMING TABLE customers_cdc_clean (
  CONSTRAINT valid_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT valid_operation EXPECT (operation IN ('INSERT', 'DELETE', 'UPDATE'))
    ON VIOLATION DROP ROW
)
COMMENT "Cleaned changes"
AS SELECT id, name, city, operation, operation_date FROM STREAM customers_cdc_bronze;

CREATE OR REFRESH STREAMING TABLE customers;

CREATE FLOW customers_cdc_flow AS AUTO CDC INTO customers
FROM STREAM(customers_cdc_clean)
KEYS (id)
APPLY AS DELETE WHEN operation = "DELETE"
SEQUENCE BY operation_date
COLUMNS * EXCEPT (operation, operation_date)
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE customers_history;

APPLY CHANGES INTO LIVE.customers_history
FROM STREAM(LIVE.customers_cdc_clean)
KEYS (id)
APPLY AS DELETE WHEN operation = "DELETE"
SEQUENCE BY operation_date
COLUMNS * EXCEPT (operation, operation_date)
STORED AS SCD TYPE 2;
"""

GOLD_PY = '''
from pyspark import pipelines as dp

@dp.materialized_view(comment="customers per city, from the SQL file's SCD 1 table")
@dp.expect_or_drop("known_city", "city IS NOT NULL")
def city_counts():
    return spark.read.table("customers").groupBy("city").count()
'''

REPORT_SQL = """
CREATE OR REFRESH MATERIALIZED VIEW busy_cities
AS SELECT city FROM city_counts WHERE count >= ${min_customers};
"""

EVENTS = [
    [(1, "Ann", "Oslo", "INSERT", 1), (2, "Bob", "Rome", "INSERT", 2),
     (3, "Cid", "Oslo", "INSERT", 3), (None, "Nil", "Oslo", "INSERT", 4),
     (5, "Eve", "Oslo", "MERGE", 4), (1, "Ann", "Rome", "UPDATE", 6)],
    [(1, "Ann", "Paris", "UPDATE", 5), (2, None, None, "DELETE", 7),
     (4, "Dee", "Rome", "INSERT", 8), (3, "Cid", "Rome", "UPDATE", 9)],
]


def _valid(events: list[tuple]) -> list[tuple]:
    return [e for e in events if e[0] is not None and e[3] in ("INSERT", "UPDATE", "DELETE")]


def _expected(events: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    by_key: dict[int, list[tuple]] = {}
    for e in _valid(events):
        by_key.setdefault(e[0], []).append(e)
    scd1, scd2 = [], []
    for key, changes in by_key.items():
        changes.sort(key=lambda e: e[4])
        if changes[-1][3] != "DELETE":
            scd1.append((key, changes[-1][1], changes[-1][2]))
        for i, e in enumerate(changes):
            if e[3] != "DELETE":
                end = changes[i + 1][4] if i + 1 < len(changes) else None
                scd2.append((key, e[1], e[2], e[4], end))
    return scd1, scd2


def _project(root: Path) -> tuple[Path, Path]:
    sources = root / "transformations"
    (sources / "gold").mkdir(parents=True)
    (sources / "customers_cdc.sql").write_text(textwrap.dedent(CDC_SQL))
    (sources / "gold" / "city_counts.py").write_text(textwrap.dedent(GOLD_PY))
    report = root / "reports.sql"
    report.write_text(textwrap.dedent(REPORT_SQL))
    return sources, report


def _land(folder: Path, batch: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    keys = ("id", "name", "city", "operation", "operation_date")
    (folder / f"changes_{batch}.json").write_text(
        "".join(json.dumps(dict(zip(keys, e, strict=True))) + "\n" for e in EVENTS[batch]))


def test_folder_and_file_of_sql_and_python_are_one_pipeline(spark: SparkSession,
                                                            tmp_path: Path) -> None:
    folder, report = _project(tmp_path)
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    conf = {"landing": str(landing), "min_customers": "2"}
    seen: list[tuple] = []
    for batch in range(2):
        _land(landing, batch)
        seen += EVENTS[batch]
        result = run([folder, report], spark=spark, warehouse=warehouse, configuration=conf)
        assert result.status == "COMPLETED", result.error
        scd1, scd2 = _expected(seen)
        assert_df_equality(result.table("customers").select("id", "name", "city"),
                           spark.createDataFrame(scd1, "id long, name string, city string"),
                           ignore_row_order=True, ignore_nullable=True)
        assert_df_equality(
            result.table("customers_history").select("id", "name", "city", "__START_AT",
                                                     "__END_AT"),
            spark.createDataFrame(scd2, "id long, name string, city string, "
                                        "__START_AT long, __END_AT long"),
            ignore_row_order=True, ignore_nullable=True)
        counts: dict[str, int] = {}
        for _, _, city in scd1:
            counts[city] = counts.get(city, 0) + 1
        assert {r.city for r in result.table("busy_cities").collect()} == {
            c for c, n in counts.items() if n >= 2}
    clean = result.datasets["customers_cdc_clean"].expectations
    assert clean["valid_id"] == {"passed_records": 4, "failed_records": 0}  # 2nd update


def test_cli_runs_several_paths_and_graph_draws_them(spark: SparkSession, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder, report = _project(tmp_path)
    _land(tmp_path / "landing", 0)
    monkeypatch.chdir(tmp_path)
    params = ["-c", f"landing={tmp_path / 'landing'}", "-c", "min_customers=1"]
    result = CliRunner().invoke(cli, ["run", "transformations", "reports.sql",
                                      "--warehouse", "wh", "--output", "json", *params])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert {"customers", "customers_history", "city_counts", "busy_cities"} <= set(
        shown["datasets"])
    drawn = CliRunner().invoke(cli, ["graph", "transformations", "reports.sql",
                                     "--format", "mermaid", "--warehouse", "wh", *params])
    assert drawn.exit_code == 0, drawn.output
    assert "city_counts" in drawn.stdout and "busy_cities" in drawn.stdout


def test_bad_sql_statement_names_file_and_line(spark: SparkSession, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE MATERIALIZED VIEW ok AS SELECT 1 AS x;\n\n"
                   "CREATE MATERIALIZED VIEW broken AS SELEC 1;\n")
    with pytest.raises(ConfigError) as caught:
        run(bad, spark=spark, warehouse=tmp_path / "wh")
    assert "bad.sql" in str(caught.value) and "line 3" in str(caught.value)
    result = CliRunner().invoke(cli, ["run", str(bad), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 2
    assert not (tmp_path / "wh" / "default" / "ok").exists()  # nothing ran


def test_folder_without_sources_is_bad_input(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no code")
    with pytest.raises(ConfigError, match="holds no .py or .sql"):
        run(tmp_path / "empty", spark=spark, warehouse=tmp_path / "wh")
