"""``apply_changes_from_snapshot`` in the shape of Databricks' snapshot CDC demo: a
function returns the next ``(DataFrame, version)`` from versioned snapshot files (or
``None``), and the older ``snapshot_and_version=(df, version)`` pair. Expected SCD 1 and
SCD 2 tables are computed here from the snapshots themselves."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from dltflow.graph import api as dlt
from dltflow.local import run

SNAPSHOTS: dict[int, list[tuple[int, str, int]]] = {
    1: [(1, "pen", 10), (2, "ink", 4), (3, "pad", 7)],
    2: [(1, "pen", 12), (2, "ink", 4), (4, "cap", 1)],           # 1 changed, 3 gone, 4 new
    3: [(1, "pen", 12), (3, "pad", 8), (4, "cap", 2)],           # 2 gone, 3 back, 4 changed
}


def _write(folder: Path, version: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"products_{version}.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "stock"])
        writer.writerows(SNAPSHOTS[version])


def _scd2(versions: list[int]) -> set[tuple[Any, ...]]:
    rows: list[list[Any]] = []
    current: dict[int, list[Any]] = {}
    for version in versions:
        seen = {r[0]: r for r in SNAPSHOTS[version]}
        for key, row in list(current.items()):
            if key not in seen or tuple(row[:3]) != seen[key]:
                row[4] = version
                del current[key]
        for key, row in seen.items():
            if key not in current:
                current[key] = [*row, version, None]
                rows.append(current[key])
    return {tuple(r) for r in rows}


def _pipeline(spark: Any, folder: Path) -> Any:
    def next_snapshot_and_version(latest: int | None) -> tuple[Any, int] | None:
        version = (latest or 0) + 1
        path = folder / f"products_{version}.csv"
        if not path.exists():
            return None
        return spark.read.option("header", True).schema(
            "id int, name string, stock int").csv(str(path)), version

    def pipeline() -> None:
        dlt.create_streaming_table("products_history")
        dlt.apply_changes_from_snapshot(target="products_history", keys=["id"],
                                        snapshot_and_version=next_snapshot_and_version,
                                        stored_as_scd_type=2)
        dlt.create_streaming_table("products")
        dlt.apply_changes_from_snapshot(target="products", keys=["id"],
                                        source=next_snapshot_and_version)

    return pipeline


def _history(result: Any) -> set[tuple[Any, ...]]:
    return {(r.id, r.name, r.stock, r["__START_AT"], r["__END_AT"])
            for r in result.table("products_history").collect()}


def test_snapshot_function_across_runs_and_full_refresh(spark, tmp_path):
    folder, warehouse = tmp_path / "snapshots", tmp_path / "wh"
    pipeline = _pipeline(spark, folder)
    _write(folder, 1)
    _write(folder, 2)
    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert _history(first) == _scd2([1, 2])
    assert {tuple(r) for r in first.table("products").collect()} == set(SNAPSHOTS[2])

    _write(folder, 3)
    second = run(pipeline, spark=spark, warehouse=warehouse)
    assert _history(second) == _scd2([1, 2, 3])
    assert {tuple(r) for r in second.table("products").collect()} == set(SNAPSHOTS[3])

    rebuilt = run(pipeline, spark=spark, warehouse=warehouse, full_refresh=True)
    assert _history(rebuilt) == _scd2([1, 2, 3])


def test_snapshot_and_version_pair(spark, tmp_path):
    def pipeline_at(version: int) -> Any:
        def pipeline() -> None:
            snapshot = spark.createDataFrame(SNAPSHOTS[version], "id int, name string, stock int")
            dlt.create_streaming_table("products_history")
            dlt.apply_changes_from_snapshot(target="products_history", keys=["id"],
                                            snapshot_and_version=(snapshot, version),
                                            stored_as_scd_type=2)
        return pipeline

    warehouse = tmp_path / "wh"
    for version in (1, 2, 2, 3):  # the same version twice is applied once
        result = run(pipeline_at(version), spark=spark, warehouse=warehouse)
        assert result.status == "COMPLETED", result.error
    assert _history(result) == _scd2([1, 2, 3])
