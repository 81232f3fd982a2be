"""``dltflow run`` through click's CliRunner: output, JSON, exit codes, options."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli

ROOT = Path(__file__).resolve().parents[3]
SIMPLE = ROOT / "samples" / "pipelines" / "simple.py"
SIMPLE_CONF = ROOT / "conf" / "simple.yml"


def invoke(*args: Any) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def as_json(result: Result) -> dict[str, Any]:
    """stdout must be exactly one JSON object."""
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


PLAIN_DLT = """
    import dlt
    from pyspark.sql import functions as F

    @dlt.table
    @dlt.expect_or_drop("even", "id % 2 = 0")
    def numbers():
        return spark.range(10)

    @dlt.table(name="doubled")
    @dlt.expect("small", "twice < 10")
    def doubled():
        return dlt.read("numbers").withColumn("twice", F.col("id") * 2)

    @dlt.table
    def unrelated():
        return spark.range(3)
"""


def test_simple_sample_text_output(spark: SparkSession, tmp_path: Path) -> None:
    result = invoke("run", SIMPLE, "--conf", SIMPLE_CONF, "--warehouse", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["dataset", "status", "rows", "written", "rows", "dropped",
                                "expectation", "failed", "passed"]
    assert lines[2].split() == ["orchestrate", "COMPLETED", "5", "0", "check_addition", "2",
                                "3"]
    progress = result.stderr
    assert "STARTED" in progress and "flow orchestrate -> orchestrate" in progress
    assert "5 row(s) written, 0 dropped" in progress
    assert "check_addition (2)" in progress


def test_json_output_is_one_object_with_counts(spark: SparkSession, tmp_path: Path) -> None:
    result = invoke("run", SIMPLE, "--conf", SIMPLE_CONF, "--warehouse", tmp_path,
                    "--output", "json")
    assert result.exit_code == 0, result.output
    payload = as_json(result)
    assert payload["status"] == "COMPLETED"
    assert payload["datasets"] == {"orchestrate": {
        "output_rows": 5, "dropped_rows": 0,
        "expectations": {"check_addition": {"passed_records": 3, "failed_records": 2}}}}
    stored = spark.read.parquet(str(next((tmp_path / "default" / "orchestrate").glob("v*"))))
    assert stored.filter("result >= 10").count() == 2


def test_failing_expectation_exits_1_with_status_failed(spark: SparkSession,
                                                       tmp_path: Path) -> None:
    conf = write(tmp_path / "fail.yml", """
        dlt:
          func_name: orchestrate
          expectation_action: fail
          expectations:
            - {name: check_addition, constraint: result < 10}
    """)
    result = invoke("run", SIMPLE, "--conf", conf, "--warehouse", tmp_path / "wh",
                    "--output", "json")
    assert result.exit_code == 1
    payload = as_json(result)
    assert payload["status"] == "FAILED"
    assert "check_addition" in payload["error"] and "orchestrate" in payload["error"]


def test_failing_update_in_text_mode_names_the_expectation(spark: SparkSession,
                                                          tmp_path: Path) -> None:
    conf = write(tmp_path / "fail.yml", """
        dlt:
          func_name: orchestrate
          expectation_action: fail
          expectations:
            - {name: check_addition, constraint: result < 10}
    """)
    result = invoke("run", SIMPLE, "--conf", conf, "--warehouse", tmp_path / "wh")
    assert result.exit_code == 1
    assert "FAILED" in result.stderr and "check_addition" in result.stderr


def test_plain_dlt_file(spark: SparkSession, tmp_path: Path) -> None:
    source = write(tmp_path / "plain.py", PLAIN_DLT)
    result = invoke("run", source, "--warehouse", tmp_path / "wh", "--output", "json")
    assert result.exit_code == 0, result.output
    datasets = as_json(result)["datasets"]
    assert datasets["numbers"] == {"output_rows": 5, "dropped_rows": 5, "expectations": {
        "even": {"passed_records": 5, "failed_records": 5}}}
    # doubled: 0, 4, 8, 12, 16 -> three are below 10
    assert datasets["doubled"]["expectations"] == {
        "small": {"passed_records": 3, "failed_records": 2}}


def test_select_runs_the_dataset_and_its_upstreams(spark: SparkSession,
                                                  tmp_path: Path) -> None:
    source = write(tmp_path / "plain.py", PLAIN_DLT)
    result = invoke("run", source, "--warehouse", tmp_path / "wh", "--select", "doubled",
                    "--output", "json")
    assert result.exit_code == 0, result.output
    assert sorted(as_json(result)["datasets"]) == ["doubled", "numbers"]


STREAMING_DLT = """
    import dlt

    @dlt.table
    def first():
        return spark.readStream.schema("n long").json({landing!r})

    @dlt.table
    def second():
        return spark.readStream.schema("n long").json({landing!r})
