"""The patch table: what dltflow replaces in pyspark and the interpreter is in place
only inside ``patched()``, and exactly what was there before is back after it."""

from __future__ import annotations

import builtins
import sys

import pytest
from pyspark.sql.session import SparkSession
from pyspark.sql.streaming.readwriter import DataStreamReader

from dltflow.graph import api
from dltflow.local.databricks.dbutils import dbutils
from dltflow.local.databricks.patches import patched, patches
from tests.support.patch_state import patch_state

_state = patch_state


def test_every_row_says_why_and_names_its_target() -> None:
    rows = patches()
    assert len({row.target for row in rows}) == len(rows)
    assert all(row.why and ":" in row.target for row in rows)


def test_replaced_inside_and_restored_after() -> None:
    before = _state()
    with patched():
        assert SparkSession.table is not before["SparkSession.table"]
        assert vars(SparkSession)["readStream"] is not before["SparkSession.readStream"]
        assert DataStreamReader.format is not before["DataStreamReader.format"]
        assert builtins.dbutils is dbutils  # type: ignore[attr-defined]
        import dlt  # type: ignore[import-not-found]
        from pyspark import pipelines as dp

        assert dlt is api and dp is api
    assert _state() == before
    assert "dlt" not in sys.modules and not hasattr(builtins, "dbutils")


def test_blocks_nest_and_the_outermost_restores() -> None:
    before = _state()
    with patched():
        inside = _state()
        with patched():
            assert _state() == inside
        assert _state() == inside  # the inner block ending removes nothing
    assert _state() == before


def test_restored_after_an_error_in_the_block() -> None:
    before = _state()
    with pytest.raises(RuntimeError), patched():
        raise RuntimeError("boom")
    assert _state() == before


def test_a_dbutils_the_user_defined_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = object()
    monkeypatch.setattr(builtins, "dbutils", theirs, raising=False)
    with patched():
        assert builtins.dbutils is theirs  # type: ignore[attr-defined]
    assert builtins.dbutils is theirs  # type: ignore[attr-defined]
