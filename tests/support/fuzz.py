"""Hypothesis strategies for hostile config input: dicts, YAML text, raw bytes, nesting.

Purely random input is rejected at the first level ("not a mapping"), so most
strategies start from a *valid* config and mutate it: a few random edits at random
places (replace a value, drop or add a key, wrap in a list, a nasty string) keep most of
the document valid and push the input deep into validation, where the bugs live.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support.project import CONF_YML, PROJECT_YML, WORKFLOW_YML

# -- profiles -------------------------------------------------------------------------
# The default run (``pytest``) keeps every fuzz test to a few seconds; ``make fuzz``
# (HYPOTHESIS_PROFILE=fuzz) runs FUZZ_SCALE times as many examples of each.
FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
FUZZ_SCALE = 40
# Health checks are about generation speed and example size, which a fuzzer of big
# documents trips by design; what the tests check is the loaders' answers.
_BASE = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}
settings.register_profile("fuzz", **_BASE)


def examples(quick: int) -> settings:
    """Settings for a fuzz test: ``quick`` examples by default, FUZZ_SCALE times as many
    under ``make fuzz``."""
    return settings(max_examples=quick * FUZZ_SCALE if FUZZ else quick, **_BASE)


# -- values ---------------------------------------------------------------------------
NASTY_STRINGS = [
    "", " ", "\n", "\t", "\x00", "a\x00b", "\x7f", "\u2028", "\ufeff", "é", "名前", "💥",
    "../..", "../../etc/passwd", "/etc/passwd", "/", ".", "..", "~", "C:\\x", "a/../../b",
    "${HOME}", "${NOPE_NOT_SET}", "$${literal}", "${", "$", "{{x}}", "%s", "%(x)s", "{0}",
    "x" * 300, "1e400", "NaN", "-0", "true", "null", "~", "yes", "0x10", "0o7",
    "x > 1", "coalesce(42, false)", "1 +", "(((", "')", "a' OR '1'='1", "x > 1; DROP TABLE t",
    "select * from t", "current_timestamp()", "ai_query('m', x) > 0", "x between 1 and",
    "table", "view", "materialized_view", "streaming_table", "allow", "drop", "fail",
    "quarantine", "register_datasets", "__init__", "import os", "os.system('x')",
    "--conf", "--conf=", "conf/people.yml", "conf/missing.yml", "sample_pkg/pipelines/people.py",
    "sample_pkg/pipelines/missing.py", "/Volumes/main/libs/x.whl", "dbfs:/x", "/Workspace/x",
    "pyyaml", "pyyaml\nx", "id_rsa", ".env", ".git/config", ".databrickscfg", "*", "**/*",
]

scalars = (st.none() | st.booleans() | st.integers()
           | st.integers(min_value=-(2 ** 80), max_value=2 ** 80)
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from(NASTY_STRINGS) | st.text(max_size=12))

# What YAML's safe loader builds besides JSON's types: dates, timestamps, bytes
# (!!binary), sets (!!set); and keys that are not strings.
yaml_only = (st.dates() | st.datetimes() | st.binary(max_size=4)
             | st.sets(st.integers(max_value=9), max_size=3))
keys = (st.sampled_from(NASTY_STRINGS) | st.text(max_size=8) | st.integers()
        | st.booleans() | st.none() | st.dates())

json_values = st.recursive(
    scalars | yaml_only,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)
"""Any value a YAML file can hold (written as JSON, the YAML-only ones become strings)."""

yaml_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(scalars.filter(lambda k: k == k), children, max_size=4),
    max_leaves=16,
)
"""Like :data:`json_values`, with the keys YAML allows (numbers, booleans, null)."""


# -- mutation of a valid document -------------------------------------------------------
def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, prefix + (index,))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _add(draw: st.DrawFn, value: Any, keys: list[str]) -> None:
    if isinstance(value, dict):
        key = draw(st.sampled_from(keys) | st.text(max_size=6) | st.integers() | st.none())
        value[key] = draw(json_values)
    elif isinstance(value, list):
        value.append(draw(json_values) if not value or draw(st.booleans())
                     else copy.deepcopy(value[0]))


@st.composite
def _edit(draw: st.DrawFn, doc: Any, keys: list[str]) -> Any:
    path = draw(st.sampled_from(_paths(doc)))
    op = draw(st.sampled_from(["replace", "replace", "nasty", "delete", "add", "wrap",
                               "unwrap", "duplicate", "none"]))
    if not path:  # the root itself: replaced, or added to
        if op == "replace":
            return draw(json_values)
        if op == "add":
            _add(draw, doc, keys)
        return doc
    parent, last = _get(doc, path[:-1]), path[-1]
    value = parent[last]
    if op == "replace":
        parent[last] = draw(json_values)
    elif op == "nasty":
        parent[last] = draw(st.sampled_from(NASTY_STRINGS))
    elif op == "delete":
        del parent[last]
    elif op == "add":
        _add(draw, value, keys)
    elif op == "wrap":
        parent[last] = [value] if draw(st.booleans()) else {"x": value}
    elif op == "unwrap" and isinstance(value, (list, dict)) and value:
        parent[last] = next(iter(value.values())) if isinstance(value, dict) else value[0]
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(value))
    elif op == "none":
        parent[last] = None
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: Any, keys: list[str], max_edits: int = 4) -> Any:
    """``base`` after 0..max_edits random edits (the unedited document is tried too)."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=0, max_value=max_edits))):
        doc = draw(_edit(doc, keys))
    return doc


