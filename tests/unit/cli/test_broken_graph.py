"""A graph is what a user opens to understand a broken pipeline: it is drawn anyway,
the dataset whose query cannot be analysed marked with its error, and the report of a
run whose planning failed still lists every dataset's declared expectations."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyspark.sql import SparkSession

from dltflow.cli.interface import cli
from tests.support.broken import BROKEN_ORDERS


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "orders.py").write_text(textwrap.dedent(BROKEN_ORDERS))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "html"])
def test_broken_pipeline_is_drawn_then_exits_1(spark: SparkSession, broken: Path,
                                               fmt: str) -> None:
    result = CliRunner().invoke(cli, ["graph", "orders.py", "--format", fmt])
    assert result.exit_code == 1
    assert "Error: Dataset 'orders_agg' failed" in result.stderr
    drawn = result.stdout
    for name in ("orders", "orders_clean", "orders_agg", "orders_report"):
        assert name in drawn
    assert "no_such_column" in drawn  # the failing dataset carries its error
    if fmt == "mermaid":
        assert "n0 --> n1" in drawn and "n1 --> n2" in drawn  # edges analysis found
        assert "class n2,n3 failed;" in drawn  # its reader cannot be planned either
    if fmt == "dot":
        assert '"ds:orders_clean" -> "ds:orders_agg"' in drawn and "#fdecea" in drawn


def test_report_of_failed_planning_shows_declared_expectations(spark: SparkSession,
                                                               broken: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "orders.py", "--warehouse", "wh",
                                      "--report", "report.html", "--output", "json"])
    assert result.exit_code == 1
    statuses = set(json.loads(result.stdout)["datasets"])
    assert statuses == {"orders", "orders_clean", "orders_agg", "orders_report"}
    page = (broken / "report.html").read_text()
    for name, constraint in (("positive", "id &gt;= 0"), ("has_id", "id IS NOT NULL"),
                             ("has_total", "total &gt; 0")):
        assert f'data-expectation="{name}"' in page and constraint in page
    from dltflow.local.events import EVENT_LOG_DIR

    records = [json.loads(line) for path in (broken / "wh" / EVENT_LOG_DIR).glob("*.json")
               for line in path.read_text().splitlines() if line.strip()]
    defined = {r["origin"]["dataset_name"]: r["details"]["dataset_definition"]
               for r in records if r["event_type"] == "dataset_definition"}
    assert set(defined) == set(statuses)
    assert "no_such_column" in defined["orders_agg"]["error"]
    assert "error" not in defined["orders"]