"""


def test_full_refresh_all_or_by_name(spark: SparkSession, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "1.json").write_text('{"n": 1}\n{"n": 2}\n')
    source = write(tmp_path / "streams.py", STREAMING_DLT.format(landing=str(landing)))
    warehouse = tmp_path / "wh"

    def rows(*args: Any) -> dict[str, int]:
        result = invoke("run", *args, "--warehouse", warehouse, "--output", "json")
        assert result.exit_code == 0, result.output
        return {n: d["output_rows"] for n, d in as_json(result)["datasets"].items()}

    assert rows(source) == {"first": 2, "second": 2}
    assert rows(source) == {"first": 0, "second": 0}  # checkpoints: nothing new
    assert rows(source, "--full-refresh", "first") == {"first": 2, "second": 0}
    assert rows(source, "--full-refresh-table", "second") == {"first": 0, "second": 2}
    assert rows("--full-refresh", source) == {"first": 2, "second": 2}  # the file is SOURCE
    assert rows(source, "--full-refresh") == {"first": 2, "second": 2}
    assert spark.table("default.first").count() == 2


def test_dry_run_prints_the_plan_and_writes_nothing(spark: SparkSession,
                                                   tmp_path: Path) -> None:
    source = write(tmp_path / "plain.py", PLAIN_DLT)
    result = invoke("run", source, "--warehouse", tmp_path / "wh", "--dry-run")
    assert result.exit_code == 0, result.output
    for name in ("numbers", "doubled", "unrelated"):
        assert name in result.stdout
    assert result.stdout.index("numbers") < result.stdout.index("doubled")
    assert not (tmp_path / "wh" / "default" / "numbers").exists()


def test_deployment_file(spark: SparkSession, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = invoke("run", "--deployment-file", "workflows/simple.yml", "--environment",
                    "dev", "--warehouse", tmp_path, "--output", "json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["datasets"]["orchestrate"]["expectations"] == {
        "check_addition": {"passed_records": 3, "failed_records": 2}}


@pytest.mark.parametrize("args", [
    ["run"],
    ["run", "does/not/exist.py"],
    ["run", str(SIMPLE), "--conf", "missing.yml"],
    ["run", "--deployment-file", "workflows/simple.yml"],
    ["run", "--deployment-file", "missing.yml", "--environment", "dev"],
    ["run", str(SIMPLE), "--environment", "dev"],
    ["run", str(SIMPLE), "--output", "xml"],
])
def test_bad_arguments_exit_2(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output


def test_invalid_config_exits_2_naming_the_field(spark: SparkSession, tmp_path: Path) -> None:
    conf = write(tmp_path / "bad.yml", """
        dlt:
          func_name: orchestrate
          kind: tabel
    """)
    result = invoke("run", SIMPLE, "--conf", conf, "--warehouse", tmp_path / "wh")
    assert result.exit_code == 2
    assert "bad.yml" in result.stderr and "kind" in result.stderr
    assert "Traceback" not in result.output


def test_graph_error_exits_2_naming_the_dataset(spark: SparkSession, tmp_path: Path) -> None:
    source = write(tmp_path / "broken.py", """
        import dlt

        @dlt.table
        def downstream():
            return dlt.read("nowhere")
    """)
    result = invoke("run", source, "--warehouse", tmp_path / "wh", "--output", "json")
    assert result.exit_code == 2
    assert "nowhere" in result.stderr
    failure = json.loads(result.stdout)  # --output json: one object, on failure too
    assert failure["status"] == "failed" and failure["error"]["type"] == "GraphError"


def test_unknown_deployment_environment_exits_2(spark: SparkSession, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = invoke("run", "--deployment-file", "workflows/simple.yml", "--environment",
                    "prod", "--warehouse", tmp_path)
    assert result.exit_code == 2
    assert "prod" in result.stderr


def test_deployment_file_with_a_chosen_workflow(spark: SparkSession, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    base = ["run", "--deployment-file", "workflows/simple.yml", "--environment", "dev",
            "--warehouse", tmp_path]
    result = invoke(*base, "--workflow", "dltflow-simple", "--output", "json")
    assert result.exit_code == 0, result.output
    assert as_json(result)["datasets"]["orchestrate"]["output_rows"] == 5
    unknown = invoke(*base, "--workflow", "nope")
    assert unknown.exit_code == 2
    assert "nope" in unknown.stderr


PRINTING = """
    import dlt

    print("declaring with", spark.conf.get("demo.rows"))

    @dlt.table
    def numbers():
        print("computing numbers")
        return spark.range(int(spark.conf.get("demo.rows")))
