"""Pipeline configuration: ``spark.conf.get`` in pipeline code, isolated between runs.

Shaped like the docs' configuration-driven pipelines: the source path and a threshold
come from the pipeline's ``configuration``, read at module level and inside a query.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dltflow.exceptions import ConfigError
from dltflow.local import run
from dltflow.local.databricks.configuration import parse_configuration

PARAMETERISED = textwrap.dedent('''
    import dlt

    source = spark.conf.get("demo.source")          # module level, as in the docs

    @dlt.table
    def readings():
        return spark.read.json(source)

    @dlt.table
    def high():
        limit = float(spark.conf.get("demo.limit"))  # inside a query, at run time
        return dlt.read("readings").where(f"value > {limit}")

    @dlt.table
    def from_widget():
        return dlt.read("readings").where(f"sensor = '{dbutils.widgets.get('demo.sensor')}'")
''')


@pytest.fixture
def readings(tmp_path: Path) -> tuple[Path, list[tuple[str, float]]]:
    rows = [("a", 1.0), ("b", 5.0), ("a", 9.5), ("c", 12.0)]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "r.json").write_text("".join(
        f'{{"sensor": "{s}", "value": {v}}}\n' for s, v in rows))
    return folder, rows


def test_configuration_is_visible_to_the_pipeline_and_restored(spark, tmp_path, readings):
    folder, rows = readings
    source = tmp_path / "p.py"
    source.write_text(PARAMETERISED)
    spark.conf.set("demo.limit", "outer")  # a value the session already had
    try:
        result = run(source, spark=spark, warehouse=tmp_path / "wh", configuration={
            "demo.source": str(folder), "demo.limit": 4, "demo.sensor": "a"})
        assert result.status == "COMPLETED", result.error
        assert sorted(r.value for r in result.table("high").collect()) == sorted(
            v for _, v in rows if v > 4)
        assert sorted(r.value for r in result.table("from_widget").collect()) == [1.0, 9.5]
        assert spark.conf.get("demo.limit") == "outer"
        assert spark.conf.get("demo.source", None) is None
    finally:
        spark.conf.unset("demo.limit")


def test_runs_do_not_see_each_others_configuration(spark, tmp_path, readings):
    folder, _ = readings
    source = tmp_path / "p.py"
    source.write_text(PARAMETERISED)
    first = run(source, spark=spark, warehouse=tmp_path / "a", configuration={
        "demo.source": str(folder), "demo.limit": "10", "demo.sensor": "c"})
    assert first.table("high").count() == 1
    with pytest.raises(ConfigError, match="demo.source"):
        run(source, spark=spark, warehouse=tmp_path / "b")  # nothing left behind


def test_missing_widget_names_the_key(spark, tmp_path, readings):
    folder, _ = readings
    source = tmp_path / "p.py"
    source.write_text(PARAMETERISED)
    with pytest.raises(ConfigError, match="--configuration demo.sensor=VALUE"):
        run(source, spark=spark, warehouse=tmp_path / "wh", configuration={
            "demo.source": str(folder), "demo.limit": "1"})


def test_run_pipeline_fixture_takes_configuration(run_pipeline, tmp_path, readings):
    folder, _ = readings
    source = tmp_path / "p.py"
    source.write_text(PARAMETERISED)
    result = run_pipeline(source, configuration={"demo.source": str(folder),
                                                 "demo.limit": "0", "demo.sensor": "b"})
    assert result.table("from_widget").count() == 1


def test_parse_configuration_pairs_and_files(tmp_path):
    file = tmp_path / "params.yml"
    file.write_text("demo.source: /data\ndemo.flag: true\ndemo.n: 3\n")
    wrapped = tmp_path / "settings.json"
    wrapped.write_text('{"configuration": {"demo.n": "4"}}')
    assert parse_configuration([str(file), "demo.extra=a=b", str(wrapped)]) == {
        "demo.source": "/data", "demo.flag": "true", "demo.n": "4", "demo.extra": "a=b"}
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_configuration(["no-equals-sign"])
    bad = tmp_path / "bad.yml"
    bad.write_text("demo.list: [1, 2]\n")
    with pytest.raises(ConfigError, match="demo.list"):
        parse_configuration([str(bad)])


def test_static_spark_setting_is_refused_by_name(spark, tmp_path, readings):
    folder, _ = readings
    source = tmp_path / "p.py"
    source.write_text(PARAMETERISED)
    with pytest.raises(ConfigError, match="spark.sql.warehouse.dir"):
        run(source, spark=spark, warehouse=tmp_path / "wh",
            configuration={"spark.sql.warehouse.dir": "/elsewhere"})


def test_event_hooks_receive_every_event(spark, tmp_path):
    from dltflow.graph import api as dlt

    seen: list[str] = []

    def pipeline():
        @dlt.table
        def numbers():
            return spark.range(2)

        @dlt.on_event_hook(max_allowable_consecutive_failures=1)
        def record(event):
            seen.append(event["event_type"])

        @dlt.on_event_hook(max_allowable_consecutive_failures=2)
        def broken(event):
            seen.append("broken")
            raise RuntimeError("hook bug")

    with pytest.warns(UserWarning, match="hook bug"):
        result = run(pipeline, spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "COMPLETED"
    assert seen.count("broken") == 2  # disabled after two failures in a row
    types = [s for s in seen if s != "broken"]
    assert types[0] == "create_update" and types[-1] == "update_progress"
    assert types.count("flow_progress") == 2  # started and finished
