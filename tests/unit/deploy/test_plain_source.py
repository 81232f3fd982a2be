"""A deployment file may name a plain DLT source (``import dlt``, no mixin class) as a
task: locally it runs through the local engine with the workflow's ``configuration``;
deployed, the notebook executes the file itself with ``spark`` as a global."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dltflow.deploy import Workspace, deploy, load_deployment, load_project
from dltflow.deploy import target_from_project as target_of
from dltflow.deploy.notebook import python_cells
from dltflow.deploy.resolve import PLAIN_SOURCE, resolve_task
from tests.support.project import write

PLAIN_PY = '''\
import dlt

min_age = int(spark.conf.get("people.min_age"))


@dlt.create_table(comment="people as they came")
@dlt.expect_or_drop("valid_age", "age BETWEEN 0 AND 130")
def people_raw():
    return spark.createDataFrame(
        [(1, "ann", 30), (2, "bob", 5), (3, "cid", 50), (4, "dan", 200)],
        "id int, name string, age int")


@dlt.table
def grown_ups():
    return dlt.read("people_raw").where(f"age >= {min_age}")
'''

PLAIN_WORKFLOW = """\
dev:
  workflows:
    - name: plain-pipeline
      catalog: main
      schema: sample
      development: true
      configuration: {people.min_age: "18"}
      tasks:
        items:
          - python_file: sample_pkg/pipelines/plain.py
"""


@pytest.fixture
def plain_project(project: Path) -> Path:
    write(project / "sample_pkg" / "pipelines" / "plain.py", PLAIN_PY)
    write(project / "workflows" / "plain.yml", PLAIN_WORKFLOW)
    return project


def test_resolves_to_the_file_itself(plain_project: Path) -> None:
    task = resolve_task(plain_project, "sample_pkg/pipelines/plain.py")
    assert task.module == "sample_pkg.pipelines.plain" and task.class_name == PLAIN_SOURCE


def test_local_run_uses_the_workflow_configuration(plain_project: Path, spark, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from dltflow.deploy import deployment_definition
    from dltflow.local import run

    monkeypatch.chdir(plain_project)
    definition = deployment_definition("workflows/plain.yml", "dev")
    result = run(definition, spark=spark, warehouse=tmp_path / "wh", schema="plain_local")
    assert result.status == "COMPLETED", result.error
    assert sorted(r.id for r in result.table("grown_ups").collect()) == [1, 3]
    assert result.datasets["people_raw"].dropped_rows == 1
    assert spark.conf.get("people.min_age", None) is None  # restored after the run
    explicit = run(definition, spark=spark, warehouse=tmp_path / "wh2", schema="plain_local2",
                   configuration={"people.min_age": "40"})  # the caller's value wins
    assert sorted(r.id for r in explicit.table("grown_ups").collect()) == [3]


def test_deployed_notebook_executes_the_file(plain_project: Path, fake, client, spark,
                                             tmp_path: Path) -> None:
    from dltflow.local import run

    spec = load_deployment(plain_project / "workflows/plain.yml", "dev",
                           project_root=plain_project)
    result = deploy(spec, target_of(load_project(plain_project), "dev"), Workspace(client))
    pipeline = fake.pipelines[result.pipelines[0].pipeline_id].spec
    assert pipeline["configuration"] == {"people.min_age": "18"}
    source = base64.b64decode(client.workspace.export(
        pipeline["libraries"][-1]["notebook"]["path"]).content).decode()
    assert "runpy.run_path(" in source and "plain.py" in source
    assert "import_module" not in source and "class_name" not in source

    mount = tmp_path / "Workspace"
    api_root = f"/Shared/.dltflow/sample/art/{result.digest}"
    for info in client.workspace.list(api_root, recursive=True):
        local = mount / info.path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(base64.b64decode(client.workspace.export(info.path).content))
    source = source.replace("/Workspace" + api_root, str(mount / api_root.lstrip("/")))

    def run_notebook() -> None:
        for cell in python_cells(source):
            exec(compile(cell, "notebook", "exec"), {"spark": spark})  # noqa: S102

    outcome = run(run_notebook, spark=spark, warehouse=tmp_path / "wh", schema="plain_nb",
                  configuration={"people.min_age": "18"})  # what Databricks sets
    assert outcome.status == "COMPLETED", outcome.error
    assert sorted(r.id for r in outcome.table("grown_ups").collect()) == [1, 3]
