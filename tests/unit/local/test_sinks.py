"""Sinks as Databricks' docs declare them: ``dp.create_sink`` with an append flow into
it, and ``@dp.foreach_batch_sink``; on both engines (the module runs again in the Sail
pass). The input is generated with violating rows and arrives in two runs; what each
sink must hold is computed here in plain Python."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from dltflow.exceptions import GraphError
from dltflow.local import run
from tests.support.sink_pipeline import PIPELINE, land, orders

pytestmark = pytest.mark.sail


def test_a_file_sink_and_a_foreach_batch_sink_over_two_runs(spark: SparkSession,
                                                            tmp_path: Path) -> None:
    source, landing, audit = tmp_path / "pipeline.py", tmp_path / "landing", tmp_path / "a.jsonl"
    source.write_text(PIPELINE)
    configuration = {"sinks.landing": str(landing), "sinks.audit": str(audit)}
    first, second = orders(1, 1, 40), orders(2, 41, 25)
    updates = []
    for name, rows in (("1.json", first), ("2.json", second)):
        land(landing, name, rows)
        result = run(source, spark=spark, warehouse=tmp_path / "wh",
                     configuration=configuration)
        assert result.status == "COMPLETED", result.error
        updates.append(result)

    landed = first + second
    kept = [r for r in landed if r["amount"] is not None]
    big = sorted((r["id"], r["amount"]) for r in kept if r["amount"] > 100)  # type: ignore[operator]
    exported = updates[-1].table("big_orders")
    assert sorted((r.id, r.amount) for r in exported.collect()) == big
    assert updates[1].datasets["big_orders"].output_rows == sum(
        1 for r in second if r["amount"] is not None and r["amount"] > 100)  # type: ignore[operator]

    calls = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [c["batch"] for c in calls] == sorted({c["batch"] for c in calls})  # each once
    handed = [i for c in calls for i in c["ids"]]
    assert sorted(handed) == sorted(r["id"] for r in kept)  # every kept row, once
    assert updates[0].datasets["audit"].output_rows == sum(
        1 for r in first if r["amount"] is not None)

    third = run(source, spark=spark, warehouse=tmp_path / "wh", configuration=configuration)
    assert third.status == "COMPLETED", third.error
    assert len(audit.read_text().splitlines()) == len(calls)  # nothing new: no call
    assert third.table("big_orders").count() == len(big)


def test_a_sink_cannot_be_read(spark: SparkSession, tmp_path: Path) -> None:
    source = tmp_path / "pipeline.py"
    source.write_text(textwrap.dedent('''
        from pyspark import pipelines as dp

        @dp.table
        def numbers():
            return spark.range(3)

        dp.create_sink("out", "parquet", {"path": "/tmp/out"})

        @dp.append_flow(target="out", once=True)
        def fill():
            return spark.read.table("numbers")

        @dp.materialized_view
        def reread():
            return spark.read.table("out")
    '''))
    with pytest.raises(GraphError, match="'reread' reads sink 'out'"):
        run(source, spark=spark, warehouse=tmp_path / "wh")


@pytest.mark.spark  # `dltflow run` starts the session itself
@pytest.mark.parametrize("fmt", ["kafka", "eventhubs"])
def test_an_external_sink_is_a_clear_error_naming_it(tmp_path: Path, fmt: str) -> None:
    source = tmp_path / "pipeline.py"
    source.write_text("from pyspark import pipelines as dp\n\n"
                      f"dp.create_sink('alerts', '{fmt}', {{'topic': 't'}})\n")
    result = CliRunner().invoke(cli, ["run", str(source), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 2, result.output
    assert f"sink 'alerts' (format '{fmt}', " in result.output
    assert "pipeline.py:3" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "wh" / "default" / "alerts").exists()
