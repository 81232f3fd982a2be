"""Which engine a warehouse needs under ``--engine auto``, read from its files alone (no
Spark): the engines that wrote it, else (older warehouses) its tables' formats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.local import warehouse_engine
from dltflow.local.storage.layout import WRITERS_FILE, TableLayout
from dltflow.local.storage.warehouse import Warehouse
from dltflow.testing.plugin import dltflow_engine


def _table(root: Path, name: str, fmt: str) -> None:
    folder = root / "default" / name
    folder.mkdir(parents=True)
    (folder / "_dltflow.json").write_text(json.dumps(
        {"sequence": 1, "current": "v00001-0123abcd", "current_format": fmt}))


def _written_by(root: Path, *engines: str) -> None:
    layout = TableLayout(None, root)  # type: ignore[arg-type]  # no session: files only
    for engine in engines:
        layout.record_writer(engine)


def test_a_new_warehouse_leaves_the_choice_to_planning(tmp_path: Path) -> None:
    assert warehouse_engine(tmp_path / "wh", "default") is None
    (tmp_path / "wh" / "default").mkdir(parents=True)
    assert warehouse_engine(tmp_path / "wh", "default") is None


def test_parquet_sail_wrote_can_go_on_on_either_engine(tmp_path: Path) -> None:
    _table(tmp_path, "orders", "parquet")
    _written_by(tmp_path, "sail")
    assert warehouse_engine(tmp_path, "default") is None


def test_tables_jvm_spark_wrote_stay_on_jvm(tmp_path: Path) -> None:
    _table(tmp_path, "orders", "parquet")
    _written_by(tmp_path, "sail", "jvm", "sail")
    assert json.loads((tmp_path / "default/_dltflow_engines.json").read_text()) == [
        "jvm", "sail"]
    assert warehouse_engine(tmp_path, "default") == (
        "jvm", f"the warehouse {tmp_path} holds tables JVM Spark wrote")
    other = tmp_path / "remote"
    _table(other, "orders", "parquet")
    _written_by(other, "connect")  # a Spark Connect server writes Spark's Parquet too
    assert warehouse_engine(other, "default") is not None


def test_a_full_refresh_starts_the_record_afresh(tmp_path: Path) -> None:
    _table(tmp_path, "orders", "parquet")
    _written_by(tmp_path, "jvm")
    TableLayout(None, tmp_path).record_writer("sail", afresh=True)  # type: ignore[arg-type]
    assert json.loads((tmp_path / "default/_dltflow_engines.json").read_text()) == ["sail"]
    assert warehouse_engine(tmp_path, "default") is None


def test_a_warehouse_without_tables_keeps_to_nothing(tmp_path: Path) -> None:
    _written_by(tmp_path, "jvm")  # a run that wrote nothing, or tables refreshed away
    assert warehouse_engine(tmp_path, "default") is None


def test_recovery_removes_a_record_a_killed_run_left_half_written(tmp_path: Path) -> None:
    _written_by(tmp_path, "sail")
    left = tmp_path / "default" / f".{WRITERS_FILE}.0123abcd"
    left.write_text('["jv')
    Warehouse(None, tmp_path).recover()  # type: ignore[arg-type]  # nothing to commit
    assert not left.exists()
    assert json.loads((tmp_path / "default" / WRITERS_FILE).read_text()) == ["sail"]


def test_delta_tables_stay_on_sail(tmp_path: Path) -> None:
    _table(tmp_path, "orders", "delta")
    _table(tmp_path, "totals", "parquet")
    _written_by(tmp_path, "sail")
    assert warehouse_engine(tmp_path, "default") == (
        "sail", f"the warehouse {tmp_path} holds Delta tables, which sail reads here")


def test_a_warehouse_from_before_writers_were_recorded(tmp_path: Path) -> None:
    """Then Sail wrote only Delta, so Parquet means JVM Spark wrote it."""
    _table(tmp_path / "old_jvm", "orders", "parquet")
    assert warehouse_engine(tmp_path / "old_jvm", "default")[0] == "jvm"  # type: ignore[index]
    _table(tmp_path / "old_sail", "orders", "delta")
    assert warehouse_engine(tmp_path / "old_sail", "default")[0] == "sail"  # type: ignore[index]


def test_unreadable_files_are_no_evidence(tmp_path: Path) -> None:
    folder = tmp_path / "default" / "orders"
    folder.mkdir(parents=True)
    (folder / "_dltflow.json").write_text("{not json")
    (tmp_path / "default/_dltflow_engines.json").write_text('{"jvm": 1}')
    assert warehouse_engine(tmp_path, "default") is None


@pytest.mark.parametrize("command", ["run", "graph"])
def test_auto_is_the_default_engine(command: str) -> None:
    shown = CliRunner().invoke(cli, [command, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    engine_help = shown.output[shown.output.index("--engine"):]
    assert "[jvm|sail|auto]" in engine_help.split("\n")[0]
    assert "default: auto" in " ".join(engine_help.split()[:80])


def test_the_plugin_puts_the_test_run_on_one_engine(pytestconfig: pytest.Config) -> None:
    """`dltflow run` inside tests uses the test session's engine, not `auto`'s choice:
    a process holds one kind of session."""
    assert os.environ["DLTFLOW_ENGINE"] == dltflow_engine(pytestconfig)
