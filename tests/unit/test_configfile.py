"""The bounded YAML/JSON reader: hostile files fail fast with a ConfigError naming them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dltflow.cli.interface import cli
from dltflow.configfile import MAX_ALIASES, MAX_DEPTH, read_config_file
from dltflow.deploy.project import load_project
from dltflow.deploy.spec import load_deployment
from dltflow.exceptions import ConfigError
from dltflow.quality.config import load_dlt_config
from tests.support.project import build_project

DEPLOY = ["deploy-py-dlt", "--deployment-file", "workflows/people.yml", "--environment",
          "dev", "--dry-run"]


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" document: ~500 bytes, 9**9 strings once expanded."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\ndev:\n  workflows:\n    - name: x\n      tags: *a{levels}\n"


def deep_yaml(levels: int = 3000, flow: bool = False) -> str:
    if flow:
        return "dev: " + "[" * levels + "]" * levels + "\n"
    return "dev:\n  " + "- " * levels + "1\n"  # block sequences nest on one line


def _error(path: Path) -> ConfigError:
    start = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    assert time.perf_counter() - start < 1.0
    assert info.value.source == str(path)
    return info.value


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(alias_bomb())
    assert len(bomb.read_bytes()) < 1000
    assert "once YAML aliases are expanded" in str(_error(bomb))


@pytest.mark.parametrize("flow", [False, True])
def test_deep_yaml_fails_fast(tmp_path: Path, flow: bool) -> None:
    deep = tmp_path / "deep.yml"
    deep.write_text(deep_yaml(flow=flow))
    assert f"deeper than {MAX_DEPTH}" in str(_error(deep))


def test_deep_json_fails_fast(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"dev": ' + '{"a": [' * 3000 + "1" + "]}" * 3000 + "}")
    assert f"deeper than {MAX_DEPTH}" in str(_error(deep))


def test_brackets_inside_json_strings_do_not_count(tmp_path: Path) -> None:
    ok = tmp_path / "ok.json"
    ok.write_text('{"a": "' + "[" * 500 + '\\"{"}')
    assert read_config_file(ok) == {"a": "[" * 500 + '"{'}


def test_alias_deep_anchor_at_deep_place_is_too_deep(tmp_path: Path) -> None:
    # Each document level is shallow, but every alias nests the previous chain deeper.
    lines = ["l0: &l0 " + "[" * 40 + "1" + "]" * 40]
    lines += [f"l{i}: &l{i} " + "[" * 40 + f"*l{i - 1}" + "]" * 40 for i in range(1, 5)]
    deep = tmp_path / "chain.yml"
    deep.write_text("\n".join(lines) + "\n")
    assert "deeper than" in str(_error(deep))


def test_recursive_alias_is_rejected(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yml"
    loop.write_text("a: &a [1, *a]\n")
    assert "refers to a node that contains it" in str(_error(loop))


def test_too_many_aliases(tmp_path: Path) -> None:
    many = tmp_path / "many.yml"
    many.write_text("x: &x 1\ny: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n")
    assert "aliases" in str(_error(many))


@pytest.mark.parametrize("data", [b"\x00\x01binary\x00", b"dev: \xff\xfe\xfa caf\xe9\n",
                                  bytes(range(256)) * 4])
def test_non_text_is_rejected(tmp_path: Path, data: bytes) -> None:
    binary = tmp_path / "binary.yml"
    binary.write_bytes(data)
    assert "text file" in str(_error(binary))


def test_oversized_file_is_rejected(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    big.write_text("# padding\n" * 500_000)
    assert "larger than" in str(_error(big))


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yml"
    path.write_text("base: &base {catalog: main, development: true}\n"
                    "dev: {<<: *base, schema: s}\nprod: {<<: *base, development: false}\n")
    data = read_config_file(path)
    assert data["dev"] == {"catalog": "main", "development": True, "schema": "s"}
    assert data["prod"] == {"catalog": "main", "development": False}


def test_bom_and_empty_files(tmp_path: Path) -> None:
    bom = tmp_path / "bom.yml"
    bom.write_bytes(b"\xef\xbb\xbfa: 1\n")
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    assert read_config_file(bom) == {"a": 1} and read_config_file(empty) is None


def test_every_reader_uses_the_bounds(tmp_path: Path) -> None:
    root = build_project(tmp_path / "proj")
    (root / "workflows" / "people.yml").write_text(alias_bomb())
    with pytest.raises(ConfigError) as info:
        load_deployment(root / "workflows" / "people.yml", "dev", project_root=root)
    assert "expand" in str(info.value)
    (root / "conf" / "people.yml").write_text(deep_yaml())
    with pytest.raises(ConfigError, match="deeper"):
        load_dlt_config(root / "conf" / "people.yml")
    (root / "dltflow.yml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ConfigError, match="text file"):
        load_project(root)


@pytest.mark.parametrize("which", ["bomb", "deep", "binary", "binary-project"])
def test_deploy_dry_run_exits_2_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     which: str) -> None:
    root = build_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-not-used")
    deployment = root / "workflows" / "people.yml"
    if which == "bomb":
        deployment.write_text(alias_bomb())
    elif which == "deep":
        deployment.write_text(deep_yaml())
    elif which == "binary":
        deployment.write_bytes(bytes(range(256)))
    else:
        (root / "dltflow.yml").write_bytes(bytes(range(256)))
    import databricks.sdk  # noqa: F401 - a one-off import cost, not the reader's time

    start = time.perf_counter()
    result = CliRunner().invoke(cli, DEPLOY)
    assert time.perf_counter() - start < 1.0
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Invalid configuration in" in result.stderr


@pytest.mark.parametrize("text", [alias_bomb(), deep_yaml(), deep_yaml(flow=True),
                                  "a: &a [1, *a]\n"])
def test_pure_python_loader_has_the_same_bounds(text: str) -> None:
    # PyYAML without libyaml falls back to this loader; it must bound the same way.
    from dltflow.configfile import _PyLoader

    start = time.perf_counter()
    loader = _PyLoader(text, "x.yml")
    with pytest.raises(ConfigError):
        loader.get_single_data()
    assert time.perf_counter() - start < 1.0
    assert _PyLoader("a: &a {b: 1}\nc: *a\n", "ok.yml").get_single_data() == {
        "a": {"b": 1}, "c": {"b": 1}}


NUL = "conf/a\x00b.yml"


def _nul_error(call: Any, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    message = str(info.value)
    assert f"field '{field}'" in message and "'conf/a\\x00b.yml'" in message
    assert "NUL byte" in message and "Hint:" in message and "\x00" not in message


def test_nul_byte_in_a_config_path_names_path_and_field(tmp_path: Path) -> None:
    from dltflow.deploy import deployment_definition
    from dltflow.deploy.validate import validate_deployment
    from dltflow.quality.construct import build_pipeline

    _nul_error(lambda: read_config_file(NUL), "path")
    _nul_error(lambda: load_dlt_config(NUL), "config")
    _nul_error(lambda: build_pipeline(object, None, NUL), "config")
    _nul_error(lambda: load_deployment(NUL, "dev", project_root=tmp_path), "deployment file")
    _nul_error(lambda: load_project(Path(NUL)), "project root")
    _nul_error(lambda: deployment_definition(NUL, "dev"), "deployment file")
    _nul_error(lambda: validate_deployment(NUL, "dev"), "deployment file")
    _nul_error(lambda: validate_deployment("w.yml", "dev", project_root=NUL), "project root")


def test_nul_byte_in_a_local_run_conf(tmp_path: Path) -> None:
    from dltflow.local.databricks.loader import load_file
    from dltflow.local.plan.registry import LocalRegistry

    pipeline = tmp_path / "p.py"
    pipeline.write_text("x = 1\n")
    # Checked before the file runs or Spark is touched: no session is needed.
    _nul_error(lambda: load_file(pipeline, LocalRegistry(), None, NUL),  # type: ignore[arg-type]
               "conf")


@pytest.mark.parametrize("args", [
    ["run", "p.py", "--conf", NUL],
    ["run", "a\x00.py"],
    ["run", "p.py", "--warehouse", "w\x00h"],
    ["deploy-py-dlt", "--deployment-file", NUL, "--environment", "dev", "--dry-run"],
    ["validate", "--deployment-file", NUL, "--environment", "dev"],
    ["graph", "p.py", "-o", "g\x00.html"],
    ["report", "--warehouse", "w\x00h"],
    ["init", "--directory", "d\x00", "--no-input"],
])
def test_nul_byte_in_a_cli_path_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.py").write_text("x = 1\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "contains a NUL byte" in result.output and "Traceback" not in result.output