# -- text and bytes ---------------------------------------------------------------------
YAML_ALPHABET = st.sampled_from(list(":-[]{}&*!|>'\"#%@`,?\n\t ~=$\\") + ["\x00", "\ufeff",
                                                                          "é", "\x85"])


@st.composite
def yaml_text(draw: st.DrawFn, base: Any) -> str:
    """A valid document dumped as YAML or JSON, then edited character by character."""
    text = (yaml.safe_dump(base, sort_keys=False, allow_unicode=True)
            if draw(st.booleans()) else json.dumps(base, indent=draw(st.sampled_from([None, 2])),
                                                   default=str))
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "splice"]))
        piece = draw(st.text(YAML_ALPHABET, min_size=1, max_size=4) | st.sampled_from(
            ["&a ", "*a", "*nope", "!!python/object:os.system ", "!!binary ", "<<: *a",
             "? ", "--- ", "...\n", "%YAML 1.1\n", "!tag ", "!!set ", "!!omap "]))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + len(piece):]
        elif op == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            other = draw(st.integers(min_value=0, max_value=len(text)))
            text = text[:at] + text[min(at, other):max(at, other)] + text[at:]
    return text


@st.composite
def raw_bytes(draw: st.DrawFn, base: Any) -> bytes:
    """Bytes of a config file: random binary, or valid text re-encoded and corrupted."""
    kind = draw(st.sampled_from(["binary", "text", "text", "encoded"]))
    if kind == "binary":
        return draw(st.binary(max_size=300))
    data = draw(yaml_text(base)).encode("utf-8", "surrogatepass")
    if kind == "encoded":
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b""])) + \
            data.decode("utf-8", "replace").encode(draw(st.sampled_from(
                ["utf-8", "utf-16", "utf-16-le", "utf-32", "latin-1"])), "replace")
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


# -- deep nesting ---------------------------------------------------------------------
DEPTHS = st.one_of(st.integers(min_value=1, max_value=130),
                   st.sampled_from([63, 64, 65, 500, 999, 1000, 1001, 3000, 20_000]))


