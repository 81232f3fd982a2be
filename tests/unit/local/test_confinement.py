"""A dataset name is never a path: nothing outside the warehouse is written or deleted.

Every declaration route gets hostile names; each run (plain, full refresh, select) must
fail with an InvalidNameError before a file is touched, and a sentinel tree around the
warehouse must be exactly as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyspark.sql import DataFrame, SparkSession

from dltflow.cli.interface import cli
from dltflow.exceptions import ConfigError, InvalidNameError, UnsafePathError
from dltflow.graph import api as dlt
from dltflow.local import run
from dltflow.local.storage import Warehouse
from dltflow.quality import DLTMetaMixin

HOSTILE = ["../../victim", "../victim", "/tmp/dltflow-victim", "a/b", "a\\b", "..",
           "bad\x00name", "bad\nname", "", "x" * 300]


def _tree(root: Path, skip: Path) -> dict[str, str]:
    """Every file and folder under ``root`` but ``skip``, with file contents."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path == skip or skip in path.parents:
            continue
        found[str(path.relative_to(root))] = (
            path.read_text() if path.is_file() else "<dir>")
    return found


@pytest.fixture
def around(tmp_path: Path) -> tuple[Path, Path]:
    """A sentinel tree with the warehouse two levels down inside it."""
    for folder in ("victim", "a/victim", "a/b/victim", "a/b"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "sentinel.txt").write_text(f"keep {folder}")
    return tmp_path, tmp_path / "a" / "b" / "wh"


def _routes(spark: SparkSession, name: str) -> dict[str, Callable[[], None]]:
    def stream() -> DataFrame:
        return spark.range(3).selectExpr("id", "id AS seq")

    def table() -> None:
        dlt.table(name=name)(stream)

    def view() -> None:
        dlt.view(name=name)(stream)

    def streaming_table() -> None:
        dlt.create_streaming_table(name)

    def append_target() -> None:
        dlt.append_flow(target=name)(stream)

    def append_name() -> None:
        dlt.create_streaming_table("events")
        dlt.append_flow(target="events", name=name)(stream)

    def cdc_target() -> None:
        dlt.view(name="changes")(stream)
        dlt.apply_changes(target=name, source="changes", keys=["id"], sequence_by="seq")

    def cdc_flow_name() -> None:
        dlt.view(name="changes")(stream)
        dlt.create_streaming_table("current")
        dlt.apply_changes(target="current", source="changes", keys=["id"], sequence_by="seq",
                          flow_name=name)

    def snapshot_target() -> None:
        dlt.apply_changes_from_snapshot(target=name, source=lambda v: None, keys=["id"])

    return {"table": table, "view": view, "create_streaming_table": streaming_table,
            "append_flow target": append_target, "append_flow name": append_name,
            "apply_changes target": cdc_target, "apply_changes flow_name": cdc_flow_name,
            "snapshot target": snapshot_target}


@pytest.mark.parametrize("name", HOSTILE)
def test_every_dlt_route_refuses_path_like_names(spark, around, name: str) -> None:
    root, warehouse = around
    before = _tree(root, warehouse)
    for route, declare in _routes(spark, name).items():
        for options in ({}, {"full_refresh": True}, {"select": [name or "x"]}):
            with pytest.raises(InvalidNameError) as info:
                run(declare, spark=spark, warehouse=warehouse, **options)
            assert info.value.name == name, route
            assert info.value.location and "test_confinement.py:" in info.value.location, route
    assert _tree(root, warehouse) == before


class _Pipeline(DLTMetaMixin):
    def __init__(self, spark: SparkSession, init_conf: dict[str, Any]) -> None:
        self.spark = spark

    def rows(self) -> DataFrame:
        return self.spark.range(3).selectExpr("id", "id AS seq")


MIXIN_ROUTES: dict[str, Callable[[str], dict[str, Any]]] = {
    "write_opts.name": lambda n: {"func_name": "rows", "write_opts": {"name": n}},
    "append_config.target": lambda n: {"func_name": "rows", "append_config": {"target": n}},
    "append_config.name": lambda n: {"func_name": "rows",
                                     "append_config": {"target": "t", "name": n}},
    "apply_chg_config.target": lambda n: {
        "func_name": "rows", "apply_chg_config": {"target": n, "keys": ["id"],
                                                  "sequence_by": "seq"}},
    "apply_chg_config.source": lambda n: {
        "func_name": "rows", "apply_chg_config": {"target": "t", "source": n, "keys": ["id"],
                                                  "sequence_by": "seq"}},
}


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("route", sorted(MIXIN_ROUTES))
def test_mixin_config_refuses_path_like_names(spark, around, route: str, name: str) -> None:
    root, warehouse = around
    before = _tree(root, warehouse)
    with pytest.raises(ConfigError) as info:
        _Pipeline(spark, init_conf={"dlt": MIXIN_ROUTES[route](name)})
    assert route in str(info.value)
    assert _tree(root, warehouse) == before


