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
from dltflow.testing.plugin import dltflow_engine

ROOT = Path(__file__).resolve().parents[2]


def test_fixture_session_is_the_chosen_engine(spark: SparkSession,
                                              pytestconfig: pytest.Config) -> None:
    classic = hasattr(spark, "_jsparkSession")
    assert classic == (dltflow_engine(pytestconfig) == "jvm")


@pytest.fixture
def sail(pytestconfig: pytest.Config) -> None:
    if dltflow_engine(pytestconfig) != "sail":
        pytest.skip("runs in the Sail pytest run (--dltflow-engine sail)")


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
    assert "run it with the default engine (--engine jvm)" in message
    return message


def test_append_flow_from_a_stream_is_refused(sail: None, run_pipeline: Any) -> None:
    message = _refused(run_pipeline, ROOT / "samples/pipelines/streaming_append.py",
                       conf=ROOT / "conf/streaming_append.yml")
    assert "dataset 'orders'" in message
    assert "append flow 'orders_from_json', which reads a stream" in message
    assert "streaming_append.py:" in message


def test_streaming_table_query_is_refused(sail: None, run_pipeline: Any, spark: SparkSession,
                                          tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.json").write_text('{"id": 1}\n')

    def pipeline() -> None:
        @dlt.table
        def events() -> DataFrame:
            return spark.readStream.schema("id long").json(str(landing))

    message = _refused(run_pipeline, pipeline)
    assert "dataset 'events'" in message and "a streaming table query" in message
    assert "test_sail_engine.py:" in message


def test_streaming_cdc_is_refused(sail: None, run_pipeline: Any, spark: SparkSession,
                                  tmp_path: Path) -> None:
    def pipeline() -> None:
        @dlt.table
        def changes() -> DataFrame:
            return spark.createDataFrame([(1, "a", 1)], "id long, v string, seq long")

        dlt.create_streaming_table("changes_stream")

        @dlt.append_flow(target="changes_stream")
        def feed() -> DataFrame:  # a batch append: Sail runs it
            return spark.table("changes")

        dlt.create_streaming_table("target")
        dlt.apply_changes(target="target", source="changes_stream", keys=["id"],
                          sequence_by="seq")

    message = _refused(run_pipeline, pipeline)
    assert "dataset 'target'" in message
    assert "apply_changes flow 'target' from the streaming source 'changes_stream'" in message


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