"""


def test_configuration_and_json_output_with_user_prints(spark: SparkSession,
                                                         tmp_path: Path) -> None:
    source = write(tmp_path / "printing.py", PRINTING)
    params = write(tmp_path / "params.yml", "demo.rows: 3\n")
    result = invoke("run", source, "--warehouse", tmp_path / "wh", "--output", "json",
                    "--configuration", params)
    assert result.exit_code == 0, result.output
    payload = as_json(result)  # the user's prints did not end up on stdout
    assert payload["datasets"]["numbers"]["output_rows"] == 3
    assert "[pipeline] declaring with 3" in result.stderr
    assert "[pipeline] computing numbers" in result.stderr
    again = invoke("run", source, "--warehouse", tmp_path / "wh", "-o", "json",
                   "--configuration", params, "--configuration", "demo.rows=5")
    assert as_json(again)["datasets"]["numbers"]["output_rows"] == 5


def test_bad_configuration_argument_exits_2(spark: SparkSession, tmp_path: Path) -> None:
    source = write(tmp_path / "printing.py", PRINTING)
    result = invoke("run", source, "--warehouse", tmp_path / "wh", "--configuration", "rows")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.stderr


FAILING_JVM = """
    import dlt

    @dlt.table
    def from_delta():
        return spark.read.format("delta").load("/nowhere/at/all")

    @dlt.table
    def downstream():
        return dlt.read("from_delta")
"""


def test_jvm_failure_shows_its_root_cause_and_a_hint(spark: SparkSession,
                                                      tmp_path: Path) -> None:
    source = write(tmp_path / "failing.py", FAILING_JVM)
    result = invoke("run", source, "--warehouse", tmp_path / "wh")
    assert result.exit_code == 1
    assert "DATA_SOURCE_NOT_FOUND" in result.stderr and "Hint: Delta Lake" in result.stderr
    assert "\tat org.apache" not in result.output and "Traceback" not in result.stderr
    assert "SKIPPED" in result.stderr and "downstream" in result.stdout
    debug = CliRunner().invoke(cli, ["--debug", "run", str(source), "--warehouse",
                                     str(tmp_path / "wh")])
    assert "Traceback" in debug.stderr
