"""The Databricks CLI's pipeline-settings schema, adapted in memory for API bodies.

Read from ``../shared/databricks/`` beside the repo (never copied). As its README says:
the ``${var}`` interpolation branches of every ``oneOf`` are dropped (their ``\\p{L}``
patterns do not compile in Python), bundle-only keys are removed and API-only keys added.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_PATH = (Path(__file__).resolve().parents[3] / ".." / "shared" / "databricks"
               / "pipeline-settings.schema.json")
_BUNDLE_ONLY = ("permissions", "lifecycle", "cascade_on_destroy")
_API_ONLY = {"deployment": None, "parent_path": {"type": "string"},
             "dry_run": {"type": "boolean"}, "expected_last_modified": {"type": "integer"},
             "pipeline_id": {"type": "string"}, "id": {"type": "string"},
             "allow_duplicate_names": {"type": "boolean"}}


def _is_interpolation(branch: Any) -> bool:
    return (isinstance(branch, dict) and branch.get("type") == "string"
            and "\\$\\{" in str(branch.get("pattern", "")))


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _strip(v) for k, v in node.items()}
    if "oneOf" in node:
        kept = [b for b in node["oneOf"] if not _is_interpolation(b)]
        rest = {k: v for k, v in node.items() if k != "oneOf"}
        node = {**rest, **kept[0]} if len(kept) == 1 else {**rest, "oneOf": kept}
    return node


@cache
def pipeline_validator() -> Draft202012Validator:
    raw = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema = _strip(copy.deepcopy(raw))
    pipeline_ref = raw["$ref"].removeprefix("#/$defs/").split("/")
    node = schema["$defs"]
    for part in pipeline_ref:
        node = node[part]
    props = node["properties"]
    for key in _BUNDLE_ONLY:
        props.pop(key, None)
    for key, sub in _API_ONLY.items():
        if key not in props and sub is not None:
            props[key] = sub
    return Draft202012Validator(schema)


def settings_problems(body: dict[str, Any]) -> list[str]:
    """Every schema violation of a create/edit body, as ``path: message``."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in pipeline_validator().iter_errors(body)]
