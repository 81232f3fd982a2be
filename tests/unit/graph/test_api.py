"""The DLT Python surface on top of the active registry."""

from __future__ import annotations

import pytest

from dltflow.exceptions import ConfigError, NoActiveRegistryError
from dltflow.graph import (
    AppendFlow,
    ApplyChangesFlow,
    ExpectationSpec,
    InMemoryRegistry,
    Table,
    View,
    registration_context,
)
from dltflow.graph import api as dlt


def test_decorators_declare_elements_in_order() -> None:
    registry = InMemoryRegistry()
    with registration_context(registry):
        @dlt.table(comment="raw rows", partition_cols=["day"])
        @dlt.expect("has_id", "id IS NOT NULL")
        @dlt.expect_or_drop("positive", "amount > 0")
        def raw():  # type: ignore[no-untyped-def]
            return None

        @dlt.view
        def cleaned():  # type: ignore[no-untyped-def]
            return dlt.read("raw")

        dlt.create_streaming_table("events", expect_all_or_fail={"ts": "ts IS NOT NULL"})

        @dlt.append_flow(target="events", once=True)
        def backfill():  # type: ignore[no-untyped-def]
            return dlt.read_stream("raw")

        dlt.apply_changes(target="users", source="changes", keys=["id"],
                          sequence_by="seq", stored_as_scd_type="2")

    table, view, events = registry.datasets
    assert isinstance(table, Table) and table.name == "raw" and table.partition_cols == ("day",)
    assert set(table.expectations) == {ExpectationSpec("has_id", "id IS NOT NULL", "allow"),
                                       ExpectationSpec("positive", "amount > 0", "drop")}
    assert table.source_location is not None and table.source_location.line
    assert isinstance(view, View) and view.name == "cleaned"
    assert isinstance(events, Table) and events.query is None
    assert events.kind == "streaming_table"
    assert events.expectations == (ExpectationSpec("ts", "ts IS NOT NULL", "fail"),)
    flow, cdc = registry.flows
    assert isinstance(flow, AppendFlow) and (flow.name, flow.target, flow.once) == (
        "backfill", "events", True)
    assert isinstance(cdc, ApplyChangesFlow) and cdc.stored_as_scd_type == 2
    assert cdc.keys == ("id",)


def test_reads_go_to_the_registry() -> None:
    registry = InMemoryRegistry()
    with registration_context(registry):
        dlt.read("a")
        dlt.read_stream("b")
    assert [(r.name, r.streaming) for r in registry.reads] == [("a", False), ("b", True)]


def test_outside_a_pipeline_definition_is_a_named_error() -> None:
    with pytest.raises(NoActiveRegistryError) as info:
        dlt.create_streaming_table("x")
    assert info.value.what == "dlt.create_streaming_table"


def test_decorating_a_non_function_fails_when_applied() -> None:
    with registration_context(InMemoryRegistry()), pytest.raises(ConfigError) as info:
        dlt.table(name="x")(42)
    assert "must decorate a function" in str(info.value)


def test_legacy_aliases_declare_tables_and_views() -> None:
    registry = InMemoryRegistry()
    with registration_context(registry):
        @dlt.create_table(comment="quickstart spelling", private=True, cluster_by_auto=True)
        def raw():  # type: ignore[no-untyped-def]
            return None

        @dlt.create_view
        def staged():  # type: ignore[no-untyped-def]
            return None

    table, view = registry.datasets
    assert isinstance(table, Table) and table.name == "raw" and table.temporary
    assert table.cluster_by_auto and table.comment == "quickstart spelling"
    assert isinstance(view, View) and view.name == "staged"


@pytest.mark.parametrize(("decorate", "option", "nearest"), [
    (lambda: dlt.table(partion_cols=["day"]), "partion_cols", "partition_cols"),
    (lambda: dlt.view(nmae="x"), "nmae", "name"),
    (lambda: dlt.create_table(coment="x"), "coment", "comment"),
])
def test_misspelled_option_is_named_with_the_nearest(decorate, option, nearest) -> None:  # type: ignore[no-untyped-def]
    with registration_context(InMemoryRegistry()), pytest.raises(ConfigError) as caught:
        @decorate()
        def raw():  # type: ignore[no-untyped-def]
            return None
    assert option in caught.value.problems[0] and nearest in caught.value.problems[0]
    assert "test_api.py:" in caught.value.problems[0]


def test_snapshot_source_forms() -> None:
    from dltflow.graph import SnapshotFlow

    registry = InMemoryRegistry()
    frame = object.__new__(type("FakeFrame", (), {"schema": None}))
    calls: list[object] = []

    def next_snapshot(version):  # type: ignore[no-untyped-def]
        calls.append(version)
        return (None, None) if version == 2 else (frame, (version or 0) + 1)

    with registration_context(registry):
        dlt.apply_changes_from_snapshot(target="a", snapshot_and_version=next_snapshot,
                                        keys=["id"])
        dlt.apply_changes_from_snapshot(target="b", source=(frame, 5), keys=["id"],
                                        stored_as_scd_type=2)
        dlt.apply_changes_from_snapshot(target="c", source="snapshots", keys=["id"])
        with pytest.raises(ConfigError, match="exactly one"):
            dlt.apply_changes_from_snapshot(target="d", keys=["id"])
    by_function, by_pair, by_name = registry.flows
    assert isinstance(by_function, SnapshotFlow) and callable(by_function.source)
    assert by_function.source(None) == (frame, 1)
    assert by_function.source(2) is None  # (None, None) means "nothing newer"
    assert by_function.source_location is not None
    assert callable(by_pair.source) and by_pair.source(None) == (frame, 5)
    assert by_pair.source(5) is None and by_pair.source(4) == (frame, 5)
    assert by_name.source == "snapshots"


def test_sinks_are_refused_locally_by_name() -> None:
    with registration_context(InMemoryRegistry()), pytest.raises(ConfigError, match="kafka"):
        dlt.create_sink("alerts", format="kafka", options={"topic": "t"})
