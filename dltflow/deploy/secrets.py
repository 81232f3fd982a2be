"""Notice secrets about to be uploaded in plain text.

``${DATABRICKS_TOKEN}`` expanded into a pipeline's ``configuration`` or a task's
``parameters`` ends up readable in the pipeline settings or the notebook by anyone who
can open them. Databricks has a place for secrets: a secret scope, referenced as
``{{secrets/<scope>/<key>}}`` in pipeline configuration. This module finds the places
where a secret-looking value would be uploaded, so the deployer can warn; the value
itself is never repeated.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SecretUse", "find_literal_tokens", "looks_secret", "redact", "warning_text"]

_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY", re.I)
_DATABRICKS_TOKEN = re.compile(r"\bdapi[0-9a-f]{20,}(-\d+)?\b", re.I)


@dataclass(frozen=True)
class SecretUse:
    """A secret-looking value in a field that gets uploaded.

    Args:
        field: where, as ``dev.workflows[0].configuration.token``.
        variable: the environment variable it came from (None for a literal value).
        value: the secret itself, kept only to blank it out of previews (never shown).
    """

    field: str
    variable: str | None
    value: str = dataclasses.field(default="", repr=False, compare=False)


def looks_secret(name: str, value: str) -> bool:
    """A variable whose name says secret, or a value shaped like a Databricks token."""
    return bool(_SECRET_NAME.search(name) or _DATABRICKS_TOKEN.search(value))


def find_literal_tokens(data: Any, path: str) -> list[SecretUse]:
    """Databricks tokens (``dapi…``) written straight into ``data``."""
    if isinstance(data, Mapping):
        return [use for k, v in data.items()
                for use in find_literal_tokens(v, f"{path}.{k}" if path else str(k))]
    if isinstance(data, list):
        return [use for i, v in enumerate(data) for use in find_literal_tokens(v, f"{path}[{i}]")]
    match = _DATABRICKS_TOKEN.search(data) if isinstance(data, str) else None
    return [SecretUse(path, None, match.group(0))] if match else []


def redact(data: Any, uses: tuple[SecretUse, ...] | list[SecretUse]) -> Any:
    """``data`` (strings, lists, mappings) with every secret value replaced by ``***``."""
    values = sorted({u.value for u in uses if len(u.value) >= 4}, key=len, reverse=True)
    if not values:
        return data
    if isinstance(data, Mapping):
        return {k: redact(v, uses) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(v, uses) for v in data]
    if isinstance(data, str):
        for value in values:
            data = data.replace(value, "***")
    return data


def warning_text(use: SecretUse, source: str) -> str:
    """One line for people; names the field and variable, never the value."""
    what = (f"${{{use.variable}}} looks like a secret" if use.variable
            else "a value that looks like a Databricks token")
    return (f"Warning: {what} and is uploaded in plain text ({source}, field "
            f"'{use.field}'). Keep secrets in a Databricks secret scope and reference them "
            "as {{secrets/<scope>/<key>}} in the pipeline configuration instead.")
