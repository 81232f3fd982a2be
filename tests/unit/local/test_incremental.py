"""dltflow's own incremental reads on the JVM engine (``streaming="incremental"``).

The streaming scenarios the engines share (the two streaming samples, and a retail
pipeline shaped like Databricks' demos: Auto Loader bronze, a silver stream joined to
a static table, append flows from a stream and a CSV folder, SCD 1 and 2 from a
streaming view, three updates with new files before each) must give exactly what
Structured Streaming gives: every update's figures and every table, row for row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.exceptions import ConfigError, EngineUnsupported
from dltflow.graph import api as dlt
from dltflow.local import run
from dltflow.local.streaming.offsets import OFFSETS
from tests.support.scenarios import STREAMING_SCENARIOS, documented_cdc_tables


@pytest.mark.parametrize("name", list(STREAMING_SCENARIOS))
def test_incremental_reads_give_what_structured_streaming_gives(
        name: str, spark: SparkSession, tmp_path: Path) -> None:
    scenario = STREAMING_SCENARIOS[name]
    structured = scenario(spark, tmp_path / "structured")
    incremental = scenario(spark, tmp_path / "incremental", streaming="incremental")
    assert incremental["updates"] == structured["updates"]
    for table, expected in structured["tables"].items():
        assert_df_equality(incremental["tables"][table], expected, ignore_row_order=True,
                           ignore_nullable=True)
    if name == "documented_cdc_from_a_table_stream":  # and both are DLT's documented tables
        current, history = documented_cdc_tables(spark)
        assert_df_equality(incremental["tables"]["users_current"], current,
                           ignore_row_order=True, ignore_nullable=True)
        assert_df_equality(incremental["tables"]["users_history"], history,
                           ignore_row_order=True, ignore_nullable=True)


def _landing(folder: Path, files: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        (folder / f"{number:03d}.json").write_text(
            "".join(json.dumps({"id": number * 10 + i, "amount": i - 1.0}) + "\n"
                    for i in range(5)))
    return folder


def _events_pipeline(spark: SparkSession, landing: Path) -> Any:
    def pipeline() -> None:
        @dlt.table
        @dlt.expect_or_drop("positive", "amount > 0")
        def events() -> DataFrame:
            return (spark.readStream.format("json").option("maxFilesPerTrigger", 2)
                    .schema("id long, amount double").load(str(landing)))

    return pipeline


def test_max_files_per_trigger_gives_micro_batches_each_logged_once(
        spark: SparkSession, tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing", 5)
    pipeline = _events_pipeline(spark, landing)
    result = run(pipeline, spark=spark, warehouse=tmp_path / "wh", streaming="incremental")
    assert result.status == "COMPLETED", result.error
    assert result.datasets["events"].output_rows == 5 * 3
    assert result.datasets["events"].dropped_rows == 5 * 2
    log = tmp_path / "wh/default/events/_checkpoints/events" / OFFSETS
    batches = [json.loads((log / f"{n}.json").read_text()) for n in range(3)]
    read = [Path(p).name for batch in batches for paths in batch.values() for p in paths]
    assert read == [f"{n:03d}.json" for n in range(5)]  # 2 + 2 + 1 files, oldest first
    assert sorted(p.name for p in log.iterdir()) == ["0.json", "1.json", "2.json"]

    again = run(pipeline, spark=spark, warehouse=tmp_path / "wh", streaming="incremental")
    assert again.datasets["events"].output_rows == 0  # nothing new: nothing read
    (landing / "late.json").write_text(json.dumps({"id": 99, "amount": 5.0}) + "\n")
    late = run(pipeline, spark=spark, warehouse=tmp_path / "wh", streaming="incremental")
    assert late.datasets["events"].output_rows == 1
    assert sorted(r.id for r in late.table("events").collect()) == sorted(
        [n * 10 + i for n in range(5) for i in (2, 3, 4)] + [99])


def test_a_logged_batch_that_never_committed_is_replayed_with_its_files(
        spark: SparkSession, tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing", 2)
    pipeline = _events_pipeline(spark, landing)
    warehouse = tmp_path / "wh"
    assert run(pipeline, spark=spark, warehouse=warehouse,
               streaming="incremental").status == "COMPLETED"
    # a run died after logging its batch (001.json again, and the new file) but before
    # committing it: the batch is read again exactly, not with whatever is new by then
    log = warehouse / "default/events/_checkpoints/events" / OFFSETS
    _landing(tmp_path / "more", 1)
    (tmp_path / "more/000.json").rename(landing / "new.json")
    key = next(iter(json.loads((log / "0.json").read_text())))
    (log / "1.json").write_text(json.dumps({key: [str(landing / "new.json")]}))
    (landing / "newer.json").write_text(json.dumps({"id": 77, "amount": 7.0}) + "\n")
    result = run(pipeline, spark=spark, warehouse=warehouse, streaming="incremental")
    assert result.status == "COMPLETED", result.error
    ids = sorted(r.id for r in result.table("events").collect())
    assert ids == sorted([0 * 10 + i for i in (2, 3, 4)] + [10 + i for i in (2, 3, 4)]
                         + [2, 3, 4] + [77])  # new.json once (replayed), then newer.json
    assert sorted(p.name for p in log.iterdir()) == ["0.json", "1.json", "2.json"]


def test_a_stateful_stream_is_refused_with_where_it_was_declared(
        spark: SparkSession, tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing", 1)

    def pipeline() -> None:
        @dlt.table
        def unique_events() -> DataFrame:
            return spark.readStream.schema("id long, amount double").json(
                str(landing)).dropDuplicates(["id"])

    with pytest.raises(EngineUnsupported) as caught:
        run(pipeline, spark=spark, warehouse=tmp_path / "wh", streaming="incremental")
    message = str(caught.value)
    assert "dataset 'unique_events'" in message and "dropDuplicates of a stream" in message
    assert "test_incremental.py:" in message
    assert "Structured Streaming (--streaming structured)" in message


def test_switching_streaming_modes_needs_a_full_refresh(spark: SparkSession,
                                                       tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing", 2)
    pipeline = _events_pipeline(spark, landing)
    warehouse = tmp_path / "wh"
    assert run(pipeline, spark=spark, warehouse=warehouse).status == "COMPLETED"
    switched = run(pipeline, spark=spark, warehouse=warehouse, streaming="incremental")
    assert switched.status == "FAILED"
    assert isinstance(switched.error, ConfigError)
    assert "--full-refresh events" in str(switched.error)
    refreshed = run(pipeline, spark=spark, warehouse=warehouse, streaming="incremental",
                    full_refresh=["events"])
    assert refreshed.status == "COMPLETED", refreshed.error
    assert refreshed.table("events").count() == 2 * 3


def test_an_unknown_streaming_mode_is_a_config_error(spark: SparkSession,
                                                     tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown streaming mode 'micro'"):
        run(lambda: None, spark=spark, warehouse=tmp_path / "wh", streaming="micro")
