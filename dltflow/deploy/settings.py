"""Pipelines API settings: check them strictly and turn them into SDK call arguments.

A workflow in a deployment file *is* a Pipelines API settings object, so what is valid
is what the API takes. Rather than copy that list, we read it from the installed
``databricks-sdk``: the keyword arguments of ``PipelinesAPI.create`` are the known
top-level keys, and a nested value is valid when the SDK's own dataclass keeps every key
of it (``from_dict`` silently drops unknown keys and unknown enum values, so whatever a
round trip loses is reported by its dotted path).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
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
            problems.append(f"field '{key}': not a Pipelines API setting")
        else:
            problems.extend(_value_problems(key, value, _unwrap(hints[key])))
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
        kept = tp.from_dict(dict(value)).as_dict()  # type: ignore[union-attr]
        return [f"field '{path}.{lost}': unknown key or value" for lost in _lost(value, kept)]
    if tp is bool and not isinstance(value, bool):
        return [f"field '{path}': expected true or false"]
    if tp is str and not isinstance(value, str):
        return [f"field '{path}': expected a string"]
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"field '{path}': expected an integer"]
    return []


def _lost(given: Any, kept: Any, prefix: str = "") -> list[str]:
    """Dotted paths present in ``given`` but missing or changed in ``kept``."""
    if isinstance(given, Mapping):
        if not isinstance(kept, Mapping):
            return [prefix.rstrip(".") or "value"]
        lost = []
        for key, value in given.items():
            if key not in kept:
                lost.append(f"{prefix}{key}")
            else:
                lost.extend(_lost(value, kept[key], f"{prefix}{key}."))
        return lost
    if isinstance(given, list):
        if not isinstance(kept, list) or len(kept) != len(given):
            return [prefix.rstrip(".")]
        return [p for i, (g, k) in enumerate(zip(given, kept, strict=True))
                for p in _lost(g, k, f"{prefix.rstrip('.')}[{i}].")]
    return [] if given == kept else [prefix.rstrip(".")]


def _convert(value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (list, typing.List):  # noqa: UP006
        (item_tp,) = typing.get_args(tp)
        return [_convert(item, item_tp) for item in value]
    if dataclasses.is_dataclass(tp):
        return tp.from_dict(dict(value))  # type: ignore[union-attr]
    return value
