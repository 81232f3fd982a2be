"""Sinks across kills: ``dltflow run`` is SIGKILLed at a step of a sink's micro-batch,
then a normal run follows. A file sink's rows land exactly once (the streaming-table
commit protocol); a ``foreach_batch_sink`` function is never called again for a batch
once it was recorded, and is called again, with the same batch id and rows, only when
the process died between its return and that record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from dltflow.local import run
from tests.support.kill import killed_run
from tests.support.sink_pipeline import PIPELINE, land, orders


def _setup(tmp_path: Path) -> tuple[Path, dict[str, str], list[dict[str, object]]]:
    source = tmp_path / "pipeline.py"
    source.write_text(PIPELINE)
    rows = orders(7, 1, 30)
    land(tmp_path / "landing", "1.json", rows)
    return source, {"sinks.landing": str(tmp_path / "landing"),
                    "sinks.audit": str(tmp_path / "audit.jsonl")}, rows


def _killed_run(source: Path, warehouse: Path, configuration: dict[str, str], point: str,
                *extra: str) -> None:
    options = [a for key, value in configuration.items() for a in ("-c", f"{key}={value}")]
    killed_run(["run", str(source), "--warehouse", str(warehouse), *options, *extra], point)


def _calls(configuration: dict[str, str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in Path(configuration["sinks.audit"]).read_text()
            .splitlines()]


@pytest.mark.parametrize(("point", "extra"), [
    ("append.committed@big_orders", ()),
    ("append.moving@big_orders", ()),
    ("batch.returned@big_orders", ()),
    ("append.committed@big_orders", ("--streaming", "incremental")),
])
def test_a_file_sink_holds_every_row_once_after_a_kill(spark: SparkSession, tmp_path: Path,
                                                       point: str, extra: tuple[str, ...]
                                                       ) -> None:
    source, configuration, rows = _setup(tmp_path)
    _killed_run(source, tmp_path / "wh", configuration, point, *extra)
    result = run(source, spark=spark, warehouse=tmp_path / "wh", configuration=configuration,
                 streaming=extra[1] if extra else None)
    assert result.status == "COMPLETED", result.error
    big = sorted((r["id"], r["amount"]) for r in rows
                 if r["amount"] is not None and r["amount"] > 100)  # type: ignore[operator]
    assert sorted((r.id, r.amount) for r in result.table("big_orders").collect()) == big


def test_a_recorded_batch_is_not_handed_to_the_sink_again(spark: SparkSession,
                                                           tmp_path: Path) -> None:
    source, configuration, rows = _setup(tmp_path)
    _killed_run(source, tmp_path / "wh", configuration, "batch.returned@audit")
    assert [c["batch"] for c in _calls(configuration)] == [0]
    result = run(source, spark=spark, warehouse=tmp_path / "wh", configuration=configuration)
    assert result.status == "COMPLETED", result.error
    calls = _calls(configuration)
    assert [c["batch"] for c in calls] == [0]  # Spark replayed batch 0: found recorded
    assert calls[0]["ids"] == sorted(r["id"] for r in rows if r["amount"] is not None)


def test_a_call_not_recorded_is_repeated_with_the_same_batch(spark: SparkSession,
                                                             tmp_path: Path) -> None:
    source, configuration, rows = _setup(tmp_path)
    _killed_run(source, tmp_path / "wh", configuration, "sink.called@audit")
    result = run(source, spark=spark, warehouse=tmp_path / "wh", configuration=configuration)
    assert result.status == "COMPLETED", result.error
    calls = _calls(configuration)
    assert [c["batch"] for c in calls] == [0, 0]  # the same id: the function can dedupe
    assert calls[0]["ids"] == calls[1]["ids"] == sorted(
        r["id"] for r in rows if r["amount"] is not None)
