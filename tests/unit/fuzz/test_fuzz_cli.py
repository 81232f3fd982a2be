"""Fuzzing the command line: mutated, corrupted and deeply nested deployment and project
files through ``dltflow validate`` and ``dltflow deploy-py-dlt --dry-run`` (against the
fake workspace). Every run exits 0 or 2 with a message, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from dltflow.cli.interface import cli
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.fakeworkspace.server import TOKEN
from tests.support.fuzz import (
    DEPLOY_KEYS,
    DEPLOYMENT,
    DLT_CONF,
    DLT_KEYS,
    PROJECT,
    PROJECT_KEYS,
    deep_yaml,
    examples,
    mutated,
    raw_bytes,
    reset,
    write_doc,
    yaml_text,
)
from tests.support.project import build_project

VALIDATE = ["validate", "--deployment-file", "workflows/people.yml", "--environment", "dev"]
DRY_RUN = ["deploy-py-dlt", "--deployment-file", "workflows/people.yml", "--environment",
           "dev", "--dry-run"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project in the working directory, credentials for the fake workspace."""
    base = tmp_path_factory.mktemp("fuzzcli")
    root = build_project(base / "proj")
    with FakeWorkspace() as server, pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("DATABRICKS_"):
                patch.delenv(key)
        patch.setenv("DATABRICKS_CONFIG_FILE", str(base / "no-databrickscfg"))
        patch.setenv("DATABRICKS_HOST", server.url)
        patch.setenv("DATABRICKS_TOKEN", TOKEN)
        patch.chdir(root)
        yield root


def check(result: Result) -> None:
    """Exit 0 (valid) or 2 (bad input), a message, never an escaped exception."""
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "Error" in result.stderr


def invoke(command: list[str]) -> Result:
    return CliRunner().invoke(cli, command)


def test_valid_project_passes(project: Path) -> None:
    reset(project)
    for command in (VALIDATE, DRY_RUN):
        result = invoke(command)
        assert result.exit_code == 0, result.output


@examples(60)
@given(deployment=mutated(DEPLOYMENT, DEPLOY_KEYS, max_edits=4),
       project_doc=st.one_of(st.just(PROJECT), mutated(PROJECT, PROJECT_KEYS, max_edits=3)),
       task_conf=st.one_of(st.none(), mutated(DLT_CONF, DLT_KEYS, max_edits=2)),
       command=st.sampled_from([VALIDATE, VALIDATE, DRY_RUN]))
def test_cli_with_mutated_documents(project: Path, deployment: Any, project_doc: Any,
                                    task_conf: Any, command: list[str]) -> None:
    reset(project)
    write_doc(project / "workflows" / "people.yml", deployment)
    write_doc(project / "dltflow.yml", project_doc)
    if task_conf is not None:
        write_doc(project / "conf" / "people.yml", task_conf)
    check(invoke(command))


@examples(50)
@given(content=st.one_of(yaml_text(DEPLOYMENT).map(lambda t: t.encode("utf-8", "replace")),
                         raw_bytes(DEPLOYMENT),
                         deep_yaml().map(lambda t: t.encode())),
       which=st.sampled_from(["workflows/people.yml", "dltflow.yml", "conf/people.yml"]),
       command=st.sampled_from([VALIDATE, DRY_RUN]))
def test_cli_with_corrupt_files(project: Path, content: bytes, which: str,
                                command: list[str]) -> None:
    reset(project)
    (project / which).write_bytes(content)
    check(invoke(command))
