"""Inputs the fuzzer found that raised something other than a DLTException, kept as
plain tests so they are checked on every run whatever hypothesis happens to generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from dltflow.deploy.spec import load_deployment
from dltflow.exceptions import ConfigError
from dltflow.local.databricks.configuration import parse_configuration
from tests.support.project import build_project


@pytest.mark.parametrize(("text", "message"), [
    # sorted() over keys of mixed types: TypeError
    ("null: 1\nprod: 2\n", "environments in this file: ['None', 'prod']"),
    ("dev:\n  workflows: []\n  1: x\n  null: y\n", "unknown key(s) ['1', 'None']"),
    # a workflow key that is not a string: TypeError in the did-you-mean lookup
    ("dev:\n  workflows:\n    - name: p\n      0: null\n      tasks: {items: [{python_file: "
     "sample_pkg/pipelines/people.py}]}\n", "field '0': not a Pipelines API setting"),
])
def test_keys_of_any_type_in_a_deployment_file(tmp_path: Path, text: str,
                                               message: str) -> None:
    root = build_project(tmp_path / "proj")
    path = root / "workflows" / "people.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_deployment(path, "dev", project_root=root)
    assert message in str(info.value)


@pytest.mark.parametrize("text", ["a: [1\n", "[" * 5000 + "\n", "a: !!python/object:os.x 1\n"])
def test_configuration_file_that_is_not_valid_yaml(tmp_path: Path, text: str) -> None:
    # `--configuration params.yml` used yaml.safe_load: a YAMLError or RecursionError
    # traceback; now the bounded reader's ConfigError names the file.
    params = tmp_path / "params.yml"
    params.write_text(text)
    with pytest.raises(ConfigError, match="params.yml"):
        parse_configuration([str(params)])
