"""${...} references and variables of a bundle, through read_bundle: precedence
(--var > BUNDLE_VAR_x > target > default), typed and nested references, complex
variables, lookups, cycles."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from dltflow.deploy import BundleError, read_bundle
from dltflow.deploy.bundle_refs import short_name
from dltflow.exceptions import ConfigError

BUNDLE = """
bundle: {name: refs}
variables:
  catalog: {default: main}
  schema: {default: base}
  workers: {default: 2}
  flag: {type: bool, default: true}
  settings:
    type: complex
    default: {region: eu, zones: [a, b]}
  alias: {default: "${var.catalog}_copy"}
  warehouse_id:
    lookup: {warehouse: Shared}
targets:
  dev:
    default: true
    variables:
      schema: dev_schema
  prod:
    variables:
      schema: {default: prod_schema}
      settings: {region: us, zones: [c]}
resources:
  pipelines:
    etl:
      name: etl ${bundle.environment}
      catalog: ${var.catalog}
      schema: ${var.schema}
      development: ${var.flag}
      configuration:
        workers: ${var.workers}
        text_with_flag: flag=${var.flag}
        region: ${var.settings.region}
        zone: ${var.settings.zones[0]}
        alias: ${variables.alias.value}
        mine: ${resources.pipelines.etl.catalog}
        friendly: ${workspace.current_user.domain_friendly_name}
        kept: ${spark.sql.shuffle.partitions}
      libraries:
        - file: {path: etl.py}
"""


def bundle(tmp_path: Path, text: str = BUNDLE) -> Path:
    root = tmp_path / "b"
    root.mkdir()
    (root / "databricks.yml").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (root / "etl.py").write_text("import dlt\n", encoding="utf-8")
    return root


def read(root: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("target", None)
    kwargs.setdefault("pipeline", None)
    kwargs.setdefault("user", "Jane.Doe@example.com")
    kwargs.setdefault("environ", {})
    return read_bundle(root, **kwargs)


def test_values_types_and_nested_lookups(tmp_path: Path) -> None:
    p = read(bundle(tmp_path))
    assert (p.name, p.catalog, p.schema, p.development) == ("etl dev", "main",
                                                            "dev_schema", True)
    assert p.configuration == {
        "workers": "2", "text_with_flag": "flag=true", "region": "eu", "zone": "a",
        "alias": "main_copy", "mine": "main", "friendly": "jane-doe",
        "kept": "${spark.sql.shuffle.partitions}",
    }
    assert any("${spark.sql.shuffle.partitions} has no local value" in w for w in p.warnings)
    assert p.variables["settings"] == {"region": "eu", "zones": ["a", "b"]}
    assert "warehouse_id" not in p.variables  # a lookup has no local value


def test_target_values_plain_default_form_and_complex(tmp_path: Path) -> None:
    p = read(bundle(tmp_path), target="prod")
    assert p.schema == "prod_schema"
    assert (p.configuration["region"], p.configuration["zone"]) == ("us", "c")


def test_precedence_cli_then_environment_then_target(tmp_path: Path) -> None:
    root = bundle(tmp_path)
    assert read(root, environ={"BUNDLE_VAR_schema": "from_env"}).schema == "from_env"
    assert read(root, environ={"BUNDLE_VAR_schema": "from_env"},
                variables={"schema": "from_cli"}).schema == "from_cli"
    assert read(root, variables={"catalog": "other"}).configuration["alias"] == "other_copy"


def test_var_for_an_undeclared_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="declares no variable 'shema'"):
        read(bundle(tmp_path), variables={"shema": "x"})


def test_lookup_variable_needs_a_local_value(tmp_path: Path) -> None:
    root = bundle(tmp_path, BUNDLE.replace("name: etl ${bundle.environment}",
                                           "name: ${var.warehouse_id}"))
    with pytest.raises(BundleError, match="'warehouse_id' is a lookup") as err:
        read(root)
    assert (err.value.field, err.value.line) == ("resources.pipelines.etl.name", 25)
    assert read(root, variables={"warehouse_id": "abc"}).name == "abc"


def test_lookup_in_a_field_a_local_run_ignores_is_fine(tmp_path: Path) -> None:
    root = bundle(tmp_path, BUNDLE.replace(
        "      libraries:", "      clusters:\n        - policy_id: ${var.warehouse_id}\n"
                           "      libraries:"))
    assert read(root).catalog == "main"


def test_complex_value_inside_text_is_an_error(tmp_path: Path) -> None:
    root = bundle(tmp_path, BUNDLE.replace("region: ${var.settings.region}",
                                           "region: at ${var.settings}"))
    with pytest.raises(BundleError, match="complex value") as err:
        read(root)
    assert err.value.field == "resources.pipelines.etl.configuration.region"


def test_missing_field_of_a_complex_variable(tmp_path: Path) -> None:
    root = bundle(tmp_path, BUNDLE.replace("${var.settings.zones[0]}",
                                           "${var.settings.zones[5]}"))
    with pytest.raises(BundleError, match="has no 5"):
        read(root)


def test_variables_in_a_cycle(tmp_path: Path) -> None:
    root = bundle(tmp_path, BUNDLE.replace('alias: {default: "${var.catalog}_copy"}',
                                           'alias: {default: "${var.other}"}\n'
                                           '  other: {default: "${var.alias}"}'))
    with pytest.raises(BundleError, match="refer to each other: alias -> other -> alias"):
        read(root)


def test_workspace_host_and_user_names(tmp_path: Path) -> None:
    root = bundle(tmp_path, BUNDLE.replace(
        "friendly: ${workspace.current_user.domain_friendly_name}",
        "host: ${workspace.host}\n        who: ${workspace.current_user.userName}"
    ).replace("bundle: {name: refs}", "bundle: {name: refs}\nworkspace: "
              "{host: 'https://x.example.com'}"))
    p = read(root, user="ann@example.com")
    assert (p.configuration["host"], p.configuration["who"]) == ("https://x.example.com",
                                                                 "ann@example.com")


def test_short_name_rules() -> None:
    assert short_name("jane.doe+test@example.com") == "jane_doe_test"
    assert short_name("svc-principal") == "svc_principal"