def test_a_quarantine_table_name_is_checked_too(spark, around) -> None:
    root, warehouse = around
    long_name = "q" * 250  # valid itself, but `<name>_quarantine` is too long
    conf = {"dlt": {"func_name": "rows", "write_opts": {"name": long_name},
                    "expectations": [{"name": "pos", "constraint": "id >= 0",
                                      "action": "quarantine"}]}}
    with pytest.raises(InvalidNameError) as info:
        run(_Pipeline(spark, init_conf=conf), spark=spark, warehouse=warehouse)
    assert info.value.name == long_name + "_quarantine"


def test_bad_schema_is_refused_before_anything_is_written(spark, around) -> None:
    root, warehouse = around
    before = _tree(root, warehouse)
    with pytest.raises(InvalidNameError):
        run(lambda: dlt.table(name="ok")(lambda: spark.range(1)), spark=spark,
            warehouse=warehouse, schema="../../victim")
    assert _tree(root, warehouse) == before


def _streaming_source(tmp: Path, name: str) -> Path:
    landing = tmp / "landing"
    landing.mkdir(exist_ok=True)
    (landing / "1.json").write_text(json.dumps({"id": 1}) + "\n")
    source = tmp / "hostile.py"
    source.write_text(
        "import dlt\n"
        "from pyspark.sql import SparkSession\n"
        "spark = SparkSession.getActiveSession()\n\n"
        f"@dlt.table(name={name!r})\n"
        "def t():\n"
        f"    return spark.readStream.schema('id long').json({str(landing)!r})\n")
    return source


def test_the_reported_attack_through_the_cli(spark, around) -> None:
    """`@dlt.table(name="../../victim")` over a stream, run then full-refreshed."""
    root, warehouse = around
    source = _streaming_source(root / "a", "../../victim")
    before = _tree(root, warehouse)
    runner = CliRunner()
    for extra in ([], ["--full-refresh"], ["--select", "../../victim"]):
        result = runner.invoke(cli, ["run", str(source), "--warehouse", str(warehouse), *extra])
        assert result.exit_code == 2, result.output
        assert "path separator" in result.output and "hostile.py:5" in result.output
        assert "Traceback" not in result.output
    assert _tree(root, warehouse) == before
    result = runner.invoke(cli, ["run", str(source), "--warehouse", str(warehouse),
                                 "--schema", "../../x"])
    assert result.exit_code == 2 and "schema name" in result.output
    assert _tree(root, warehouse) == before


# -- the storage layer's own guard, independent of name validation --------------------

def _ok_pipeline(spark: SparkSession) -> Callable[[], None]:
    def pipeline() -> None:
        dlt.table(name="t")(lambda: spark.range(3))

    return pipeline


def test_a_hand_edited_pointer_never_leads_outside(spark, around) -> None:
    root, warehouse = around
    assert run(_ok_pipeline(spark), spark=spark, warehouse=warehouse).status == "COMPLETED"
    pointer = warehouse / "default" / "t" / "_dltflow.json"
    meta = json.loads(pointer.read_text())
    meta["current"] = "../../../../victim"
    pointer.write_text(json.dumps(meta))
    before = _tree(root, warehouse)
    result = run(_ok_pipeline(spark), spark=spark, warehouse=warehouse)
    assert result.status == "FAILED" and isinstance(result.error, UnsafePathError)
    # full refresh deletes only the engine's own entries, so it repairs the table
    refreshed = run(_ok_pipeline(spark), spark=spark, warehouse=warehouse, full_refresh=True)
    assert refreshed.status == "COMPLETED", refreshed.error
    assert _tree(root, warehouse) == before


def test_a_symlink_out_of_the_warehouse_is_refused(spark, around) -> None:
    root, warehouse = around
    (warehouse / "default").mkdir(parents=True)
    os.symlink(root / "victim", warehouse / "default" / "t")
    before = _tree(root, warehouse)
    for options in ({}, {"full_refresh": True}):
        try:
            result = run(_ok_pipeline(spark), spark=spark, warehouse=warehouse, **options)
            assert result.status == "FAILED" and isinstance(result.error, UnsafePathError)
        except UnsafePathError:
            pass
    assert _tree(root, warehouse) == before
    assert (root / "victim" / "sentinel.txt").read_text() == "keep victim"


def test_full_refresh_deletes_only_what_the_engine_wrote(spark, around) -> None:
    root, warehouse = around
    assert run(_ok_pipeline(spark), spark=spark, warehouse=warehouse).status == "COMPLETED"
    kept = warehouse / "default" / "t" / "notes.txt"
    kept.write_text("mine")
    result = run(_ok_pipeline(spark), spark=spark, warehouse=warehouse, full_refresh=True)
    assert result.status == "COMPLETED"
    assert kept.read_text() == "mine"
    assert spark.table("default.t").count() == 3


def test_full_refresh_refuses_a_folder_it_did_not_create(spark, around) -> None:
    _, warehouse = around
    store = Warehouse(spark, warehouse)
    foreign = warehouse / "default" / "t"
    foreign.mkdir(parents=True)
    (foreign / "data.csv").write_text("precious")
    with pytest.raises(UnsafePathError, match="not created by dltflow"):
        store.reset("t")
    assert (foreign / "data.csv").read_text() == "precious"
