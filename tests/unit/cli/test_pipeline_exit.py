"""Pipeline code calling ``sys.exit()``: reported as such, never a silent exit code.

Before, ``dltflow run`` on a file calling ``sys.exit(3)`` ended with exit 3 and no
message. Now a call while the pipeline is defined is bad input (exit 2, the file and
line named); a call inside a dataset function fails that dataset and the update (exit 1).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from dltflow.exceptions import ConfigError
from dltflow.local import run
from dltflow.quality.construct import build_pipeline


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


AT_DEFINITION = """
    import sys
    import dlt

    @dlt.table
    def numbers():
        return spark.range(3)

    sys.exit(3)
"""

IN_PLANNING = """
    import sys
    import dlt

    @dlt.table
    def numbers():
        return spark.range(3)

    @dlt.table
    def broken():
        sys.exit(3)
"""

# Planning calls each query once to learn its schema; the run calls it again.
AT_RUN_TIME = """
    import sys
    import dlt

    calls = []

    @dlt.table
    def late():
        calls.append(1)
        if len(calls) > 1:
            sys.exit("stop here")
        return spark.range(3)
"""


def test_exit_while_defining_is_bad_input_naming_file_and_line(spark: SparkSession,
                                                                tmp_path: Path) -> None:
    source = write(tmp_path / "exits.py", AT_DEFINITION)
    result = invoke("run", source, "--warehouse", tmp_path / "wh")
    assert result.exit_code == 2, result.output
    assert (f"{source} called sys.exit(3) while the pipeline was being defined "
            f"(at {source}:{line_of(source, 'sys.exit(3)')})") in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("text", "dataset", "call", "marker"), [
    (IN_PLANNING, "broken", "sys.exit(3)", "sys.exit(3)"),
    (AT_RUN_TIME, "late", "sys.exit('stop here')", 'sys.exit("stop here")'),
])
def test_exit_in_a_dataset_fails_that_dataset(spark: SparkSession, tmp_path: Path, text: str,
                                              dataset: str, call: str, marker: str) -> None:
    source = write(tmp_path / "exits.py", text)
    result = invoke("run", source, "--warehouse", tmp_path / "wh")
    assert result.exit_code == 1, result.output
    where = f"{source}:{line_of(source, marker)}"
    assert f"Dataset '{dataset}' failed in __main__.{dataset}: called {call} at {where}" \
        in result.stderr
    assert "FAILED" in result.stderr and "Traceback" not in result.output


def test_exit_through_the_api(spark: SparkSession, tmp_path: Path) -> None:
    source = write(tmp_path / "exits.py", IN_PLANNING)
    result = run(source, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "FAILED"
    assert result.datasets["broken"].status == "FAILED"
    assert "called sys.exit(3) at" in str(result.error)
    with pytest.raises(ConfigError, match=r"called sys.exit\(3\) while the pipeline was being"):
        run(write(tmp_path / "defining.py", AT_DEFINITION), spark=spark,
            warehouse=tmp_path / "wh")

    def definition() -> None:
        raise SystemExit(0)

    with pytest.raises(ConfigError, match=r"definition called sys.exit\(0\)"):
        run(definition, spark=spark, warehouse=tmp_path / "wh")


def test_exit_in_a_pipeline_constructor(spark: SparkSession) -> None:
    class Quits:
        def __init__(self, spark: object, init_conf: object) -> None:
            raise SystemExit()

    with pytest.raises(ConfigError) as info:
        build_pipeline(Quits, spark, {"dlt": []})
    assert "Quits(...) called sys.exit() while the pipeline was being defined" in str(
        info.value)
    assert f"{__file__}:" in str(info.value)


@pytest.mark.parametrize("class_name", ["Pipeline", ""])
def test_exit_in_a_deployed_module(spark: SparkSession, tmp_path: Path,
                                   class_name: str) -> None:
    from dltflow.runtime import launch

    write(tmp_path / "quits_on_import.py", "import sys\nsys.exit(5)\n")
    with pytest.raises(ConfigError) as info:
        launch(spark, artifact_root=str(tmp_path), module="quits_on_import",
               class_name=class_name)
    assert "called sys.exit(5) while the pipeline was being defined" in str(info.value)
    assert "quits_on_import.py:2)" in str(info.value)


IN_SNAPSHOTS = """
    import sys
    import dlt

    def next_snapshot(version):
        if version is None:
            return spark.range(3).withColumnRenamed("id", "key"), 1
        sys.exit(4)

    dlt.create_streaming_table("keys")
    dlt.apply_changes_from_snapshot(target="keys", snapshot_and_version=next_snapshot,
                                    keys=["key"], stored_as_scd_type=1)
"""


def test_exit_in_a_snapshot_function_fails_that_dataset(spark: SparkSession,
                                                        tmp_path: Path) -> None:
    source = write(tmp_path / "snapshots.py", IN_SNAPSHOTS)
    result = run(source, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "FAILED"
    assert result.datasets["keys"].status == "FAILED"
    assert f"called sys.exit(4) at {source}:{line_of(source, 'sys.exit(4)')}" \
        in str(result.error)


def test_a_nul_byte_in_the_warehouse_path_is_bad_input(spark: SparkSession,
                                                       tmp_path: Path) -> None:
    source = write(tmp_path / "snapshots.py", IN_SNAPSHOTS)
    with pytest.raises(ConfigError, match=r"field 'warehouse'.*contains a NUL byte"):
        run(source, spark=spark, warehouse="w\x00h")
