"""Streaming views with expectations: checked and counted like every other dataset.

A view over ``readStream`` is not stored, yet DLT enforces its expectations: ``fail``
stops the update, ``drop`` removes rows and counts them. A lazy filter cannot do that
(nothing would count, nothing would fail), so locally such a view runs as a stream of
its own, before its readers: each micro-batch is checked and counted in one pass, its
kept rows are written to staging and only then moved (renamed) into the view's
folder; a violated ``fail`` expectation stops the stream before anything is kept or
the checkpoint commits. Readers then stream the view's folder, each with its own
checkpoint, so every row reaches each reader once. A full refresh of the view
empties the folder and its checkpoint.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dltflow.local.execution.checked_write import FlowCounts, Target, checked_write
from dltflow.local.storage import VIEW_ROWS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from dltflow.graph.elements import ExpectationSpec
    from dltflow.local.storage import Warehouse

StreamRunner = Callable[[Callable[["DataFrame", int], None]], None]
"""Runs a callback on every new micro-batch of the view's query (the runner's ``_stream``)."""

def view_folder(warehouse: Warehouse, name: str) -> Path:
    """Where the checked rows of streaming view ``name`` are kept."""
    return warehouse.table_dir(name) / VIEW_ROWS


def reset(warehouse: Warehouse, name: str) -> None:
    """Full refresh of a streaming view: its rows, checkpoints and batch markers."""
    shutil.rmtree(warehouse.table_dir(name), ignore_errors=True)


def checked_stream(spark: SparkSession, warehouse: Warehouse, name: str, flow: str,
                   schema: StructType, specs: Sequence[ExpectationSpec], stream: StreamRunner,
                   counts: FlowCounts) -> DataFrame:
    """Run the view's stream, checking and counting every micro-batch.

    Args:
        spark: the session.
        warehouse: where the view's rows and checkpoint live.
        name: the view.
        flow: the flow computing it (its batches are committed under that name).
        schema: the view's schema (from the plan).
        specs: its expectations.
        stream: runs a callback on each new micro-batch of the view's query.
        counts: receives the rows kept, dropped and the per-expectation counts.

    Returns:
        A stream of the rows the view kept, over every run so far.

    Raises:
        ExpectationFailed: a ``fail`` expectation was violated (nothing of that batch
            was kept).
    """
    folder = view_folder(warehouse, name)

    def each(batch: DataFrame, batch_id: int) -> None:
        with warehouse.staged(name) as staged:
            checked_write(batch, name, specs,
                          lambda out: out.write.mode("overwrite").parquet(str(staged)), counts,
                          scratch=warehouse.scratch, target=Target(staged, unpartitioned="parquet"))
        folder.mkdir(parents=True, exist_ok=True)
        warehouse.commit_batch(name, flow, str(batch_id), staged, into=folder)

    stream(each)
    folder.mkdir(parents=True, exist_ok=True)
    kept: DataFrame = spark.readStream.schema(schema).parquet(str(folder))
    return kept
