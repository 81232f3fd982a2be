"""``dltflow run --bundle``: a bundle shaped like ``databricks pipelines init``'s, run
locally for two targets whose variables differ (schema and a configuration value), with
a SQL and a Python library found by a glob."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli

DATABRICKS_YML = """
bundle:
  name: sales
include:
  - resources/*.yml
variables:
  catalog: {default: main}
  schema: {default: sales_dev}
  min_amount: {default: "10"}
targets:
  dev:
    mode: development
    default: true
  prod:
    mode: production
    variables:
      schema: sales_prod
      min_amount: "50"
"""

PIPELINE_YML = """
resources:
  pipelines:
    sales_etl:
      name: sales_etl
      catalog: ${var.catalog}
      schema: ${var.schema}
      serverless: true
      configuration:
        sales.min_amount: ${var.min_amount}
        sales.target: ${bundle.target}
      libraries:
        - glob:
            include: ../src/sales_etl/transformations/**
"""

ORDERS_SQL = """
CREATE MATERIALIZED VIEW orders AS
SELECT id, id * 10 AS amount FROM range(1, 11);

CREATE MATERIALIZED VIEW big_orders (
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW
) AS SELECT * FROM orders WHERE amount >= ${sales.min_amount};
"""

SUMMARY_PY = '''
from pyspark import pipelines as dp
from pyspark.sql import functions as F

@dp.materialized_view
def summary():
    target = spark.conf.get("sales.target")
    return spark.read.table("big_orders").agg(F.count("*").alias("n")).withColumn(
        "target", F.lit(target))
'''


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {"databricks.yml": DATABRICKS_YML, "resources/sales_etl.pipeline.yml": PIPELINE_YML,
             "src/sales_etl/transformations/orders.sql": ORDERS_SQL,
             "src/sales_etl/transformations/summary.py": SUMMARY_PY}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("target", "schema", "count"), [("dev", "sales_dev", 10),
                                                         ("prod", "sales_prod", 6)])
def test_bundle_pipeline_runs_for_its_target(spark: SparkSession, bundle: Path, target: str,
                                             schema: str, count: int) -> None:
    args = ["run", "--bundle", "--warehouse", f"wh_{target}", "--output", "json"]
    result = CliRunner().invoke(cli, [*args, "--target", target])
    assert result.exit_code == 0, result.output
    assert f"Bundle sales, target {target}: pipeline sales_etl (2 source file(s))" \
        in result.stderr
    assert set(json.loads(result.stdout)["datasets"]) == {"orders", "big_orders", "summary"}
    row = spark.table(f"{schema}.summary").collect()[0]
    assert (row.n, row.target) == (count, target)


def test_configuration_on_the_command_line_wins(spark: SparkSession, bundle: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--bundle", ".", "--warehouse", "wh", "-c",
                                      "sales.min_amount=95", "--schema", "mine"])
    assert result.exit_code == 0, result.output
    assert spark.table("mine.summary").collect()[0].n == 1


def test_unknown_pipeline_and_mixed_sources_are_bad_input(spark: SparkSession,
                                                          bundle: Path) -> None:
    unknown = CliRunner().invoke(cli, ["run", "--bundle", "--pipeline", "nope"])
    assert unknown.exit_code == 2 and "sales_etl" in unknown.output
    mixed = CliRunner().invoke(cli, ["run", "--bundle", "src"])
    assert mixed.exit_code == 2
    both = CliRunner().invoke(cli, ["run", "databricks.yml", "--bundle", "."])
    assert both.exit_code == 2 and "one of them" in both.output


def test_graph_draws_the_bundle_pipeline(spark: SparkSession, bundle: Path) -> None:
    result = CliRunner().invoke(cli, ["graph", "--bundle", "--target", "prod", "-o", "g.dot"])
    assert result.exit_code == 0, result.output
    drawn = (bundle / "g.dot").read_text()
    assert '"ds:big_orders" -> "ds:summary"' in drawn


def test_validate_checks_every_library_offline(bundle: Path) -> None:
    ok = CliRunner().invoke(cli, ["validate", "--bundle", "--output", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["libraries"] == [
        "src/sales_etl/transformations/orders.sql", "src/sales_etl/transformations/summary.py"]
    sql = bundle / "src/sales_etl/transformations/orders.sql"
    sql.write_text(sql.read_text() + "\nCREATE MATERIALIZED VIEW x AS SELEC 1;\n")
    (bundle / "src/sales_etl/transformations/summary.py").write_text("def broken(:\n")
    bad = CliRunner().invoke(cli, ["validate", "--bundle", "-t", "prod"])
    assert bad.exit_code == 2
    assert "orders.sql: line 9" in bad.output and "summary.py:1" in bad.output
