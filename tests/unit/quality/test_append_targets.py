"""Several ``append_config`` entries into one table declare that table once, for every
backend (on Databricks a second ``create_streaming_table`` of one name is an error)."""

from __future__ import annotations

from typing import Any

import pytest

from dltflow.exceptions import ConfigError
from dltflow.graph.elements import AppendFlow, ExpectationSpec, Table
from dltflow.graph.memory import InMemoryRegistry
from dltflow.graph.registry import registration_context
from dltflow.quality import DLTMetaMixin


class TwoFeeds(DLTMetaMixin):
    def __init__(self, init_conf: Any) -> None:
        self.init_conf = init_conf

    def from_web(self) -> None:
        return None

    def from_store(self) -> None:
        return None


def entry(method: str, *expectations: dict[str, str]) -> dict[str, Any]:
    return {"func_name": method, "is_streaming": True, "expectation_action": "drop",
            "expectations": list(expectations),
            "append_config": {"target": "orders", "name": f"{method}_flow"}}


def declared(conf: dict[str, Any]) -> InMemoryRegistry:
    registry = InMemoryRegistry()
    with registration_context(registry):
        TwoFeeds(conf).register_datasets()
    return registry


def test_one_target_two_flows_with_the_union_of_expectations() -> None:
    positive = {"name": "positive", "constraint": "amount > 0"}
    named = {"name": "named", "constraint": "customer IS NOT NULL"}
    registry = declared({"dlt": [entry("from_web", positive),
                                 entry("from_store", positive, named)]})
    tables = [d for d in registry.datasets if isinstance(d, Table)]
    assert [(t.name, t.kind, t.query) for t in tables] == [("orders", "streaming_table", None)]
    assert tables[0].expectations == (ExpectationSpec("positive", "amount > 0", "drop"),
                                      ExpectationSpec("named", "customer IS NOT NULL", "drop"))
    assert [(f.name, f.target) for f in registry.flows if isinstance(f, AppendFlow)] == [
        ("from_web_flow", "orders"), ("from_store_flow", "orders")]


def test_conflicting_expectations_of_one_target_are_a_config_error() -> None:
    conf = {"dlt": [entry("from_web", {"name": "positive", "constraint": "amount > 0"}),
                    entry("from_store", {"name": "positive", "constraint": "amount >= 0"})]}
    with pytest.raises(ConfigError) as caught:
        declared(conf)
    assert "orders" in str(caught.value) and "positive" in str(caught.value)
