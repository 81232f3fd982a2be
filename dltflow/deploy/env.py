"""``${ENV_VAR}`` substitution in project and deployment files.

One implementation for ``dltflow.yml`` and deployment files alike: every string value
may name environment variables; ``$${X}`` keeps a literal ``${X}``. All unset variables
are reported at once, each with the field it appears in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from dltflow.deploy.secrets import SecretUse, looks_secret
from dltflow.exceptions import ConfigError

_ENV_VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env_vars(data: Any, *, source: str, path: str = "",
                    environ: Mapping[str, str] | None = None,
                    secrets: list[SecretUse] | None = None) -> Any:
    """Replace ``${NAME}`` in every string of ``data`` with the environment variable.

    Args:
        data: parsed YAML/JSON (mappings, lists, scalars).
        source: the file, for error messages.
        path: the dotted location of ``data`` inside the file.
        environ: where values come from (default ``os.environ``).
        secrets: when given, receives each field a secret-looking variable went into.

    Returns:
        A copy of ``data`` with the variables substituted (``$${X}`` gives ``${X}``).

    Raises:
        ConfigError: a referenced variable is not set; names each one and its field.
    """
    missing: list[str] = []
    found: list[SecretUse] = [] if secrets is None else secrets
    result = _walk(data, path, os.environ if environ is None else environ, missing, found)
    if missing:
        raise ConfigError(missing, source=source,
                          hint="export the variable(s) first, or write `$${NAME}` for a "
                               "literal `${NAME}`.")
    return result


def _walk(value: Any, path: str, environ: Mapping[str, str], missing: list[str],
          secrets: list[SecretUse]) -> Any:
    if isinstance(value, Mapping):
        return {k: _walk(v, f"{path}.{k}" if path else str(k), environ, missing, secrets)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, f"{path}[{i}]", environ, missing, secrets)
                for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.groups()
        if escaped:
            return "${" + name + "}"
        if name not in environ:
            missing.append(f"field '{path}': environment variable '{name}' is not set")
            return match.group(0)
        if looks_secret(name, environ[name]):
            secrets.append(SecretUse(path, name, environ[name]))
        return environ[name]

    return _ENV_VAR.sub(replace, value)
