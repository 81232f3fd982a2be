"""The Sail engine in its own pytest run (``make test`` runs this file with
``--dltflow-engine sail``); on the JVM run it checks the fixture is the JVM's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyspark.sql import DataFrame, SparkSession

from dltflow.cli.interface import cli
from dltflow.exceptions import EngineUnsupported, ExpectationFailed
from dltflow.graph import api as dlt
from dltflow.local import explain
from dltflow.testing.plugin import dltflow_engine

ROOT = Path(__file__).resolve().parents[2]

# The whole module runs again in `make test`'s Sail pass (-m sail --dltflow-engine sail).
pytestmark = pytest.mark.sail


def test_fixture_session_is_the_chosen_engine(spark: SparkSession,
                                              pytestconfig: pytest.Config) -> None:
    classic = hasattr(spark, "_jsparkSession")
    assert classic == (dltflow_engine(pytestconfig) == "jvm")


@pytest.fixture
def sail(pytestconfig: pytest.Config) -> None:
    if dltflow_engine(pytestconfig) != "sail":
        pytest.skip("runs in the Sail pytest run (--dltflow-engine sail)")


def test_statements_on_the_embedded_server_are_not_reattachable(sail: None,
                                                                spark: SparkSession) -> None:
    """Reattaching guards a remote stream against network drops; on this machine it
    only costs a ReleaseExecute call on a fresh thread per statement."""
    assert spark.client._use_reattachable_execute is False  # type: ignore[attr-defined]
    assert spark.sql("SELECT 1 AS one").collect()[0].one == 1


@pytest.mark.spark  # `dltflow run` starts the session itself
def test_simple_sample_through_the_cli(sail: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "run", str(ROOT / "samples/pipelines/simple.py"), "--conf", str(ROOT / "conf/simple.yml"),
        "--warehouse", str(tmp_path), "--output", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["datasets"]["orchestrate"]
    assert figures["output_rows"] == 5
    assert figures["expectations"]["check_addition"] == {"passed_records": 3,
                                                         "failed_records": 2}


def _refused(run_pipeline: Any, source: Any, **options: Any) -> str:
    with pytest.raises(EngineUnsupported) as caught:
        run_pipeline(source, **options)
    message = str(caught.value)
    assert "run it with the JVM engine (--engine jvm)" in message
    return message


def test_a_streaming_aggregation_is_refused_before_any_data_moves(
        sail: None, run_pipeline: Any, spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.json").write_text('{"id": 1, "kind": "x"}\n')

    def pipeline() -> None:
        @dlt.table
        def counts() -> DataFrame:
            return spark.readStream.schema("id long, kind string").json(str(landing)) \
                .groupBy("kind").count()

    message = _refused(run_pipeline, pipeline, warehouse=tmp_path / "wh")
    assert "dataset 'counts'" in message and "an aggregation of a stream" in message
    assert "test_sail_engine.py:" in message
    assert not (tmp_path / "wh" / "default" / "counts").exists()


def test_a_dry_run_refuses_what_the_run_refuses(spark: SparkSession, tmp_path: Path,
                                                pytestconfig: pytest.Config) -> None:
    """explain() shares run()'s refusals: incremental reads (Sail's streaming, or
    ``--streaming incremental`` on JVM Spark) cannot aggregate a stream."""
    landing = tmp_path / "landing"
    landing.mkdir()

    def pipeline() -> None:
        @dlt.table
        def counts() -> DataFrame:
            return spark.readStream.schema("id long, kind string").json(str(landing)) \
                .groupBy("kind").count()

    streaming = None if dltflow_engine(pytestconfig) == "sail" else "incremental"
    with pytest.raises(EngineUnsupported) as caught:
        explain(pipeline, spark=spark, warehouse=tmp_path / "wh", streaming=streaming)
    assert "dataset 'counts'" in str(caught.value)
    assert "an aggregation of a stream" in str(caught.value)
    assert not (tmp_path / "wh").exists()


def test_a_stream_other_than_files_or_tables_fails_its_dataset(
        sail: None, spark: SparkSession, tmp_path: Path) -> None:
    from dltflow.local import run

    def pipeline() -> None:
        @dlt.table
        def ticks() -> DataFrame:
            return spark.readStream.format("rate").load()

    result = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "FAILED"
    assert isinstance(result.error, EngineUnsupported)
    assert "the streaming source 'rate'" in str(result.error)
    assert "dataset 'ticks'" in str(result.error)


def test_structured_streaming_is_refused_on_sail(sail: None, spark: SparkSession,
                                                 tmp_path: Path) -> None:
    from dltflow.exceptions import ConfigError
    from dltflow.local import run

    with pytest.raises(ConfigError, match="cannot run Structured Streaming"):
        run(lambda: None, spark=spark, warehouse=tmp_path / "wh", streaming="structured")


@pytest.mark.parametrize(("chosen", "delta_log"), [(None, True), ("parquet", False),
                                                   ("delta", True)])
def test_tables_are_delta_by_default_on_sail(sail: None, run_pipeline: Any,
                                             dltflow_warehouse: Path, chosen: str | None,
                                             delta_log: bool) -> None:
    result = run_pipeline(ROOT / "samples/pipelines/simple.py", conf=ROOT / "conf/simple.yml",
                          format=chosen)
    assert result.status == "COMPLETED", result.error
    versions = list((dltflow_warehouse / "default" / "orchestrate").glob("v*"))
    assert len(versions) == 1
    assert (versions[0] / "_delta_log").is_dir() == delta_log
    assert result.table("orchestrate").count() == 5
    again = run_pipeline(ROOT / "samples/pipelines/simple.py", conf=ROOT / "conf/simple.yml",
                         format="parquet")  # a later run in the other format still works
    assert again.status == "COMPLETED", again.error
    assert again.table("orchestrate").count() == 5


def test_a_violated_fail_expectation_on_sail(sail: None, run_pipeline: Any,
                                             spark: SparkSession) -> None:
    def pipeline() -> None:
        @dlt.table
        @dlt.expect("small", "n < 8")
        @dlt.expect_or_fail("not_seven", "n != 7")
        def numbers() -> DataFrame:
            return spark.range(10).withColumnRenamed("id", "n")

    result = run_pipeline(pipeline)
    assert result.status == "FAILED"
    assert isinstance(result.error, ExpectationFailed)
    assert (result.error.expectation, result.error.failed_records, result.error.record) == (
        "not_seven", 1, {"n": 7})
    assert result.datasets["numbers"].expectations == {
        "small": {"passed_records": 8, "failed_records": 2},
        "not_seven": {"passed_records": 9, "failed_records": 1}}


def test_a_catalog_entry_the_warehouse_did_not_make_is_replaced(
        sail: None, run_pipeline: Any, spark: SparkSession, tmp_path: Path) -> None:
    """A first registration is one CREATE; a name already taken in the session catalog
    by something else is dropped and created again, pointing at the pipeline's table."""
    spark.range(3).write.mode("overwrite").parquet(str(tmp_path / "elsewhere"))
    spark.sql("CREATE DATABASE IF NOT EXISTS taken")
    spark.sql("DROP TABLE IF EXISTS taken.numbers")
    spark.sql(f"CREATE TABLE taken.numbers (id bigint) USING parquet "
              f"LOCATION '{tmp_path / 'elsewhere'}'")

    def pipeline() -> None:
        @dlt.table
        def numbers() -> DataFrame:
            return spark.range(10).withColumnRenamed("id", "n")

    result = run_pipeline(pipeline, schema="taken")
    assert result.status == "COMPLETED", result.error
    assert sorted(r.n for r in spark.table("taken.numbers").collect()) == list(range(10))


