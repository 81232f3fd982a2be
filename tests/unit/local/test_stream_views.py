"""Streaming views' expectations, in the shape of the dbdemos CDC pipeline: change
files land in a folder, Auto Loader reads them through a streaming view with
expectations (drop bad ids, fail on unknown operations), which feeds SCD type 1 (with
deletes and truncates) and SCD type 2 (with deletes) tables. Two batches, then a full
refresh; the expected tables are computed here by replaying the events in Python.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dltflow.exceptions import ExpectationFailed
from dltflow.graph import api as dlt
from dltflow.local import run

Event = dict[str, Any]


def _cdc_pipeline(spark: Any, landing: Path) -> Any:
    from pyspark.sql import functions as F

    def pipeline() -> None:
        @dlt.create_view
        @dlt.expect_or_drop("valid_id", "id IS NOT NULL")
        @dlt.expect_or_fail("valid_operation",
                            "operation IN ('APPEND', 'UPDATE', 'DELETE', 'TRUNCATE')")
        def customers_cdc_clean():  # type: ignore[no-untyped-def]
            return (spark.readStream.format("cloudFiles")
                    .option("cloudFiles.format", "json")
                    .option("cloudFiles.schemaHints", "id INT, seq INT, name STRING, "
                                                      "city STRING, operation STRING")
                    .load(str(landing)).drop("_rescued_data"))

        @dlt.view
        @dlt.expect_or_drop("no_truncate", "operation <> 'TRUNCATE'")
        def history_feed():  # type: ignore[no-untyped-def]
            return dlt.read_stream("customers_cdc_clean")

        dlt.create_streaming_table("customers")
        dlt.apply_changes(target="customers", source="customers_cdc_clean", keys=["id"],
                          sequence_by=F.col("seq"),
                          apply_as_deletes=F.expr("operation = 'DELETE'"),
                          apply_as_truncates=F.expr("operation = 'TRUNCATE'"),
                          except_column_list=["operation", "seq"])
        dlt.create_streaming_table("customers_history")
        dlt.apply_changes(target="customers_history", source="history_feed", keys=["id"],
                          sequence_by=F.col("seq"),
                          apply_as_deletes=F.expr("operation = 'DELETE'"),
                          except_column_list=["operation", "seq"], stored_as_scd_type=2)

    return pipeline


def _event(seq: int, op: str, cid: int | None, name: str = "", city: str = "") -> Event:
    return {"id": cid, "seq": seq, "name": name, "city": city, "operation": op}


FIRST: list[Event] = [
    _event(1, "APPEND", 1, "ana", "Oslo"), _event(2, "APPEND", 2, "bo", "Rome"),
    _event(3, "APPEND", 3, "cy", "Lima"), _event(5, "UPDATE", 1, "ana", "Bergen"),
    _event(4, "APPEND", 4, "di", "Kyiv"), _event(6, "DELETE", 2),
    _event(7, "APPEND", None, "ghost", "Nowhere"),  # dropped by valid_id
    _event(8, "UPDATE", 3, "cy", "Cusco"),
]
SECOND: list[Event] = [
    _event(9, "UPDATE", 4, "di", "Lviv"), _event(10, "TRUNCATE", 0),
    _event(11, "APPEND", 5, "eve", "Quito"), _event(13, "UPDATE", 5, "eve", "Cuenca"),
    _event(12, "APPEND", 1, "ana", "Tromso"), _event(14, "DELETE", 3),
    _event(15, "APPEND", None, "ghost", "Nowhere"),
]


def _land(folder: Path, name: str, events: list[Event]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.tmp"
    tmp.write_text("".join(json.dumps(e) + "\n" for e in events))
    tmp.rename(folder / name)


def _scd1(events: list[Event]) -> set[tuple[int, str, str]]:
    state: dict[int, tuple[int, str, str]] = {}
    for e in sorted((e for e in events if e["id"] is not None), key=lambda e: e["seq"]):
        if e["operation"] == "TRUNCATE":
            state.clear()
        elif e["operation"] == "DELETE":
            state.pop(e["id"], None)
        else:
            state[e["id"]] = (e["id"], e["name"], e["city"])
    return set(state.values())


def _scd2(events: list[Event]) -> set[tuple[int, str, str, int, int | None]]:
    versions: dict[int, list[list[Any]]] = {}
    kept = [e for e in events if e["id"] is not None and e["operation"] != "TRUNCATE"]
    for e in sorted(kept, key=lambda e: e["seq"]):
        history = versions.setdefault(e["id"], [])
        open_version = history[-1] if history and history[-1][4] is None else None
        if e["operation"] == "DELETE":
            if open_version is not None:
                open_version[4] = e["seq"]
            continue
        if open_version is not None:
            if (open_version[1], open_version[2]) == (e["name"], e["city"]):
                continue
            open_version[4] = e["seq"]
        history.append([e["id"], e["name"], e["city"], e["seq"], None])
    return {tuple(v) for h in versions.values() for v in h}  # type: ignore[misc]


def _tables(result: Any) -> tuple[set[Any], set[Any]]:
    current = {(r.id, r.name, r.city) for r in result.table("customers").collect()}
    history = {(r.id, r.name, r.city, r["__START_AT"], r["__END_AT"])
               for r in result.table("customers_history").collect()}
    return current, history


def test_cdc_through_streaming_views_with_expectations(spark, tmp_path):
    landing, warehouse = tmp_path / "cdc", tmp_path / "wh"
    pipeline = _cdc_pipeline(spark, landing)
    _land(landing, "batch_1.json", FIRST)

    first = run(pipeline, spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert _tables(first) == (_scd1(FIRST), _scd2(FIRST))
    view = first.datasets["customers_cdc_clean"]
    assert view.output_rows == len(FIRST) - 1 and view.dropped_rows == 1
    assert view.expectations["valid_id"] == {"passed_records": 7, "failed_records": 1}
    assert view.expectations["valid_operation"] == {"passed_records": 8, "failed_records": 0}

    _land(landing, "batch_2.json", SECOND)
    second = run(pipeline, spark=spark, warehouse=warehouse)
    assert second.status == "COMPLETED", second.error
    every = FIRST + SECOND
    assert _tables(second) == (_scd1(every), _scd2(every))
    assert second.datasets["customers_cdc_clean"].expectations["valid_id"] == {
        "passed_records": 6, "failed_records": 1}  # only the new file's events
    assert second.datasets["history_feed"].expectations["no_truncate"] == {
        "passed_records": 5, "failed_records": 1}

    third = run(pipeline, spark=spark, warehouse=warehouse)  # no new data: zero counts
    assert third.datasets["customers_cdc_clean"].expectations["valid_id"] == {
        "passed_records": 0, "failed_records": 0}

    rebuilt = run(pipeline, spark=spark, warehouse=warehouse, full_refresh=True)
    assert rebuilt.status == "COMPLETED", rebuilt.error
    assert _tables(rebuilt) == (_scd1(every), _scd2(every))
    assert rebuilt.datasets["customers_cdc_clean"].expectations["valid_id"][
        "passed_records"] == 13


def test_expect_or_fail_on_a_streaming_view_fails_the_update(spark, tmp_path):
    landing, warehouse = tmp_path / "cdc", tmp_path / "wh"
    pipeline = _cdc_pipeline(spark, landing)
    _land(landing, "batch_1.json", FIRST)
    assert run(pipeline, spark=spark, warehouse=warehouse).status == "COMPLETED"
    _land(landing, "batch_2.json", [_event(20, "UPSERT", 1, "ana", "Paris")])

    failed = run(pipeline, spark=spark, warehouse=warehouse)
    assert failed.status == "FAILED"
    assert isinstance(failed.error, ExpectationFailed)
    assert failed.error.expectation == "valid_operation"
    view = failed.datasets["customers_cdc_clean"]
    assert view.status == "FAILED" and view.output_rows == 0
    assert view.expectations["valid_operation"]["failed_records"] == 1
    for downstream in ("history_feed", "customers", "customers_history"):
        assert failed.datasets[downstream].status == "SKIPPED"
    current, _ = _tables(failed)
    assert current == _scd1(FIRST)  # the bad row was not applied
