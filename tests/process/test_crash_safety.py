"""Exactly once across crashes: kill ``dltflow run`` at every step of every commit
protocol, run again, and get exactly the tables of a run that was never interrupted.

The pipeline is shaped like Databricks' retail/CDC demos (plain ``import dlt`` code):
orders land as JSON files and stream into a bronze table, a silver table with a
``drop`` expectation, and an append flow into a second streaming table; customer
change events are applied as SCD type 2 (``apply_changes`` with deletes); product
snapshots come from a snapshot function (``apply_changes_from_snapshot``, SCD 1); a
materialized view aggregates revenue. Each input folder holds several files read one
per micro-batch, so a kill can fall after some batches were committed.

Each case runs ``dltflow run`` in a fresh process with ``DLTFLOW_FAILPOINT`` naming a
step (and the dataset, and which hit), which makes the process SIGKILL itself there;
the whole process group (with its JVM) is then killed too, as ``kill -9`` of a run
would. The test fails if the step is never reached. The next, normal run happens in
this process; its tables must equal the uninterrupted run's row for row, the
warehouse must hold no staging, commit folders or versions no pointer names, and the
run must say what it recovered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.local import Recovered, run
from dltflow.local.storage import META_FILE
from tests.support.crash_pipeline import PIPELINE, TABLES, write_inputs
from tests.support.kill import killed_run

# Every step of each protocol, killed at its second hit where a step repeats (so one
# batch or version is already committed when the process dies).
KILL_POINTS = [
    # a materialized view: stage, rename the version in, switch the pointer
    "publish.staged@revenue_by_customer", "publish.renamed@revenue_by_customer",
    "publish.switched@revenue_by_customer",
    # a streaming table's micro-batches (its own query: one file a batch) ...
    "append.staged@orders_raw:2", "append.committed@orders_raw:2",
    "append.moving@orders_raw:2", "append.moved@orders_raw:2",
    "append.marked@orders_raw:2", "batch.returned@orders_raw:2",
    # ... and an append flow (its upstream is complete by then: one batch)
    "append.committed@order_feed", "append.moving@order_feed", "append.moved@order_feed",
    # apply_changes: state + table + progress in one pointer switch per micro-batch
    "publish.staged@customers:3", "publish.renamed@customers:3",
    "publish.switched@customers:3", "batch.returned@customers:2",
    # apply_changes_from_snapshot: one switch per snapshot
    "publish.staged@products:3", "publish.renamed@products:3",
    "publish.switched@products:3",
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict]]:
    root = tmp_path_factory.mktemp("crash")
    expected = write_inputs(root / "landing")
    pipeline = root / "retail_cdc.py"
    pipeline.write_text(PIPELINE)
    yield root / "landing", pipeline, expected


def _run_here(spark: SparkSession, pipeline: Path, landing: Path, warehouse: Path):
    return run(pipeline, spark=spark, warehouse=warehouse,
               configuration={"crash.landing": str(landing)})


@pytest.fixture(scope="module")
def reference(spark: SparkSession, landing: tuple[Path, Path, dict],
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, DataFrame]:
    """The tables of a run nobody interrupted (checked against plain-Python figures)."""
    folder, pipeline, expected = landing
    warehouse = tmp_path_factory.mktemp("reference")
    result = _run_here(spark, pipeline, folder, warehouse)
    assert result.status == "COMPLETED", result.error
    tables = {name: result.table(name).localCheckpoint() for name in TABLES}
    assert tables["orders_raw"].count() == expected["orders"]
    assert sorted(r.order_id for r in tables["order_feed"].collect()) == expected["clean"]
    assert {r.product_id: r.price for r in tables["products"].collect()} == expected["products"]
    current = {r.customer_id: r.city for r in tables["customers"].collect()
               if r["__END_AT"] is None}
    assert current == {1: "Porto", 3: "Milan"}  # 2 was deleted
    assert tables["customers"].count() == 5  # Ana and Cy twice (one closed), Bo closed
    return tables


def _killed_run(pipeline: Path, landing: Path, warehouse: Path, point: str,
                *extra: str) -> None:
    killed_run(["run", str(pipeline), "--warehouse", str(warehouse),
                "-c", f"crash.landing={landing}", *extra], point)


def _leftovers(warehouse: Path) -> list[str]:
    """Staging, commit folders and versions no pointer names, anywhere in the tables."""
    found = []
    for table in (warehouse / "default").iterdir():
        if not table.is_dir():  # the schema's record of engines
            continue
        meta = json.loads((table / META_FILE).read_text()) if (table / META_FILE).exists() \
            else {}
        named = {meta.get("current"), meta.get("state")}
        for entry in table.iterdir():
            if entry.name in ("_staging", "_commits"):
                found += [str(p) for p in entry.rglob("*") if p.is_file() or
                          (p.is_dir() and not any(p.iterdir()))]
            elif entry.is_dir() and entry.name[:1] in "vs" and entry.name[1:6].isdigit() \
                    and entry.name not in named:
                found.append(str(entry))
    return found


def _assert_uninterrupted(result: Any, reference: dict[str, DataFrame],
                          warehouse: Path) -> None:
    """The run after a kill completed with the uninterrupted run's tables, and left
    nothing half-written behind."""
    assert result.status == "COMPLETED", result.error
    for name in TABLES:
        assert_df_equality(result.table(name), reference[name], ignore_row_order=True,
                           ignore_nullable=True, underline_cells=True)
    assert _leftovers(warehouse) == []


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_kill_at_any_step_then_a_run_gives_the_uninterrupted_tables(
        spark: SparkSession, landing: tuple[Path, Path, dict], reference: dict[str, DataFrame],
        tmp_path: Path, point: str) -> None:
    folder, pipeline, _ = landing
    warehouse = tmp_path / "warehouse"
    _killed_run(pipeline, folder, warehouse, point)
    left = _leftovers(warehouse)
    events: list[object] = []
    result = run(pipeline, spark=spark, warehouse=warehouse, on_event=events.append,
                 configuration={"crash.landing": str(folder)})
    _assert_uninterrupted(result, reference, warehouse)
    recovered = [e for e in events if isinstance(e, Recovered)]
    # what the kill left mid-write was cleaned, and the run said so in one line
    assert len(recovered) == (1 if left else 0), (point, left)
    if point.split("@")[0] in ("append.staged", "append.committed", "append.moving",
                               "publish.staged", "publish.renamed"):
        assert left, f"a kill at {point} leaves a write half done"


# dltflow's own incremental reads (Sail's streaming; --streaming incremental on JVM):
# a micro-batch's files are logged before it runs, so a kill between the log and the
# commit replays exactly those files.
INCREMENTAL_KILL_POINTS = ["append.staged@orders_raw:2", "append.committed@orders_raw:2",
                           "batch.returned@orders_raw:2", "publish.renamed@customers:3",
                           "batch.returned@customers:2"]


@pytest.mark.parametrize("point", INCREMENTAL_KILL_POINTS)
def test_a_kill_under_incremental_reads_then_a_run_gives_the_uninterrupted_tables(
        spark: SparkSession, landing: tuple[Path, Path, dict], reference: dict[str, DataFrame],
        tmp_path: Path, point: str) -> None:
    folder, pipeline, _ = landing
    warehouse = tmp_path / "warehouse"
    _killed_run(pipeline, folder, warehouse, point, "--streaming", "incremental")
    result = run(pipeline, spark=spark, warehouse=warehouse, streaming="incremental",
                 configuration={"crash.landing": str(folder)})
    _assert_uninterrupted(result, reference, warehouse)
