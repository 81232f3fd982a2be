"""Fuzzing the config entry points: every input loads, or fails with a DLTException.

Over dicts (the ``dlt:`` config, deployment files, ``dltflow.yml``), YAML/JSON text,
raw bytes and deep nesting, through the real loaders: ``read_config_file``,
``load_dlt_config``, ``build_pipeline`` and ``validate_deployment`` (every pre-deploy
check: deployment file, project file, task configs, upload plan). Any other exception
type is a bug: a traceback where the user should see a message naming file and field.
No Spark: none of these loaders needs a session.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dltflow.configfile import parse_config_text, read_config_file
from dltflow.deploy import deployment_definition
from dltflow.deploy.validate import validate_deployment
from dltflow.exceptions import ConfigError, DLTException
from dltflow.graph.registry import registration_context
from dltflow.local.databricks.configuration import normalize, parse_configuration
from dltflow.local.plan.registry import LocalRegistry
from dltflow.quality import DLTMetaMixin
from dltflow.quality.config import DLTConfigs, load_dlt_config
from dltflow.quality.construct import build_pipeline
from tests.support.fuzz import (
    DEPLOY_KEYS,
    DEPLOYMENT,
    DLT_CONF,
    DLT_KEYS,
    PROJECT,
    PROJECT_KEYS,
    deep_dict,
    deep_yaml,
    examples,
    mutated,
    raw_bytes,
    reset,
    write_doc,
    yaml_text,
    yaml_values,
)
from tests.support.project import build_project


class PeoplePipeline(DLTMetaMixin):
    """The methods DLT_CONF names; never called (no Spark here)."""

    def __init__(self, spark: Any, init_conf: Any) -> None:
        self.spark = spark
        self.init_conf = init_conf

    def people(self) -> None: ...

    def adults(self) -> None: ...

    def stream_in(self) -> None: ...

    def changes(self) -> None: ...


def loads_or_dlt_error(call: Callable[[], Any]) -> Any:
    """Run ``call``; a DLTException is a fine answer, any other exception fails the test
    (hypothesis then shrinks the input and prints it)."""
    try:
        return call()
    except DLTException as err:
        message = str(err)
        assert message.strip() and "Traceback" not in message
        return err


def test_bases_are_valid(project: Path) -> None:
    # The mutations start from valid documents, so unedited examples must load.
    assert isinstance(load_dlt_config(DLT_CONF), DLTConfigs)
    assert isinstance(build_pipeline(PeoplePipeline, None, DLT_CONF), PeoplePipeline)
    write_doc(project / "workflows" / "people.yml", DEPLOYMENT)
    write_doc(project / "dltflow.yml", PROJECT)
    result = validate_deployment(project / "workflows" / "people.yml", "dev",
                                 project_root=project)
    assert result.workflows == ("people-pipeline", "second")


# -- a project for the deployment loaders, reset before every example ------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = build_project(tmp_path_factory.mktemp("fuzz") / "proj")
    saved = os.environ.copy()
    os.environ.pop("NOPE_NOT_SET", None)
    yield root
    os.environ.clear()
    os.environ.update(saved)


def validate(root: Path, deployment: str = "workflows/people.yml") -> Any:
    """The pre-deploy checks, and the definition ``dltflow run --deployment-file`` runs."""
    loads_or_dlt_error(lambda: deployment_definition(root / deployment, "dev",
                                                     project_root=root))
    return loads_or_dlt_error(lambda: validate_deployment(root / deployment, "dev",
                                                          project_root=root))


# -- (a) dicts ------------------------------------------------------------------------
@examples(150)
@given(conf=mutated(DLT_CONF, DLT_KEYS, max_edits=5))
def test_dlt_config_dicts(conf: Any) -> None:
    loaded = loads_or_dlt_error(lambda: load_dlt_config(conf))
    built = loads_or_dlt_error(lambda: build_pipeline(PeoplePipeline, None, conf))
    if isinstance(loaded, DLTConfigs):
        assert isinstance(built, (PeoplePipeline, ConfigError))
    if isinstance(built, PeoplePipeline):  # its datasets, declared into a local registry
        loads_or_dlt_error(lambda: register(built))


def register(pipeline: PeoplePipeline) -> LocalRegistry:
    registry = LocalRegistry()
    with registration_context(registry):
        pipeline.register_datasets()
    registry.raise_problems()
    return registry


@examples(40)
@given(conf=yaml_values)
def test_dlt_config_arbitrary_values(conf: Any) -> None:
    loads_or_dlt_error(lambda: load_dlt_config({"dlt": conf}))
    loads_or_dlt_error(lambda: load_dlt_config(conf))


@examples(120)
@given(deployment=mutated(DEPLOYMENT, DEPLOY_KEYS, max_edits=5),
       project_doc=st.one_of(st.just(PROJECT), mutated(PROJECT, PROJECT_KEYS, max_edits=3)),
       task_conf=st.one_of(st.none(), mutated(DLT_CONF, DLT_KEYS, max_edits=2)),
       fmt=st.sampled_from(["yaml", "json"]))
def test_deployment_dicts(project: Path, deployment: Any, project_doc: Any, task_conf: Any,
                          fmt: str) -> None:
    reset(project)
    write_doc(project / "workflows" / "people.yml", deployment, fmt)
    write_doc(project / "dltflow.yml", project_doc)
    if task_conf is not None:
        write_doc(project / "conf" / "people.yml", task_conf)
    validate(project)


@examples(40)
@given(values=st.dictionaries(st.text(max_size=6), yaml_values, max_size=4))
def test_run_configuration_dicts(values: dict[str, Any]) -> None:
    loads_or_dlt_error(lambda: normalize(values))


# -- (b) YAML text ----------------------------------------------------------------------
@examples(150)
@given(text=yaml_text(DLT_CONF))
def test_dlt_config_yaml_text(project: Path, text: str) -> None:
    loads_or_dlt_error(lambda: parse_config_text(text, source="fuzz.yml"))
    conf = project / "conf" / "fuzz.yml"
    conf.write_text(text, encoding="utf-8", errors="surrogatepass")
    loads_or_dlt_error(lambda: load_dlt_config(conf))
    built = loads_or_dlt_error(lambda: build_pipeline(PeoplePipeline, None, conf))
    if isinstance(built, PeoplePipeline):
        loads_or_dlt_error(lambda: register(built))


@examples(80)
@given(text=yaml_text(DEPLOYMENT), which=st.sampled_from(["deployment", "project"]))
def test_deployment_yaml_text(project: Path, text: str, which: str) -> None:
    reset(project)
    target = "workflows/people.yml" if which == "deployment" else "dltflow.yml"
    (project / target).write_text(text, encoding="utf-8", errors="surrogatepass")
    validate(project)


# -- (c) raw bytes through every entry point ---------------------------------------------
@examples(150)
@given(data=raw_bytes(DLT_CONF),
       target=st.sampled_from(["conf", "conf.json", "deployment", "deployment.json",
                               "project", "task_conf", "configuration"]))
def test_raw_bytes(project: Path, data: bytes, target: str) -> None:
    reset(project)
    if target.startswith("conf"):
        path = project / "conf" / ("fuzz.json" if target.endswith(".json") else "fuzz.yml")
        path.write_bytes(data)
        loads_or_dlt_error(lambda: read_config_file(path))
        loads_or_dlt_error(lambda: load_dlt_config(path))
        loads_or_dlt_error(lambda: build_pipeline(PeoplePipeline, None, path))
    elif target.startswith("deployment"):
        name = "workflows/fuzz.json" if target.endswith(".json") else "workflows/fuzz.yml"
        (project / name).write_bytes(data)
        validate(project, name)
    elif target == "project":
        (project / "dltflow.yml").write_bytes(data)
        validate(project)
    elif target == "task_conf":
        (project / "conf" / "people.yml").write_bytes(data)
        validate(project)
    else:
        path = project / "conf" / "params.yml"
        path.write_bytes(data)
        loads_or_dlt_error(lambda: parse_configuration([str(path)]))


# -- (d) deep nesting -------------------------------------------------------------------
@examples(60)
@given(text=deep_yaml(), as_json=st.booleans())
def test_deep_yaml(project: Path, text: str, as_json: bool) -> None:
    reset(project)
    conf = project / "conf" / ("deep.json" if as_json else "deep.yml")
    conf.write_text(text, encoding="utf-8")
    loads_or_dlt_error(lambda: read_config_file(conf))
    loads_or_dlt_error(lambda: load_dlt_config(conf))
    loads_or_dlt_error(lambda: parse_configuration([str(conf)]))
    (project / "workflows" / "people.yml").write_text(text, encoding="utf-8")
    validate(project)
    (project / "conf" / "people.yml").write_text(text, encoding="utf-8")
    reset(project)


@examples(40)
@given(depth=st.sampled_from([1, 10, 64, 65, 500, 1000, 5000, 50_000]),
       kind=st.sampled_from(["dict", "list"]),
       place=st.sampled_from(["dlt", "entry", "write_opts", "spark_conf", "reader",
                              "expectations", "apply", "configuration"]))
def test_deep_dicts(depth: int, kind: str, place: str) -> None:
    deep = deep_dict(depth, kind=kind)
    entry: dict[str, Any] = {"func_name": "people"}
    conf: dict[str, Any] = {"dlt": [entry]}
    if place == "dlt":
        conf["dlt"] = deep
    elif place == "entry":
        entry["kind"] = deep
    elif place == "write_opts":
        entry["write_opts"] = deep
    elif place == "spark_conf":
        entry["write_opts"] = {"spark_conf": {"k": deep}}
    elif place == "reader":
        conf["reader"] = deep
    elif place == "expectations":
        entry["expectations"] = [{"name": "e", "constraint": deep}]
    elif place == "apply":
        entry["apply_chg_config"] = {"target": "t", "keys": deep, "sequence_by": "ts"}
    else:
        loads_or_dlt_error(lambda: normalize({"k": deep}))
        return
    loads_or_dlt_error(lambda: load_dlt_config(conf))
    loads_or_dlt_error(lambda: build_pipeline(PeoplePipeline, None, conf))
