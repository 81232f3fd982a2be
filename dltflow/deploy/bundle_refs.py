"""``${...}`` references in a bundle, resolved the way the Databricks CLI does, locally.

- ``${var.x}`` (and ``${variables.x.value}``): a variable. Its value is, by precedence,
  ``--var x=...``, then the environment variable ``BUNDLE_VAR_x``, then the target's
  ``variables.x``, then the declared ``default`` (the CLI's order). A ``lookup``
  variable (an id the CLI asks the workspace for) needs one of the first two locally.
  ``${var.x.field}`` / ``${var.x[0]}`` reach into a complex variable.
- ``${bundle.name}``, ``${bundle.target}`` (``${bundle.environment}``, its old name).
- ``${workspace.current_user.userName}``, ``.short_name``, ``.domain_friendly_name``:
  the local user (see :func:`local_user`).
- ``${workspace.file_path}``: where the bundle's files are synced on the workspace; a
  local run reads those same files in the bundle folder, so it *is* the bundle folder.
  Other workspace folders (``root_path``, ``artifact_path``, ``state_path``) have no
  local counterpart: they become the workspace path the CLI would use, with a warning.
- ``${resources.pipelines.<key>.<field>}``: a field of a pipeline of the bundle.

References nest (``${var.${bundle.target}_catalog}``: the inner one first). A value that
is a single reference keeps the referenced type (``development: ${var.dev}`` gives a
bool); inside a longer text it is written as the CLI writes it (``true``, ``12``).
Anything else (a job's id, an unknown name) stays as written, with a warning.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dltflow.deploy.bundle_source import KeyPath, SourceFile, Warnings
from dltflow.exceptions import ConfigError

__all__ = ["Assignment", "Resolver", "Variables", "environ_assignments", "local_user",
           "short_name"]

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*)\}")
_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*|\[([0-9]+)\]")
_MAX_PASSES = 16  # nesting depth of ${...${...}...}; a real bundle needs two
_KEEP = object()  # a reference left as written
_CLI_DEFAULT_ROOT = "/Workspace/Users/{user}/.bundle/{bundle}/{target}"


def local_user(user: str | None, environ: Mapping[str, str]) -> str:
    """Who ``${workspace.current_user.userName}`` is locally: ``user`` when given, else
    ``$DATABRICKS_USER``, else the login name (no workspace is asked, ever)."""
    return user or environ.get("DATABRICKS_USER") or getpass.getuser()


def short_name(user: str) -> str:
    """The CLI's short name: the part before ``@``, non-alphanumerics as ``_``."""
    local = user.split("@", 1)[0]
    return "".join(c if c.isalnum() else "_" for c in local)


@dataclass(frozen=True)
class Assignment:
    """Where a variable's value comes from.

    Args:
        value: the raw value (may hold references).
        origin: ``--var``, ``BUNDLE_VAR_<name>``, the target, or ``default``.
        source: the bundle file of the value (None for the command line/environment).
        path: its key path in that file.
        lookup: the value is a ``lookup`` the CLI resolves against the workspace.
    """

    value: Any
    origin: str
    source: SourceFile | None = None
    path: KeyPath = ()
    lookup: bool = False


@dataclass(frozen=True)
class Variables:
    """The declared variables and the value each one gets in the chosen target.

    Args:
        declared: names declared under ``variables:``, with the file declaring them.
        assigned: the winning assignment of each variable that has one.
    """

    declared: Mapping[str, SourceFile]
    assigned: Mapping[str, Assignment]


@dataclass(frozen=True)
class _Where:
    source: SourceFile
    path: KeyPath


