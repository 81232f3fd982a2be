"""The deployed notebook, downloaded and run locally, is the same pipeline as ``dltflow run``.

The notebook and the artifacts come back from the fake workspace through the real SDK;
the artifact folder is placed under a local stand-in for the ``/Workspace`` mount, and
the notebook's Python cells run with ``spark`` bound to the test session inside the local
engine (``dltflow.local.run``), which registers and runs the pipeline.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest
from chispa import assert_df_equality

from dltflow.deploy import (
    Workspace,
    deploy,
    deployment_definition,
    load_deployment,
    load_project,
)
from dltflow.deploy import target_from_project as target_of
from dltflow.deploy.notebook import python_cells


def _download(client, folder: str, mount: Path) -> None:  # type: ignore[no-untyped-def]
    for info in client.workspace.list(folder, recursive=True):
        local = mount / info.path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(base64.b64decode(client.workspace.export(info.path).content))


def _expected(spark):  # type: ignore[no-untyped-def]
    return spark.createDataFrame([(1, "ann", 30), (3, "cid", 50)],
                                 "id int, name string, age int")


def test_downloaded_notebook_runs_the_pipeline_locally(project: Path, fake, client, spark,
                                                       tmp_path: Path) -> None:
    from dltflow.local import run

    spec = load_deployment(project / "workflows/people.yml", "dev", project_root=project)
    result = deploy(spec, target_of(load_project(project), "dev"), Workspace(client))
    pipeline_id = result.pipelines[0].pipeline_id
    nb_path = fake.pipelines[pipeline_id].spec["libraries"][-1]["notebook"]["path"]
    source = base64.b64decode(client.workspace.export(nb_path).content).decode()

    artifact_api_root = f"/Shared/.dltflow/sample/art/{result.digest}"
    mount = tmp_path / "Workspace"  # stands in for the cluster's /Workspace mount
    _download(client, artifact_api_root, mount)
    local_root = str(mount / artifact_api_root.lstrip("/"))
    remote_literal = repr("/Workspace" + artifact_api_root)
    assert remote_literal in source
    source = source.replace(remote_literal, repr(local_root))

    def run_notebook() -> None:
        for cell in python_cells(source):
            exec(compile(cell, nb_path, "exec"), {"spark": spark})  # noqa: S102

    outcome = run(run_notebook, spark=spark, warehouse=tmp_path / "wh", schema="e2e_nb")
    assert outcome.status == "COMPLETED", outcome.error
    assert outcome.datasets["people"].output_rows == 2
    assert outcome.datasets["people"].dropped_rows == 2
    assert outcome.datasets["people"].expectations["valid_age"] == {
        "passed_records": 2, "failed_records": 2}
    assert_df_equality(outcome.table("adults"), _expected(spark), ignore_row_order=True,
                       ignore_nullable=True)
    module = sys.modules["sample_pkg.pipelines.people"]
    assert Path(module.__file__).resolve().is_relative_to(Path(local_root).resolve())


def test_local_run_of_the_deployment_file_is_the_same_pipeline(project: Path, spark,
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    from dltflow.local import run

    monkeypatch.chdir(project)
    definition = deployment_definition("workflows/people.yml", "dev")
    assert [t.name for t in definition.tasks] == [
        "people-pipeline:sample_pkg.pipelines.people.PeoplePipeline"]
    outcome = run(definition, spark=spark,
                  warehouse=tmp_path / "wh", schema="e2e_local")
    assert outcome.status == "COMPLETED", outcome.error
    assert outcome.datasets["people"].dropped_rows == 2
    assert_df_equality(outcome.table("adults"), _expected(spark), ignore_row_order=True,
                       ignore_nullable=True)
