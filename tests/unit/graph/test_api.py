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


def test_a_misspelled_option_names_it_the_dataset_and_the_nearest_option() -> None:
    from dltflow.exceptions import UnknownOptionError

    with registration_context(InMemoryRegistry()):
        with pytest.raises(UnknownOptionError) as info:
            @dlt.table(partion_cols=["day"])
            def raw():  # type: ignore[no-untyped-def]
                return None
        assert (info.value.option, info.value.dataset) == ("partion_cols", "raw")
        assert info.value.suggestion == "partition_cols"
        assert info.value.location is not None and "test_api.py:" in info.value.location
        assert isinstance(info.value, ConfigError)

        with pytest.raises(UnknownOptionError) as info:
            @dlt.view(nmae="v")
            def clean():  # type: ignore[no-untyped-def]
                return None
        assert (info.value.option, info.value.suggestion) == ("nmae", "name")

        with pytest.raises(UnknownOptionError) as info:
            dlt.create_streaming_table("events", coment="x")
        assert (info.value.dataset, info.value.suggestion) == ("events", "comment")


def test_a_valid_option_the_local_engine_does_not_use_only_warns() -> None:
    registry = InMemoryRegistry()
    with registration_context(registry):
        with pytest.warns(UserWarning, match="private"):
            @dlt.table(private=True)
            def hidden():  # type: ignore[no-untyped-def]
                return None
    assert [d.name for d in registry.datasets] == ["hidden"]