class Resolver:
    """Substitutes references in bundle values (see the module docstring).

    Args:
        bundle_name: ``bundle.name``.
        target: the chosen target.
        root: the bundle folder.
        user: the local user name.
        variables: the variables and their values.
        workspace: the merged ``workspace:`` section (top level, then the target's).
        resource: looks up ``resources.<type>.<key>.<field>`` (raw), None when absent.
        warnings: where warnings go.
    """

    def __init__(self, *, bundle_name: str, target: str, root: Path, user: str,
                 variables: Variables, workspace: Mapping[str, Any],
                 resource: Callable[[list[str]], tuple[Any, SourceFile, KeyPath] | None],
                 warnings: Warnings) -> None:
        self._bundle = {"name": bundle_name, "target": target, "environment": target}
        self._root = root
        self._user = user
        self._variables = variables
        self._workspace = workspace
        self._resource = resource
        self._warnings = warnings
        self._resolved: dict[str, Any] = {}
        self._stack: list[str] = []

    def resolve(self, value: Any, source: SourceFile, path: KeyPath) -> Any:
        """``value`` (the value at ``path`` of ``source``) with every reference resolved.

        Raises:
            BundleError: an undefined variable, a variable without a value, a cycle, or
                a complex value inside a text.
        """
        if isinstance(value, Mapping):
            return {k: self.resolve(v, source, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, source, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${" in value:
            return self._text(value, _Where(source, path))
        return value

    def variable_values(self) -> dict[str, Any]:
        """Every variable that has a value, resolved (for ``BundlePipeline.variables``);
        a variable whose value cannot be resolved is left out."""
        values = {}
        for name in sorted(self._variables.assigned):
            if self._variables.assigned[name].lookup:
                continue
            try:
                values[name] = self._variable(name, None)
            except ConfigError:
                continue
        return values

    def _text(self, text: str, where: _Where) -> Any:
        for _ in range(_MAX_PASSES):
            matches = list(_REF.finditer(text))
            if not matches:
                return text
            if len(matches) == 1 and matches[0].span() == (0, len(text)):
                found = self._lookup(matches[0].group(1), where)
                if found is _KEEP:
                    return text
                if not isinstance(found, str):
                    return found
                text = found
                continue
            changed = False

            def substitute(match: re.Match[str]) -> str:
                nonlocal changed
                found = self._lookup(match.group(1), where)
                if found is _KEEP:
                    return match.group(0)
                changed = True
                return _as_text(found, match.group(0), where)

            text = _REF.sub(substitute, text)
            if not changed:
                return text
        raise where.source.error(where.path, "references nest too deeply (or refer to "
                                             "each other)")

    def _lookup(self, name: str, where: _Where) -> Any:
        parts = [m.group(0) if m.group(1) is None else int(m.group(1))
                 for m in _PART.finditer(name)]
        head = parts[0]
        if head == "var" and len(parts) > 1 and isinstance(parts[1], str):
            return _reach(self._variable(parts[1], where), parts[2:], name, where)
        if head == "variables" and len(parts) == 3 and parts[2] == "value":
            return self._variable(str(parts[1]), where)
        if head == "bundle" and len(parts) == 2 and parts[1] in self._bundle:
            return self._bundle[str(parts[1])]
        if head == "workspace":
            return self._workspace_value([str(p) for p in parts[1:]], name)
        if head == "resources":
            return self._resource_value([str(p) for p in parts[1:]], name)
        self._warnings.add(f"${{{name}}} has no local value; kept as written")
        return _KEEP

    def _variable(self, name: str, where: _Where | None) -> Any:
        variables = self._variables
        if name not in variables.declared:
            if where is None:
                raise ConfigError(f"undefined variable {name!r}")
            known = ", ".join(sorted(variables.declared)) or "(none)"
            raise where.source.error(
                where.path, f"undefined variable ${{var.{name}}}; declared variables: "
                            f"{known}",
                hint=f"declare it under `variables: {{{name}: {{default: ...}}}}` in "
                     "databricks.yml (or an included file).")
        if name in self._resolved:
            return self._resolved[name]
        assignment = variables.assigned.get(name)
        if assignment is None or assignment.lookup:
            raise self._unassigned(name, assignment, where)
        if name in self._stack:
            cycle = " -> ".join([*self._stack[self._stack.index(name):], name])
            source = assignment.source or variables.declared[name]
            raise source.error(assignment.path, f"variables refer to each other: {cycle}")
        self._stack.append(name)
        try:
            value = (self.resolve(assignment.value, assignment.source, assignment.path)
                     if assignment.source is not None
                     else self._text(str(assignment.value),
                                     _Where(variables.declared[name], ("variables", name)))
                     if "${" in str(assignment.value) else assignment.value)
        finally:
            self._stack.pop()
        self._resolved[name] = value
        return value

    def _unassigned(self, name: str, assignment: Assignment | None,
                    where: _Where | None) -> ConfigError:
        target = self._bundle["target"]
        if assignment is not None:  # a lookup
            problem = (f"variable {name!r} is a lookup (an id the Databricks CLI asks the "
                       "workspace for); a local run asks no workspace")
        else:
            problem = f"variable {name!r} has no value for target {target!r}"
        hint = (f"give it a value: `--var {name}=...`, the environment variable "
                f"BUNDLE_VAR_{name}, `targets.{target}.variables.{name}`, or a default.")
        if where is None:
            return ConfigError(problem, hint=hint)
        return where.source.error(where.path, problem, hint=hint)

    def _workspace_value(self, parts: list[str], name: str) -> Any:
        user = self._user
        if parts[:1] == ["current_user"] and len(parts) == 2:
            names = {"userName": user, "user_name": user, "short_name": short_name(user),
                     "domain_friendly_name": short_name(user).lower().replace("_", "-")}
            if parts[1] in names:
                return names[parts[1]]
        if parts == ["file_path"]:
            return self._root.as_posix()
        folders = {"root_path": "", "artifact_path": "/artifacts", "state_path": "/state",
                   "resource_path": "/resources"}
        if len(parts) == 1 and parts[0] in folders:
            declared = self._workspace.get(parts[0])
            value = declared if isinstance(declared, str) else _CLI_DEFAULT_ROOT.format(
                user=user, bundle=self._bundle["name"], target=self._bundle["target"]
            ) + folders[parts[0]]
            self._warnings.add(f"${{{name}}} is a workspace folder with no local "
                               f"counterpart; used as the text {value!r}")
            return value
        if parts == ["host"] and isinstance(self._workspace.get("host"), str):
            return self._workspace["host"]
        self._warnings.add(f"${{{name}}} has no local value; kept as written")
        return _KEEP

    def _resource_value(self, parts: list[str], name: str) -> Any:
        found = self._resource(parts) if len(parts) == 3 else None
        if found is None:
            self._warnings.add(f"${{{name}}} is only known once deployed; kept as written")
            return _KEEP
        value, source, path = found
        return self.resolve(value, source, path)


def environ_assignments(declared: Mapping[str, SourceFile], cli: Mapping[str, str],
                        environ: Mapping[str, str] | None) -> dict[str, Assignment]:
    """``--var`` values, then ``BUNDLE_VAR_<name>`` ones, for declared variables.

    Raises:
        ConfigError: a ``--var`` names a variable the bundle does not declare.
    """
    env = os.environ if environ is None else environ
    unknown = sorted(set(cli) - set(declared))
    if unknown:
        raise ConfigError(f"--var {unknown[0]}: the bundle declares no variable "
                          f"{unknown[0]!r}", source="--var",
                          hint=f"declared variables: {sorted(declared) or '(none)'}.")
    found = {name: Assignment(value, "--var") for name, value in cli.items()}
    for name in declared:
        if name not in found and f"BUNDLE_VAR_{name}" in env:
            found[name] = Assignment(env[f"BUNDLE_VAR_{name}"], f"BUNDLE_VAR_{name}")
    return found


def _reach(value: Any, parts: list[str | int], name: str, where: _Where | None) -> Any:
    for part in parts:
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            problem = f"${{{name}}}: the variable has no {part!r}"
            if where is None:
                raise ConfigError(problem)
            raise where.source.error(where.path, problem)
    return value


def _as_text(value: Any, reference: str, where: _Where) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        raise where.source.error(where.path, f"{reference} is a complex value (a mapping "
                                             "or list) inside a text",
                                 hint="a complex variable can only be a whole value.")
    return "" if value is None else str(value)
