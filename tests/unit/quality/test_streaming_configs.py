"""The original dltflow's streaming configs: append_config and apply_chg_config, run
locally and registered against Databricks' ``dlt`` (recorded calls)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from dltflow.local import run
from dltflow.quality import DLTMetaMixin
from tests.support.recorders import dlt_recorder

CHANGES = "userId long, city string, sequenceNum long"


class UserChanges(DLTMetaMixin):
    """Change events of users; the config applies them to an SCD 2 table."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
        self.spark = spark

    def user_changes(self) -> DataFrame:
        return self.spark.createDataFrame(
            [(1, "Oaxaca", 1), (2, "Monterrey", 1), (1, "Tijuana", 3), (2, "Cancun", 2)],
            CHANGES)


CDC_CONF = {"dlt": {"func_name": "user_changes", "kind": "table", "apply_chg_config": {
    "target": "users_history", "source": "user_changes", "keys": ["userId"],
    "sequence_by": "sequenceNum", "stored_as_scd_type": 2}}}


class Clicks(DLTMetaMixin):
    """Click events streamed from a landing folder into a streaming table."""

    def __init__(self, spark: SparkSession, init_conf: dict[str, Any], landing: Path) -> None:
        self.spark = spark
        self.landing = landing

    def clicks(self) -> DataFrame:
        return self.spark.readStream.schema("id long, page string").json(str(self.landing))


APPEND_CONF = {"dlt": {"func_name": "clicks", "kind": "streaming_table", "is_streaming": True,
                       "append_config": {"target": "all_clicks", "name": "clicks_from_web",
                                         "comment": "Clicks landed as JSON."}}}


def _land(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f".{name}").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / f".{name}").replace(folder / f"{name}.json")


def test_apply_chg_config_runs_locally_into_the_configured_table(spark, tmp_path) -> None:
    result = run(UserChanges(spark, CDC_CONF), spark=spark, warehouse=tmp_path / "wh")
    assert result.status == "COMPLETED", result.error
    expected = spark.createDataFrame(
        [(1, "Oaxaca", 1, 1, 3), (1, "Tijuana", 3, 3, None), (2, "Monterrey", 1, 1, 2),
         (2, "Cancun", 2, 2, None)],
        CHANGES + ", __START_AT long, __END_AT long")
    assert_df_equality(result.table("users_history"), expected, ignore_row_order=True)


def test_append_config_runs_locally_and_incrementally(spark, tmp_path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    _land(landing, "1", [{"id": 1, "page": "/"}, {"id": 2, "page": "/docs"}])
    first = run(Clicks(spark, APPEND_CONF, landing), spark=spark, warehouse=warehouse)
    assert first.status == "COMPLETED", first.error
    assert first.datasets["all_clicks"].output_rows == 2
    _land(landing, "2", [{"id": 3, "page": "/blog"}])
    second = run(Clicks(spark, APPEND_CONF, landing), spark=spark, warehouse=warehouse)
    assert second.datasets["all_clicks"].output_rows == 1
    assert sorted(r["id"] for r in second.table("all_clicks").collect()) == [1, 2, 3]


@pytest.fixture
def dlt_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    recorder, module = dlt_recorder()
    monkeypatch.setitem(sys.modules, "dlt", module)
    monkeypatch.setenv("DLTFLOW_BACKEND", "dlt")
    return recorder


def test_apply_chg_config_reaches_dlt_as_recorded_calls(spark, dlt_module) -> None:
    assert UserChanges(spark, CDC_CONF).user_changes() is None  # registers, returns nothing
    assert dlt_module.calls == [
        ("view", {"name": "user_changes"}),
        ("create_streaming_table", {"name": "users_history"}),
        ("apply_changes", {"target": "users_history", "source": "user_changes",
                           "keys": ["userId"], "sequence_by": "sequenceNum",
                           "stored_as_scd_type": 2}),
    ]


def test_append_config_reaches_dlt_as_recorded_calls(spark, dlt_module, tmp_path) -> None:
    Clicks(spark, APPEND_CONF, tmp_path).clicks()
    assert dlt_module.calls == [
        ("create_streaming_table", {"name": "all_clicks"}),
        ("append_flow", {"target": "all_clicks", "name": "clicks_from_web",
                         "comment": "Clicks landed as JSON."}),
    ]
    assert "clicks_from_web" in dlt_module.decorated
