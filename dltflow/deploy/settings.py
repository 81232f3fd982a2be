"""Pipelines API settings: check them strictly and turn them into SDK call arguments.

A workflow in a deployment file *is* a Pipelines API settings object, so what is valid
is what the API takes. Rather than copy that list, we read it from the installed
``databricks-sdk``: the keyword arguments of ``PipelinesAPI.create`` are the known
top-level keys, and below them the type hints of the SDK's own dataclasses
(``PipelineCluster``, ``PipelinesEnvironment``, ...) say which keys and enum values each
nested mapping takes. An unknown key is reported by its dotted path with the nearest
valid key (``from_dict`` would silently drop it).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import typing
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

#: Keys that dltflow sets itself; a deployment file may not.
RESERVED_KEYS = frozenset({"id", "dry_run", "allow_duplicate_names", "expected_last_modified",
                           "pipeline_id"})
_STRING_MAPS = ("configuration", "tags", "parameters")


@cache
def _create_hints() -> dict[str, Any]:
    from databricks.sdk.service.pipelines import PipelinesAPI  # lazy: only deploys need it

    hints = typing.get_type_hints(PipelinesAPI.create)
    hints.pop("return", None)
    return hints


def known_keys() -> frozenset[str]:
    """Top-level settings keys a deployment file may use."""
    return frozenset(_create_hints()) - RESERVED_KEYS


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """Every problem of ``settings`` as ``field 'a.b': message``; empty when valid."""
    hints = _create_hints()
    problems = []
    for key, value in settings.items():
        if key in RESERVED_KEYS:
            problems.append(f"field '{key}': set by dltflow, remove it")
        elif key not in hints:
            problems.append(f"field '{key}': not a Pipelines API setting"
                            + did_you_mean(str(key), known_keys()))
        else:
            problems.extend(_value_problems(key, value, _unwrap(hints[key])))
    return problems


#: ``libraries`` entries installed on a cluster, which serverless pipelines reject.
CLUSTER_LIBRARIES = ("jar", "maven", "whl")


def rule_problems(settings: Mapping[str, Any]) -> list[str]:
    """Combinations the API rejects (or quietly ignores), found before any call.

    ``serverless`` with ``clusters`` or cluster-scoped ``libraries``; ``target`` together
    with ``schema``; a dotted ``target``/``schema`` (the catalog goes in ``catalog``).
    """
    problems = []
    if settings.get("serverless") is True:
        if settings.get("clusters"):
            problems.append("field 'clusters': a serverless pipeline has no clusters; remove "
                            "'clusters' or set 'serverless: false'")
        for i, lib in enumerate(settings.get("libraries") or []):
            kinds = [k for k in CLUSTER_LIBRARIES if isinstance(lib, Mapping) and k in lib]
            if kinds:
                problems.append(f"field 'libraries[{i}].{kinds[0]}': serverless pipelines "
                                "reject cluster libraries; list Python packages under "
                                "tasks.dependencies (they go to environment.dependencies)")
    if settings.get("target") is not None and settings.get("schema") is not None:
        problems.append("fields 'target' and 'schema': set only one ('schema' is the "
                        "current name of 'target')")
    for key in ("target", "schema"):
        value = settings.get(key)
        if isinstance(value, str) and "." in value:
            problems.append(f"field '{key}': {value!r} has a dot; give the schema alone and "
                            "the catalog in 'catalog'")
    return problems


def normalize(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with string maps (``configuration``, ``tags``) as strings, as the API wants.

    YAML turns ``true`` and ``1`` into a bool and an int; the API takes only strings.
    """
    result = dict(settings)
    for key in _STRING_MAPS:
        value = result.get(key)
        if isinstance(value, Mapping):
            result[key] = {str(k): _as_string(v) for k, v in value.items()}
    return result


def to_sdk_kwargs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``w.pipelines.create`` / ``update`` (SDK dataclasses)."""
    hints = _create_hints()
    hints = {**hints, **_update_only_hints()}
    return {key: _convert(value, _unwrap(hints[key])) for key, value in settings.items()}


@cache
def _update_only_hints() -> dict[str, Any]:
    from databricks.sdk.service.pipelines import PipelinesAPI

    hints = typing.get_type_hints(PipelinesAPI.update)
    hints.pop("return", None)
    return hints


def did_you_mean(word: str, choices: Collection[str]) -> str:
    """``; did you mean 'x'?`` for the nearest of ``choices``, else an empty string."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@cache
def _dataclass_hints(tp: type) -> dict[str, Any]:
    """Field name -> type of one SDK dataclass (its type hints, forward refs resolved)."""
    hints = typing.get_type_hints(tp)
    return {f.name: hints[f.name] for f in dataclasses.fields(tp)}


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unwrap(tp: Any) -> Any:
    """``Optional[X]`` -> ``X``."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is typing.Union and len(args) == 1:
        return args[0]
    return tp


def _value_problems(path: str, value: Any, tp: Any) -> list[str]:
    origin = typing.get_origin(tp)
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's hints use typing.List
        if not isinstance(value, list):
            return [f"field '{path}': expected a list"]
        (item_tp,) = typing.get_args(tp)
        return [p for i, item in enumerate(value)
                for p in _value_problems(f"{path}[{i}]", item, item_tp)]
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, Mapping):
            return [f"field '{path}': expected a mapping"]
        return [f"field '{path}.{k}': expected a plain value" for k, v in value.items()
                if isinstance(v, (Mapping, list))]
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            return [f"field '{path}': expected a mapping"]
        fields = _dataclass_hints(tp)  # type: ignore[arg-type]
        problems = []
        for key, item in value.items():
            if key not in fields:
                problems.append(f"field '{path}.{key}': unknown key"
                                + did_you_mean(str(key), fields))
            else:
                problems.extend(_value_problems(f"{path}.{key}", item, _unwrap(fields[key])))
        return problems
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        allowed = [str(member.value) for member in tp]
        if value not in allowed:
            return [f"field '{path}': {value!r} is not one of {allowed}"
                    + did_you_mean(str(value), allowed)]
        return []
    if tp is bool and not isinstance(value, bool):
        return [f"field '{path}': expected true or false"]
    if tp is str and not isinstance(value, str):
        return [f"field '{path}': expected a string"]
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"field '{path}': expected an integer"]
    return []


def _convert(value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (list, typing.List):  # noqa: UP006
        (item_tp,) = typing.get_args(tp)
        return [_convert(item, item_tp) for item in value]
    if dataclasses.is_dataclass(tp):
        return tp.from_dict(dict(value))  # type: ignore[union-attr]
    return value
