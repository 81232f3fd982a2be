"""Every sample runs through ``dltflow run``; its counts match counts computed here.

The expected numbers come from the samples' input data, filtered in plain Python or
plain PySpark, never from the engine.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from samples.pipelines import medium, simple, streaming_append
from tests.support.report_page import assert_report_matches

ROOT = Path(__file__).resolve().parents[1]


def run_json(*args: Any) -> dict[str, Any]:
    """Run through the CLI; the run's report page (``--report``) must show the same."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.html"
        result = CliRunner().invoke(cli, ["run", *map(str, args), "--output", "json",
                                          "--report", str(report)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        payload: dict[str, Any] = json.loads(result.stdout)
        assert_report_matches(report.read_text(encoding="utf-8"), payload)
    assert payload["status"] == "COMPLETED"
    return payload


def counts(passed: int, failed: int) -> dict[str, int]:
    return {"passed_records": passed, "failed_records": failed}


@pytest.mark.sail
def test_simple(spark: SparkSession, tmp_path: Path) -> None:
    pipeline = simple.SimplePipeline(spark)  # no config: plain methods
    expected = pipeline.transform(pipeline.read())
    failing = expected.filter("NOT (result < 10)").count()
    payload = run_json(ROOT / "samples/pipelines/simple.py", "--conf", ROOT / "conf/simple.yml",
                       "--warehouse", tmp_path)
    assert failing == 2
    assert payload["datasets"] == {"orchestrate": {
        "output_rows": expected.count(), "dropped_rows": 0,
        "expectations": {"check_addition": counts(expected.count() - failing, failing)}}}
    stored = spark.table("default.orchestrate")
    assert_df_equality(stored, expected, ignore_row_order=True, ignore_nullable=True)


@pytest.mark.sail
def test_medium(spark: SparkSession, tmp_path: Path) -> None:
    ages = [age for _, age, _ in medium.PEOPLE]
    plausible = [a for a in ages if 10 <= a <= 100]
    working = [a for a in plausible if 18 <= a <= 120]
    young = [a for a in working if a < 67]
    bins = {a // 10 * 10 for a in plausible}
    payload = run_json(ROOT / "samples/pipelines/medium.py", "--conf", ROOT / "conf/medium.yml",
                       "--warehouse", tmp_path, "--schema", "medium_sample")
    datasets = payload["datasets"]
    assert datasets["raw_people"]["expectations"] == {"has_name": counts(len(ages), 0)}
    assert datasets["people"] == {
        "output_rows": len(plausible), "dropped_rows": len(ages) - len(plausible),
        "expectations": {"plausible_age": counts(len(plausible), len(ages) - len(plausible)),
                         "known_country": counts(len(ages), 0)}}
    assert datasets["age_bins"]["output_rows"] == len(bins)
    assert datasets["working_age"] == {
        "output_rows": len(young), "dropped_rows": len(working) - len(young),
        "expectations": {"below_retirement": counts(len(young), len(working) - len(young))}}
    quarantined = spark.table("medium_sample.working_age_quarantine").collect()
    assert sorted(r.age for r in quarantined) == sorted(a for a in working if a >= 67)
    assert {tuple(r._failed_expectations) for r in quarantined} == {
        ("below_retirement",)}
    assert "raw_people" not in {t.name for t in spark.catalog.listTables("medium_sample")}


@pytest.mark.sail
def test_streaming_append_is_incremental(spark: SparkSession, tmp_path: Path) -> None:
    args = (ROOT / "samples/pipelines/streaming_append.py", "--conf",
            ROOT / "conf/streaming_append.yml", "--warehouse", tmp_path / "wh")
    first = streaming_append.JSON_ORDERS + streaming_append.CSV_ORDERS
    payload = run_json(*args)
    good = [o for o in first if o["amount"] > 0]
    assert payload["datasets"]["orders"] == {
        "output_rows": len(good), "dropped_rows": len(first) - len(good),
        "expectations": {"positive_amount": counts(len(good), len(first) - len(good))}}

    more_json = [{"order_id": 5, "customer": "heidi", "amount": 9.0, "channel": "web"}]
    more_csv = [{"order_id": 104, "customer": "ivan", "amount": 1.5, "channel": "store"},
                {"order_id": 105, "customer": "judy", "amount": -1.0, "channel": "store"}]
    streaming_append.write_batch(tmp_path / "wh" / "landing", "orders-0002", more_json,
                                 more_csv)
    second = run_json(*args)["datasets"]["orders"]
    assert second["output_rows"] == 2 and second["dropped_rows"] == 1  # only the new files

    every = [o for o in first + more_json + more_csv if o["amount"] > 0]
    stored = spark.table("default.orders").select("order_id", "source")
    assert sorted(r.order_id for r in stored.collect()) == sorted(o["order_id"] for o in every)
    refreshed = run_json(*args, "--full-refresh")["datasets"]["orders"]
    assert refreshed["output_rows"] == len(every)
    assert spark.table("default.orders").count() == len(every)


@pytest.mark.parametrize("name", ["simple", "medium", "streaming_append", "streaming_cdc"])
def test_workflow_files_plan(name: str, spark: SparkSession, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Each deployment file resolves to its sample and plans (dry run) from a copy of
    the project, so nothing is written into the repository."""
    for folder in ("samples", "conf", "workflows"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--deployment-file", f"workflows/{name}.yml",
                                      "--environment", "dev", "--warehouse", "wh",
                                      "--dry-run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Plan: ")
    assert not (tmp_path / "wh" / "default").exists() or not any(
        (tmp_path / "wh" / "default").glob("*/_dltflow.json"))
