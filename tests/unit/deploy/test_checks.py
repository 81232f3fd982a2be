"""Checks before any API call: each bad deployment exits 2 from ``deploy-py-dlt`` (over real
HTTP against the fake workspace) with nothing but reads reaching the server, and the same
problem is reported by ``dltflow validate`` with no workspace at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dltflow.cli.interface import cli
from dltflow.deploy.settings import settings_problems
from tests.support.fakeworkspace import FakeWorkspace
from tests.support.project import WORKFLOW_YML, build_project, cli_workspace, write

ARGS = ["--deployment-file", "workflows/people.yml", "--environment", "dev"]
WF = "dev.workflows[0] (name=people-pipeline)"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorkspace]:
    with cli_workspace(monkeypatch, tmp_path) as fake:
        monkeypatch.chdir(build_project(tmp_path / "proj"))
        yield fake


def _workflow(old: str, new: str) -> None:
    text = WORKFLOW_YML.replace(old, new)
    assert text != WORKFLOW_YML
    write(Path("workflows/people.yml"), text)


def _refused(server: FakeWorkspace, *expected: str) -> Result:
    """deploy-py-dlt and validate both exit 2 naming the file and every expected part."""
    for command in (["deploy-py-dlt", *ARGS], ["deploy-py-dlt", *ARGS, "--dry-run"],
                    ["validate", *ARGS]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, result.output
        assert "workflows/people.yml" in result.stderr
        for part in expected:
            assert part in result.stderr, (part, result.stderr)
        assert "Hint:" in result.stderr and "Traceback" not in result.output
    assert server.writes() == []
    assert all(r.method == "GET" for r in server.requests)
    return result


CASES = {
    "misspelled top-level key": ("development: true", "developement: true",
                                 "field 'developement'", "did you mean 'development'?"),
    "misspelled nested key": ("development: true",
                              "clusters: [{label: default, autoscale: "
                              "{min_workers: 1, max_wrokers: 2}}]",
                              "field 'clusters[0].autoscale.max_wrokers'",
                              "did you mean 'max_workers'?"),
    "unknown enum value": ("development: true",
                           "clusters: [{label: default, autoscale: "
                           "{min_workers: 1, max_workers: 2, mode: ENHANCD}}]",
                           "field 'clusters[0].autoscale.mode'", "did you mean 'ENHANCED'?"),
    "serverless with clusters": ("development: true",
                                 "serverless: true\n      clusters: [{label: default}]",
                                 "field 'clusters'", "serverless"),
    "serverless with a cluster library": ("development: true",
                                          "serverless: true\n      libraries: "
                                          "[{jar: /Volumes/main/libs/x.jar}]",
                                          "field 'libraries[0].jar'", "serverless"),
    "target and schema": ("schema: sample", "schema: sample\n      target: sample",
                          "fields 'target' and 'schema'"),
    "dotted schema": ("schema: sample", "schema: main.sample", "field 'schema'",
                      "'main.sample' has a dot"),
    "dotted target": ("schema: sample", "target: main.sample", "field 'target'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_settings_problems_are_refused_before_any_write(server: FakeWorkspace,
                                                        case: str) -> None:
    old, new, *expected = CASES[case]
    _workflow(old, new)
    _refused(server, f"{WF}: ", *expected)


def test_a_config_naming_a_missing_method_is_refused(server: FakeWorkspace) -> None:
    conf = Path("conf/people.yml")
    conf.write_text(conf.read_text().replace("func_name: adults", "func_name: adultz"))
    _refused(server, f"{WF}: field 'tasks.items[0].parameters' (conf/people.yml)",
             "dlt[1].func_name: PeoplePipeline has no method 'adultz'",
             "did you mean 'adults'?")


def test_an_invalid_config_is_refused_as_a_local_run_would(server: FakeWorkspace) -> None:
    conf = Path("conf/people.yml")
    conf.write_text(conf.read_text().replace("expectation_action: drop",
                                             "expectation_action: dorp"))
    _refused(server, "field 'tasks.items[0].parameters' (conf/people.yml)", "dlt[0]",
             "expectation_action")


def test_a_missing_class_is_refused(server: FakeWorkspace) -> None:
    _workflow('parameters: ["--conf", "conf/people.yml"]',
              'parameters: ["--conf", "conf/people.yml"]\n            class_name: Nope')
    _refused(server, "field 'tasks.items[0].python_file'", "no class 'Nope'")


def test_validate_passes_a_good_file_offline(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.chdir(build_project(tmp_path / "proj"))
    result = CliRunner().invoke(cli, ["validate", *ARGS])
    assert result.exit_code == 0, result.output
    assert "1 workflow(s) valid: people-pipeline" in result.stdout


def test_catalog_change_is_refused_unless_allowed(server: FakeWorkspace) -> None:
    first = CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS])
    assert first.exit_code == 0, first.output
    (pipeline_id,) = server.pipelines
    _workflow("catalog: main", "catalog: other")
    server.clear_log()
    for extra in ([], ["--dry-run"]):
        result = CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS, *extra])
        assert result.exit_code == 2, result.output
        assert "field 'catalog': 'main' -> 'other'" in result.stderr
        assert pipeline_id in result.stderr and "--allow-recreate" in result.stderr
    assert server.writes() == []
    assert server.pipelines[pipeline_id].spec["catalog"] == "main"
    allowed = CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS, "--allow-recreate"])
    assert allowed.exit_code == 0, allowed.output
    assert server.pipelines[pipeline_id].spec["catalog"] == "other"


def test_storage_change_is_refused(server: FakeWorkspace) -> None:
    _workflow("catalog: main\n      schema: sample", "storage: /mnt/a\n      target: sample")
    assert CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS]).exit_code == 0
    _workflow("catalog: main\n      schema: sample", "storage: /mnt/b\n      target: sample")
    server.clear_log()
    result = CliRunner().invoke(cli, ["deploy-py-dlt", *ARGS])
    assert result.exit_code == 2 and "field 'storage'" in result.stderr
    assert server.writes() == []


def test_keys_come_from_the_sdk_models_not_a_list() -> None:
    # `environment.dependencies` and `restart_window.days_of_week` exist only because the
    # SDK's dataclasses say so; a typo below them is found with the nearest key.
    assert settings_problems({"environment": {"dependencies": ["x"]},
                              "restart_window": {"start_hour": 1,
                                                 "days_of_week": ["MONDAY"]}}) == []
    (problem,) = settings_problems({"environment": {"dependencie": ["x"]}})
    assert "field 'environment.dependencie'" in problem and "'dependencies'" in problem


def test_serverless_with_dbfs_artifacts_is_refused(server: FakeWorkspace) -> None:
    project = Path("dltflow.yml")
    project.write_text(project.read_text().replace("/Workspace/Shared/.dltflow/sample/art",
                                                   "dbfs:/dltflow/sample"))
    _workflow("development: true", "serverless: true")
    _refused(server, f"{WF}: field 'serverless'", "cannot read DBFS", "dbfs:/dltflow/sample")