@st.composite
def deep_yaml(draw: st.DrawFn) -> str:
    """A document nested ``depth`` levels in one of YAML's (and JSON's) ways."""
    depth = draw(DEPTHS)
    style = draw(st.sampled_from(["block_seq", "flow_seq", "flow_map", "block_map",
                                  "json", "mixed", "unclosed", "alias_chain"]))
    if style == "block_seq":
        body = "- " * depth + "1\n"
    elif style == "flow_seq":
        body = "[" * depth + "1" + "]" * depth + "\n"
    elif style == "flow_map":
        body = "{a: " * depth + "1" + "}" * depth + "\n"
    elif style == "block_map":
        body = "".join("  " * i + "a:\n" for i in range(min(depth, 2000))) + "  " * min(
            depth, 2000) + "1\n"
    elif style == "json":
        body = '{"a": [' * depth + "1" + "]}" * depth + "\n"
    elif style == "mixed":
        body = "[{a: " * depth + "1" + "}]" * depth + "\n"
    elif style == "unclosed":
        body = "[" * depth + "\n"
    else:
        levels = max(1, depth // 40)
        lines = ["l0: &l0 " + "[" * 40 + "1" + "]" * 40]
        lines += [f"l{i}: &l{i} " + "[" * 40 + f"*l{i - 1}" + "]" * 40
                  for i in range(1, min(levels, 150))]
        body = "\n".join(lines) + "\n"
    where = draw(st.sampled_from(["root", "dlt", "reader", "workflow"]))
    if where == "root" or style in ("block_map", "alias_chain"):
        return body  # multi-line bodies stay at the root
    if style == "block_seq":  # a block sequence starts on its own line
        body = "\n" + " " * 8 + body
    if where == "dlt":
        return "dlt: " + body
    if where == "reader":
        return "dlt: {func_name: people}\nreader: " + body
    return "dev:\n  workflows:\n    - name: x\n      configuration: " + body


def deep_dict(depth: int, leaf: Any = 1, kind: str = "dict") -> Any:
    """A Python value nested ``depth`` levels (built without recursion)."""
    value = leaf
    for _ in range(depth):
        value = {"a": value} if kind == "dict" else [value]
    return value


# The valid bases the fuzz tests mutate (the ``dlt:`` config, a deployment file, a
# dltflow.yml), with the keys an edit may add, and how a document is written to disk.

DLT_CONF: dict[str, Any] = {
    "reader": {"path": "data/in", "format": "json"},
    "dlt": [
        {"func_name": "people", "kind": "table", "expectation_action": "drop",
         "expectations": [{"name": "valid_age", "constraint": "age between 10 and 100"},
                          {"name": "named", "constraint": "name IS NOT NULL",
                           "action": "fail"}],
         "write_opts": {"name": "people_t", "comment": "people", "partition_cols": ["age"],
                        "table_properties": {"quality": "silver"},
                        "spark_conf": {"spark.sql.shuffle.partitions": "2"}}},
        {"func_name": "adults", "kind": "materialized_view"},
        {"func_name": "stream_in", "is_streaming_table": True,
         "append_config": {"target": "events", "name": "events_flow", "once": False}},
        {"func_name": "changes",
         "apply_chg_config": {"target": "people_scd", "keys": ["id"], "sequence_by": "ts",
                              "stored_as_scd_type": 2, "apply_as_deletes": "op = 'D'",
                              "except_column_list": ["op"]}},
    ],
}
DLT_KEYS = ["dlt", "func_name", "kind", "expectation_action", "expectations", "name",
            "constraint", "action", "write_opts", "is_streaming_table", "is_streaming",
            "append_config", "apply_chg_config", "apply_changes_config", "target", "keys",
            "sequence_by", "comment", "spark_conf", "table_properties", "partition_cols",
            "cluster_by", "path", "schema", "temporary", "row_filter", "format", "once",
            "source", "where", "column_list", "except_column_list", "stored_as_scd_type",
            "track_history_column_list", "flow_name", "apply_as_truncates"]

DEPLOYMENT: dict[str, Any] = yaml.safe_load(WORKFLOW_YML)
DEPLOYMENT["dev"]["workflows"][0]["tasks"]["items"].append(
    {"python_file": "sample_pkg/pipelines/people.py", "config_path": "conf/people.yml",
     "class_name": "PeoplePipeline", "launch_method": "register_datasets"})
DEPLOYMENT["dev"]["workflows"][0]["tasks"]["dependencies"].append(
    {"pypi": {"package": "requests>=2", "repo": "https://pypi.org/simple"}})
DEPLOYMENT["dev"]["workflows"].append({
    "name": "second", "target": "other", "serverless": True, "continuous": False,
    "notifications": [{"email_recipients": ["a@b.c"], "alerts": ["on-update-failure"]}],
    "tasks": {"items": [{"python_file": "sample_pkg/pipelines/people.py",
                         "parameters": ["--conf=conf/people.yml"]}]}})
DEPLOY_KEYS = ["dev", "prod", "environments", "workflows", "name", "tasks", "items",
               "dependencies", "python_file", "parameters", "config_path", "class_name",
               "launch_method", "whl", "pypi", "package", "repo", "requirements", "catalog",
               "schema", "target", "development", "continuous", "serverless", "clusters",
               "configuration", "libraries", "notifications", "channel", "edition",
               "photon", "storage", "root_path", "id", "label", "num_workers", "autoscale"]
PROJECT: dict[str, Any] = yaml.safe_load(PROJECT_YML.replace(
    "ARTIFACTS", "/Workspace/Shared/.dltflow/sample/art"))
PROJECT_KEYS = ["dltflow", "name", "include", "code", "conf", "workflows", "files",
                "launch_method", "targets", "dev", "prod", "mode", "default", "workspace",
                "profile", "host", "root_path", "artifact_path"]


def write_doc(path: Path, doc: Any, fmt: str = "yaml") -> None:
    if fmt == "json" or path.suffix == ".json":
        path.write_text(json.dumps(_json_keys(doc), allow_nan=True, default=str),
                        encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")


def _json_keys(doc: Any) -> Any:
    """JSON keys are strings: what json.dumps does with keys it cannot write."""
    if isinstance(doc, dict):
        return {k if isinstance(k, (str, int, float, bool)) or k is None else str(k):
                _json_keys(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_json_keys(v) for v in doc]
    return doc


def reset(root: Path) -> None:
    write_doc(root / "dltflow.yml", PROJECT)
    write_doc(root / "workflows" / "people.yml", DEPLOYMENT)
    (root / "conf" / "people.yml").write_text(CONF_YML, encoding="utf-8")