def test_batch_append_flows_append_delta_commits(sail: None, run_pipeline: Any,
                                                 spark: SparkSession,
                                                 dltflow_warehouse: Path) -> None:
    def pipeline() -> None:
        dlt.create_streaming_table("all_numbers")

        @dlt.append_flow(target="all_numbers")
        def small() -> DataFrame:
            return spark.range(3).withColumnRenamed("id", "n")

        @dlt.append_flow(target="all_numbers")
        def large() -> DataFrame:
            return spark.range(100, 102).withColumnRenamed("id", "n")

    first = run_pipeline(pipeline)
    assert first.status == "COMPLETED", first.error
    assert sorted(r.n for r in first.table("all_numbers").collect()) == [0, 1, 2, 100, 101]
    version, = (dltflow_warehouse / "default" / "all_numbers").glob("v*")
    assert (version / "_delta_log").is_dir()


ONCE_PIPELINE = '''
import dlt

dlt.create_streaming_table("backfilled")


@dlt.append_flow(target="backfilled", once=True)
def history():
    return spark.range(4).withColumnRenamed("id", "n")
'''


@pytest.mark.process  # kills a `dltflow run` process
def test_a_delta_append_killed_before_its_mark_is_not_repeated(
        sail: None, run_pipeline: Any, tmp_path: Path, dltflow_warehouse: Path) -> None:
    """Killed after the Delta commit of a once-flow's batch and before the batch was
    marked done: recovery finds the commit's tag in the Delta log and does not append
    the rows a second time."""
    import os
    import signal
    import subprocess
    import sys

    from dltflow.local import Recovered

    source = tmp_path / "backfill.py"
    source.write_text(ONCE_PIPELINE)
    code = "from dltflow.cli.interface import cli; cli(prog_name='dltflow')"
    killed = subprocess.run(
        [sys.executable, "-c", code, "run", str(source), "--engine", "sail",
         "--warehouse", str(dltflow_warehouse)], capture_output=True, text=True, timeout=300,
        env={**os.environ, "DLTFLOW_FAILPOINT": "append.moved@backfilled"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    events: list[object] = []
    result = run_pipeline(source, on_event=events.append)
    assert result.status == "COMPLETED", result.error
    assert sorted(r.n for r in result.table("backfilled").collect()) == [0, 1, 2, 3]
    assert [e for e in events if isinstance(e, Recovered)]  # the commit was finished
    again = run_pipeline(source)  # once: never again
    assert again.table("backfilled").count() == 4


def _first_commit(version: Path) -> list[dict[str, Any]]:
    lines = (version / "_delta_log" / "00000000000000000000.json").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_checked_delta_versions_are_the_staged_files_under_a_first_commit(
        sail: None, run_pipeline: Any, spark: SparkSession, dltflow_warehouse: Path) -> None:
    """On Sail a checked table's kept rows are staged once; their files become the
    Delta version under a first commit dltflow writes (no second job), which Sail
    reads, appends to and registers like its own; a column the base protocol cannot
    describe (timestamp_ntz) leaves the version to Sail's Delta writer."""
    def pipeline() -> None:
        @dlt.table
        @dlt.expect_or_drop("even", "n % 2 = 0")
        @dlt.expect("small", "n < 6")
        def evens() -> DataFrame:
            return spark.range(10).selectExpr("id AS n", "CAST(id AS STRING) AS label")

        @dlt.table
        @dlt.expect_or_drop("even", "n % 2 = 0")
        def stamped() -> DataFrame:
            return spark.range(4).selectExpr("id AS n", "TIMESTAMP_NTZ '2026-01-01' AS at")

        dlt.create_streaming_table("appended", expect_all_or_drop={"odd": "n % 2 = 1"})

        @dlt.append_flow(target="appended")
        def odds() -> DataFrame:
            return spark.range(5).withColumnRenamed("id", "n")

    result = run_pipeline(pipeline)
    assert result.status == "COMPLETED", result.error
    assert result.datasets["evens"].expectations == {
        "even": {"passed_records": 5, "failed_records": 5},
        "small": {"passed_records": 6, "failed_records": 4}}
    version, = (dltflow_warehouse / "default" / "evens").glob("v*")
    commit = _first_commit(version)
    assert commit[0]["commitInfo"]["engineInfo"] == "dltflow"
    added = [a["add"] for a in commit if "add" in a]
    assert sum(json.loads(a["stats"])["numRecords"] for a in added) == 5
    assert {a["path"] for a in added} == {p.name for p in version.glob("*.parquet")}
    table = spark.read.format("delta").load(str(version))
    assert dict(table.dtypes) == {"n": "bigint", "label": "string"}
    assert sorted((r.n, r.label) for r in table.collect()) == [(n, str(n)) for n in (0, 2, 4, 6, 8)]
    assert sorted(r.n for r in spark.table("default.evens").collect()) == [0, 2, 4, 6, 8]
    stamped, = (dltflow_warehouse / "default" / "stamped").glob("v*")
    assert _first_commit(stamped)[0]["commitInfo"]["engineInfo"] != "dltflow"
    assert result.table("stamped").count() == 2
    assert sorted(r.n for r in result.table("appended").collect()) == [1, 3]
