"""Helpers for deploy tests: a tiny sample project built in a folder, the real SDK client
for the fake workspace, and the guard that keeps the developer's Databricks config out.

Shared by tests in several folders (deploy, cli, fuzz, process); the fixtures over them
are in ``tests/unit/deploy/conftest.py``."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.fakeworkspace import FakeWorkspace

PIPELINE_PY = '''\
from dltflow.quality import DLTMetaMixin


class PeoplePipeline(DLTMetaMixin):
    """Reads people, drops impossible ages, keeps adults."""

    def __init__(self, spark, init_conf):
        self.spark = spark
        self.init_conf = init_conf

    def people(self):
        return self.spark.createDataFrame(
            [(1, "ann", 30), (2, "bob", 5), (3, "cid", 50), (4, "dan", 200)],
            "id int, name string, age int")

    def adults(self):
        return self.people().where("age >= 18")
'''

CONF_YML = """\
dlt:
  - func_name: people
    kind: table
    expectation_action: drop
    expectations:
      - name: valid_age
        constraint: "age between 10 and 100"
  - func_name: adults
    kind: materialized_view
"""

PROJECT_YML = """\
dltflow: {name: sample}
include:
  code: {name: sample_pkg}
  conf: {name: conf}
  workflows: {name: workflows}
targets:
  dev:
    default: true
    workspace:
      root_path: /Shared/.dltflow/sample
      artifact_path: ARTIFACTS
"""

WORKFLOW_YML = """\
dev:
  workflows:
    - name: people-pipeline
      catalog: main
      schema: sample
      development: true
      configuration: {env: dev, strict: true}
      tasks:
        items:
          - python_file: sample_pkg/pipelines/people.py
            parameters: ["--conf", "conf/people.yml"]
        dependencies:
          - pypi: {package: pyyaml}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def build_project(root: Path, *, artifact_path: str = "/Workspace/Shared/.dltflow/sample/art",
                  workflow_yml: str = WORKFLOW_YML) -> Path:
    """A minimal dltflow project: package, conf, deployment file, dltflow.yml."""
    write(root / "dltflow.yml", PROJECT_YML.replace("ARTIFACTS", artifact_path))
    write(root / "sample_pkg" / "__init__.py", "")
    write(root / "sample_pkg" / "pipelines" / "__init__.py", "")
    write(root / "sample_pkg" / "pipelines" / "people.py", PIPELINE_PY)
    write(root / "conf" / "people.yml", CONF_YML)
    write(root / "workflows" / "people.yml", workflow_yml)
    return root


def isolate_databricks_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's ~/.databrickscfg or DATABRICKS_* variables."""
    import os

    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))


@contextmanager
def cli_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeWorkspace]:
    """A fake workspace the CLI reaches through ``DATABRICKS_HOST``/``DATABRICKS_TOKEN``
    (nothing of the developer's configuration read), checking every pipeline body
    against the settings schema."""
    from tests.support.fakeworkspace import FakeWorkspace
    from tests.support.fakeworkspace.schema import settings_problems
    from tests.support.fakeworkspace.server import TOKEN

    isolate_databricks_config(monkeypatch, tmp_path)
    with FakeWorkspace(validate_settings=settings_problems) as server:
        monkeypatch.setenv("DATABRICKS_HOST", server.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
        yield server
        assert server.schema_problems == [], "a pipeline body broke the settings schema"


def skipped_sleeps():  # type: ignore[no-untyped-def]
    """The SDK's retry clock without the waiting: its time is the real time plus every
    backoff it asked for, and it gets each backoff at once. Retries and their deadline
    happen as against a real workspace; a test does not sit through 1-10 s backoffs."""
    import time

    from databricks.sdk.clock import Clock

    class SkippedSleeps(Clock):
        def __init__(self) -> None:
            self.skipped = 0.0

        def time(self) -> float:
            return time.time() + self.skipped

        def sleep(self, seconds: float) -> None:
            self.skipped += seconds

    return SkippedSleeps()


def make_client(host: str, token: str, **config: object):  # type: ignore[no-untyped-def]
    """The real SDK client; a short retry budget keeps 429/503 tests fast, and its
    backoffs are skipped (:func:`skipped_sleeps`)."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    config.setdefault("retry_timeout_seconds", 3)
    return WorkspaceClient(config=Config(host=host, token=token, clock=skipped_sleeps(),
                                         **config))
