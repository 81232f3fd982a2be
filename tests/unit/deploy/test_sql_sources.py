"""A deployment file's ``sql_file`` and ``folder`` tasks: the pipeline's own source
files. Locally they run with the workflow's tasks in one graph; deployed, each file is
uploaded and named in the pipeline's ``libraries`` as a ``file``; ``--dry-run`` and
``validate`` name them, and a SQL file that does not parse is refused before any
write, naming the file and its line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.local import DatasetDefined
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.project import build_project, cli_workspace, write

NUMBERS_SQL = """\
CREATE OR REFRESH MATERIALIZED VIEW numbers
COMMENT "0 to ${numbers.count} - 1"
AS SELECT id AS n FROM range(${numbers.count});
"""

EVENS_SQL = """\
CREATE OR REFRESH MATERIALIZED VIEW evens (
  CONSTRAINT even EXPECT (n % 2 = 0) ON VIOLATION DROP ROW
)
AS SELECT n FROM numbers;
"""

STATS_PY = '''\
from pyspark import pipelines as dp
from pyspark.sql import functions as F


@dp.materialized_view
def stats():
    return spark.read.table("evens").agg(F.count("n").alias("evens"), F.sum("n").alias("total"))
'''

WORKFLOW = """\
dev:
  workflows:
    - name: sql-pipeline
      catalog: main
      schema: sample
      development: true
      configuration: {numbers.count: "10"}
      tasks:
        items:
          - sql_file: sample_pkg/pipelines/numbers.sql
          - folder: sample_pkg/transformations
"""

ARGS = ["--deployment-file", "workflows/sql.yml", "--environment", "dev"]
LIBRARY_FILES = ["sample_pkg/pipelines/numbers.sql", "sample_pkg/transformations/evens.sql",
                 "sample_pkg/transformations/stats.py"]


@pytest.fixture
def sql_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = build_project(tmp_path / "proj")
    write(root / "sample_pkg" / "pipelines" / "numbers.sql", NUMBERS_SQL)
    write(root / "sample_pkg" / "transformations" / "evens.sql", EVENS_SQL)
    write(root / "sample_pkg" / "transformations" / "stats.py", STATS_PY)
    write(root / "sample_pkg" / "transformations" / ".scratch.sql", "not sql at all")
    write(root / "workflows" / "sql.yml", WORKFLOW)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def fake(sql_project: Path, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    with cli_workspace(monkeypatch, tmp_path) as server:
        yield server


def test_a_local_run_reads_the_sql_file_and_the_folder(sql_project: Path, spark,
                                                       tmp_path: Path) -> None:
    from dltflow.deploy import deployment_definition
    from dltflow.local import run

    result = run(deployment_definition("workflows/sql.yml", "dev"), spark=spark,
                 warehouse=tmp_path / "wh", schema="sql_sources")
    assert result.status == "COMPLETED", result.error
    assert result.table("stats").collect()[0].asDict() == {"evens": 5, "total": 20}
    assert result.datasets["evens"].dropped_rows == 5
    located = {e.dataset: e.location for e in result.events if isinstance(e, DatasetDefined)}
    assert located == {"numbers": "sample_pkg/pipelines/numbers.sql:1",
                       "evens": "sample_pkg/transformations/evens.sql:1",
                       "stats": "sample_pkg/transformations/stats.py:5"}
    logged = [json.loads(line) for log in (tmp_path / "wh" / "_event_log").glob("*.json")
              for line in log.read_text().splitlines()]
    assert {r["details"]["dataset_definition"].get("source_code_location") for r in logged
            if r["event_type"] == "dataset_definition"} == set(located.values())


def test_deploy_uploads_each_file_as_a_file_library(fake: FakeWorkspace) -> None:
    result = CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS, "--poll-seconds", "0.01"])
    assert result.exit_code == 0, result.output
    (pipeline,) = [p.spec for p in fake.pipelines.values()]
    files = [lib["file"]["path"] for lib in pipeline["libraries"] if "file" in lib]
    assert [f.split("/art/", 1)[1].split("/", 1)[1] for f in files] == LIBRARY_FILES
    assert not [lib for lib in pipeline["libraries"] if "notebook" in lib]  # no class tasks
    for path in files:  # uploaded where the library names it
        assert fake.workspace_files.get(path) is not None, path
    assert ".scratch.sql" not in json.dumps(pipeline)
    for name in LIBRARY_FILES:
        assert f"Uploading {name}" in result.stderr


def test_dry_run_and_validate_name_the_files(fake: FakeWorkspace) -> None:
    dry = CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    for name in LIBRARY_FILES:
        assert name in dry.stdout
    assert fake.writes() == []
    valid = CliRunner().invoke(cli, ["validate", *ARGS])
    assert valid.exit_code == 0, valid.output


def test_a_sql_file_that_does_not_parse_is_refused_before_any_write(
        fake: FakeWorkspace, sql_project: Path) -> None:
    write(sql_project / "sample_pkg" / "transformations" / "evens.sql",
          EVENS_SQL + "\nCREATE OR REFRESH MATERIALIZED VIEW broken AS SELEC n FROM evens;\n")
    for command in (["validate", *ARGS], ["deploy-py-dlt", *ARGS]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, result.output
        assert "field 'tasks.items[1].folder'" in result.stderr
        assert "sample_pkg/transformations/evens.sql" in result.stderr
        assert "line 6" in result.stderr or "evens.sql:6" in result.stderr, result.stderr
        assert "Traceback" not in result.output
    assert fake.writes() == []


@pytest.mark.parametrize(("item", "expected"), [
    ("- sql_file: sample_pkg/pipelines/missing.sql", "does not exist"),
    ("- sql_file: sample_pkg/transformations/stats.py", "is not a .sql file"),
    ("- folder: sample_pkg/nowhere", "is not a folder"),
    ("- folder: ../outside", "outside the project folder"),
    ("- sql_file: sample_pkg/pipelines/numbers.sql\n            folder: sample_pkg",
     "exactly one of 'python_file', 'sql_file' or 'folder'"),
])
def test_bad_source_tasks_name_the_field(sql_project: Path, item: str, expected: str) -> None:
    text = WORKFLOW.replace("- sql_file: sample_pkg/pipelines/numbers.sql", item)
    write(sql_project / "workflows" / "sql.yml", text)
    result = CliRunner().invoke(cli, ["validate", *ARGS])
    assert result.exit_code == 2, result.output
    assert "tasks.items[0]" in result.stderr and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output
